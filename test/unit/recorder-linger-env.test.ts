/**
 * TAPFLOW_RECORD_LINGER_MS: the attempt recorder's linger for `tapflow worker` and `tapflow dev`.
 */
import { UsageError } from '../../src/core/errors';
import { recorderLingerFromEnv } from '../../src/store/open-store';

test('unset or blank: the recorder keeps its default', () => {
  expect(recorderLingerFromEnv({})).toBeUndefined();
  expect(recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: ' ' })).toBeUndefined();
});

test('a whole number of milliseconds from 0 to 60,000', () => {
  expect(recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: '0' })).toBe(0);
  expect(recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: ' 200 ' })).toBe(200);
  expect(recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: '60000' })).toBe(60_000);
});

test.each(['-1', '1.5', '20ms', '60001', 'soon'])('"%s" is refused in one line naming the variable', (value) => {
  expect(() => recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: value })).toThrow(UsageError);
  expect(() => recorderLingerFromEnv({ TAPFLOW_RECORD_LINGER_MS: value })).toThrow(/^TAPFLOW_RECORD_LINGER_MS: ".*" is not a whole number/);
});
