/**
 * Migration 13: each applied migration records `requires`, the lowest migration a tapflow must
 * know to work with a schema that has it. So during a rolling deploy an older tapflow (which
 * knows fewer migrations) keeps working with a schema a newer one migrated, as long as every
 * migration it does not know is expand-only, and refuses with one line when one is not. See the
 * rule in `migrations/index.ts` and docs/store.md.
 *
 * Safe itself: a nullable column on the small `tapflow.migrations` table, which only `migrate`
 * writes (older tapflows insert `(id, name)` and leave it null), and no lock on any table a
 * worker writes. Rows applied before it get `requires` = their own number: before this rule, a
 * tapflow worked only with the migrations it knew.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'migration-compatibility';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.migrations ADD COLUMN requires integer
  CONSTRAINT migrations_requires_check CHECK (requires >= 0);

COMMENT ON COLUMN tapflow.migrations.requires IS
  'The lowest migration a tapflow must know (its own newest) to work with a schema that has this one: 0 for an expand-only migration. Null (written by a tapflow before migration 13) reads as the migration''s own number.';

UPDATE tapflow.migrations SET requires = id;
`;
