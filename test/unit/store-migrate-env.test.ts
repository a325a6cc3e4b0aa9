/**
 * TAPFLOW_STORE_MIGRATE: whether a process that opens the store applies its migrations
 * (`false`: it only checks the schema, as `tapflow worker --no-migrate`).
 */
import { UsageError } from '../../src/core/errors';
import { migrateFromEnv } from '../../src/store/open-store';

test('unset or blank: openStore decides (it migrates)', () => {
  expect(migrateFromEnv({})).toBeUndefined();
  expect(migrateFromEnv({ TAPFLOW_STORE_MIGRATE: ' ' })).toBeUndefined();
});

test.each<[string, boolean]>([
  ['true', true],
  ['1', true],
  ['YES', true],
  ['false', false],
  [' 0 ', false],
  ['no', false],
])('%j is %j', (value, migrate) => {
  expect(migrateFromEnv({ TAPFLOW_STORE_MIGRATE: value })).toBe(migrate);
});

test('anything else is refused in one line naming the variable', () => {
  expect(() => migrateFromEnv({ TAPFLOW_STORE_MIGRATE: 'never' })).toThrow(new UsageError('TAPFLOW_STORE_MIGRATE: "never" is not true or false'));
});
