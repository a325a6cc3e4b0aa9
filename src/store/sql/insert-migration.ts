/**
 * Records that a migration was applied, with what it requires of a tapflow (migration 13 on).
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `INSERT INTO tapflow.migrations (id, name, requires) VALUES ($1, $2, $3)`;

/** Records migration `id` as applied, inside the migration transaction. */
export async function insertMigration(client: Queryable, migration: { id: number; name: string; requires: number }): Promise<void> {
  await client.query(SQL, [migration.id, migration.name, migration.requires]);
}
