import { parseRunsSearch } from '../../src/cli/runs';
import { encodeRunCursor } from '../../src/store/run-cursor';
import { UsageError } from '../../src/core/errors';

const NOW = new Date('2025-06-01T00:00:00.000Z');

describe('parseRunsSearch', () => {
  test('no options: the default page size and no filter', () => {
    expect(parseRunsSearch({}, NOW)).toEqual({ limit: 50 });
  });

  test('every option becomes its filter', () => {
    const after = { createdAt: new Date('2025-05-01T00:00:00.000Z'), workflowId: 'r9' };
    expect(
      parseRunsSearch(
        {
          pipeline: 'A', state: ['failed', 'cancelled'], tag: ['x', 'y'], user: 'alice', group: ['g1'],
          from: '7d', to: '2025-05-31', limit: '10', after: encodeRunCursor(after), json: true,
        },
        NOW,
      ),
    ).toEqual({
      pipeline: 'A', state: ['failed', 'cancelled'], tag: ['x', 'y'], userName: 'alice', group: ['g1'],
      createdFrom: new Date('2025-05-25T00:00:00.000Z'), createdTo: new Date('2025-05-31T00:00:00.000Z'), limit: 10, after,
    });
  });

  test.each<[string, Parameters<typeof parseRunsSearch>[0], string]>([
    ['an unknown state', { state: ['completed', 'done'] }, '--state: unknown state "done"'],
    ['a limit with a fraction', { limit: '2.5' }, '--limit: "2.5" is not a whole number from 1 to 1000'],
    ['a negative limit', { limit: '-1' }, '--limit: "-1" is not'],
    ['a from equal to the to', { from: '2025-01-01', to: '2025-01-01T00:00Z' }, 'must be before --to'],
  ])('refuses %s', (_name, options, message) => {
    expect(() => parseRunsSearch(options, NOW)).toThrow(UsageError);
    expect(() => parseRunsSearch(options, NOW)).toThrow(message);
  });
});
