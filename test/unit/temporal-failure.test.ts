import { classifyTemporalFailure, describeTemporalFailure } from '../../src/cli/temporal-failure';
import { ActionRefusedError, NoWorkerAnsweredError, RunFailedError, RunNotFoundError, UsageError } from '../../src/core/errors';

describe('classifyTemporalFailure', () => {
  test.each<[string, unknown, ReturnType<typeof classifyTemporalFailure>]>([
    ['an unknown run', new RunNotFoundError('x'), 'not-found'],
    ['a status query no worker answered', new NoWorkerAnsweredError('x', 'q', 10_000), 'no-worker'],
    ['an error that only reads like one', new Error('x: no worker answered within 10s'), undefined],
    ['a refused connection', new Error('14 UNAVAILABLE: No connection established'), 'unreachable'],
    ['a failed connect', new Error('Failed to connect before the deadline'), 'unreachable'],
    ['a run that failed, whatever its message', new RunFailedError('x', 'failed', 'connect ECONNREFUSED 10.0.0.1:80'), undefined],
    ['a refused action', new ActionRefusedError('x', 'Connection refused'), undefined],
    ['a run that has not finished', new UsageError('x has not finished yet; use --wait to wait for it'), undefined],
    ['any other error', new Error('permission denied'), undefined],
    ['something not an error', 'UNAVAILABLE', undefined],
  ])('%s', (_name, err, expected) => {
    expect(classifyTemporalFailure(err)).toBe(expected);
  });
});

test('describeTemporalFailure says why the answer comes from the store', () => {
  expect(describeTemporalFailure('not-found', 'h:1')).toBe('Temporal no longer has this run');
  expect(describeTemporalFailure('no-worker', 'h:1')).toBe('no worker answered the status query');
  expect(describeTemporalFailure('unreachable', 'h:1')).toBe('Temporal could not be reached at h:1');
});
