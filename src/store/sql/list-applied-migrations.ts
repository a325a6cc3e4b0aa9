/**
 * The migrations a database has had, with what each requires of a tapflow.
 */
import type { Queryable } from '../pool';

// `requires` came with migration 13: read through to_jsonb, so the same statement works on a
// schema from before it (the key is then absent, and reads as null).
const SQL = /* sql */ `
SELECT id, (to_jsonb(m) ->> 'requires')::integer AS requires
FROM tapflow.migrations m
ORDER BY id`;

/** One row of `tapflow.migrations`. */
export interface AppliedMigration {
  id: number;
  /** The lowest migration a tapflow must know to work with it; null when recorded before migration 13. */
  requires: number | null;
}

/**
 * Every applied migration, in order.
 *
 * @throws the database's error; `undefined_table` (42P01) when the database has no tapflow schema.
 */
export async function listAppliedMigrations(client: Queryable): Promise<AppliedMigration[]> {
  const { rows } = await client.query<AppliedMigration>(SQL);
  return rows;
}
