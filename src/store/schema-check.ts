/**
 * Checking, without changing anything, that a store's schema is one this tapflow can work with:
 * what a process that may not migrate (`tapflow worker --no-migrate`) does at start instead.
 */
import { MigrationError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';
import type { Queryable } from './pool';
import { incompatibility, judgeSchema, migrationList, type SchemaJudgement } from './schema-compatibility';
import { listAppliedMigrations } from './sql/list-applied-migrations';

/** What to run when the schema is behind: named in every message that asks for it. */
const MIGRATE_HINT = 'run "tapflow store migrate" (as a database user that may change the schema)';

/**
 * Checks that every migration this tapflow has is applied, and that every applied one it does
 * not know is compatible with it (see `schema-compatibility.ts`). Takes no lock, writes nothing.
 *
 * @param options.migrations the migrations this tapflow knows; default: its own.
 * @returns what was found (the schema's version among it).
 * @throws {MigrationError} with one line: the database has no tapflow schema, or lacks
 *   migrations (naming `tapflow store migrate`), or holds one that needs a newer tapflow.
 * @throws the database's error when it cannot be read.
 */
export async function checkSchema(client: Queryable, options: { migrations?: readonly Migration[] } = {}): Promise<SchemaJudgement> {
  let applied;
  try {
    applied = await listAppliedMigrations(client);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // undefined_table, invalid_schema_name: nothing was ever migrated here.
    if (code === '42P01' || code === '3F000') throw new MigrationError(`the store has no tapflow schema yet: ${MIGRATE_HINT}`);
    throw err;
  }
  const judgement = judgeSchema(applied, options.migrations ?? MIGRATIONS);
  const refusal = incompatibility(judgement);
  if (refusal) throw new MigrationError(refusal);
  if (judgement.pending.length > 0) {
    throw new MigrationError(
      `the store's schema is at migration ${judgement.version} and lacks ${migrationList(judgement.pending)}, which this tapflow needs: ${MIGRATE_HINT}`,
    );
  }
  return judgement;
}
