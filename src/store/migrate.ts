/**
 * Brings a database up to the store's schema: runs the migrations it has not had yet.
 */
import type { ClientBase } from 'pg';
import { MigrationError } from './errors';
import { MIGRATIONS, REQUIRES_MIGRATION, type Migration } from './migrations';
import { incompatibility, judgeSchema, migrationList } from './schema-compatibility';
import { insertMigration } from './sql/insert-migration';
import { listAppliedMigrations } from './sql/list-applied-migrations';

/**
 * The advisory lock migrations hold: `'tapflow'` in ASCII. Advisory locks are per database, so
 * stores in different databases of one server never wait for each other.
 */
export const MIGRATION_LOCK_KEY = '32760377458667383';

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Numbers of the migrations this call applied, in order; empty when the schema was current. */
  applied: number[];
  /** The schema's migration number afterwards (its newest applied migration). */
  version: number;
}

/**
 * Applies every pending migration in one transaction that holds a transaction-level advisory
 * lock, recording each in `tapflow.migrations` with what it requires of a tapflow. Safe to run
 * twice and from several processes at once (workers starting together): the later callers wait
 * for the lock, then find nothing to do. Either every pending migration applies or none does.
 *
 * A schema a newer tapflow migrated is fine as long as every migration this tapflow does not
 * know is compatible with it (expand-only, or `requires` no more than this tapflow's newest):
 * then nothing is applied and `version` is the schema's. That keeps a rolling deploy working
 * (see the rule in `migrations/index.ts`).
 *
 * Run it at start on a dedicated client (not a pool: the transaction needs one connection), e.g.
 * `await withPgClient(pool, migrate)`.
 *
 * @param options.migrations the migrations to apply; default: tapflow's own (tests give others).
 * @throws {MigrationError} when the schema holds a migration that needs a newer tapflow than this
 *   one, when it holds newer migrations but lacks one this tapflow has (mixed branches), or when
 *   a migration fails; nothing is changed in any case.
 */
export async function migrate(
  client: ClientBase,
  options: { migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? MIGRATIONS;
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
    const applied = await listAppliedMigrations(client);
    const judgement = judgeSchema(applied, migrations);
    const refusal = incompatibility(judgement);
    if (refusal) throw new MigrationError(refusal);
    if (judgement.unknown.length > 0 && judgement.pending.length > 0) {
      // Only mixed branches get here: applying older migrations after newer ones is no upgrade.
      throw new MigrationError(
        `the store's schema has migrations this tapflow does not know (${migrationList(judgement.unknown)}) but lacks ` +
          `${migrationList(judgement.pending)}, which it has: migrate it with the tapflow that knows them all`,
      );
    }
    // The `requires` column came with migration 13; a migration applied before it in this pass is recorded without.
    let recordsRequires = applied.some((m) => m.id === REQUIRES_MIGRATION);
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (!judgement.pending.includes(migration.id)) continue;
      try {
        await client.query(migration.sql);
      } catch (err) {
        throw new MigrationError(
          `migration ${String(migration.id).padStart(3, '0')}-${migration.name} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      if (migration.id === REQUIRES_MIGRATION) recordsRequires = true;
      if (recordsRequires) await insertMigration(client, { id: migration.id, name: migration.name, requires: migration.requires ?? 0 });
      else await client.query('INSERT INTO tapflow.migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      done.push(migration.id);
    }
    await client.query('COMMIT');
    return { applied: done, version: Math.max(judgement.version, ...done) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
