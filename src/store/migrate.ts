/**
 * Brings a database up to the store's schema: runs the migrations it has not had yet.
 */
import type { ClientBase } from 'pg';
import { MigrationError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';

/**
 * The advisory lock migrations hold: `'tapflow'` in ASCII. Advisory locks are per database, so
 * stores in different databases of one server never wait for each other.
 */
export const MIGRATION_LOCK_KEY = '32760377458667383';

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Numbers of the migrations this call applied, in order; empty when the schema was current. */
  applied: number[];
  /** The schema's migration number afterwards. */
  version: number;
}

/**
 * Applies every pending migration in one transaction that holds a transaction-level advisory
 * lock, recording each in `tapflow.migrations`. Safe to run twice and from several processes at
 * once (workers starting together): the later callers wait for the lock, then find nothing to
 * do. Either every pending migration applies or none does.
 *
 * Run it at start on a dedicated client (not a pool: the transaction needs one connection), e.g.
 * `await withPgClient(pool, migrate)`.
 *
 * @param options.migrations the migrations to apply; default: tapflow's own (tests give others).
 * @throws {MigrationError} when the database holds a migration newer than this tapflow knows (it
 *   was migrated by a newer version), or a migration fails; nothing is changed in either case.
 */
export async function migrate(
  client: ClientBase,
  options: { migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations.reduce((max, m) => Math.max(max, m.id), 0);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS tapflow');
    await client.query(
      `CREATE TABLE IF NOT EXISTS tapflow.migrations (
         id integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ id: number }>('SELECT id FROM tapflow.migrations ORDER BY id');
    const done = new Set(rows.map((r) => r.id));
    const newest = rows.at(-1)?.id ?? 0;
    if (newest > latest) {
      throw new MigrationError(
        `the store's schema is at migration ${newest}, newer than this tapflow knows (${latest}): upgrade tapflow`,
      );
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(migration.id)) continue;
      try {
        await client.query(migration.sql);
      } catch (err) {
        throw new MigrationError(
          `migration ${String(migration.id).padStart(3, '0')}-${migration.name} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await client.query('INSERT INTO tapflow.migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      applied.push(migration.id);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(newest, ...applied) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
