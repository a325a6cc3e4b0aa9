/**
 * Deleting the store's records of runs that ended: many at once by age (`tapflow store purge`, a
 * worker's retention), or one run on request (`tapflow store delete`, `DELETE /api/runs/:id/record`).
 *
 * A run's records are its row in `runs` and its rows in every table keyed by run (a `workflow_id`
 * column: node attempts, large outputs, control actions, ...). A run that has not ended is never
 * touched. Temporal's own history of a run is not the store's: it goes with the namespace's
 * retention.
 */
import { ActionRefusedError, RunNotFoundError } from '../core/errors';
import type { Queryable } from './pool';
import { countEndedRuns } from './sql/count-ended-runs';
import { deleteEndedRun } from './sql/delete-ended-run';
import { getRun } from './sql/get-run';
import { listRunKeyedTables } from './sql/list-run-keyed-tables';
import { purgeEndedRuns } from './sql/purge-ended-runs';
import type { DeletedRecords } from './sql/run-records-deletion';

export type { DeletedRecords } from './sql/run-records-deletion';

/** Runs a purge deletes per statement (and so per transaction) by default. */
export const DEFAULT_PURGE_BATCH = 500;

/** Options of {@link purgeEndedRecords}. */
export interface PurgeOptions {
  /** Runs that ended more than this many ms ago are deleted. */
  olderThanMs: number;
  /** Only runs of this pipeline. Default: every pipeline. */
  pipeline?: string;
  /**
   * Runs per batch: each batch is one statement, so its locks last only as long as it does.
   * Default: {@link DEFAULT_PURGE_BATCH}.
   */
  batchSize?: number;
  /** Count what would go, delete nothing. Default: false. */
  dryRun?: boolean;
  /** The time `olderThanMs` counts back from. Default: now. */
  now?: Date;
}

/** What {@link purgeEndedRecords} deleted (or, in a dry run, would delete). */
export interface PurgeResult extends DeletedRecords {
  dryRun: boolean;
  /** Runs that ended before this time were taken. */
  endedBefore: Date;
  pipeline: string | null;
  /** Statements run (batches); 0 in a dry run. */
  batches: number;
}

/**
 * Deletes the records of every run that ended more than `olderThanMs` ago, a batch at a time,
 * until a batch comes back short. Safe while runs go on: live runs are never chosen, and a batch
 * skips run rows another writer holds rather than waiting for them (the next purge takes them).
 * Safe from several processes at once: each batch takes rows the others do not.
 *
 * @throws the database's error (a batch already committed stays deleted).
 */
export async function purgeEndedRecords(db: Queryable, options: PurgeOptions): Promise<PurgeResult> {
  const endedBefore = new Date((options.now ?? new Date()).getTime() - options.olderThanMs);
  const filter = { endedBefore, ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}) };
  const tables = await listRunKeyedTables(db);
  const base = { endedBefore, pipeline: options.pipeline ?? null };
  if (options.dryRun) return { dryRun: true, ...base, ...(await countEndedRuns(db, tables, filter)), batches: 0 };
  const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH;
  const total: PurgeResult = { dryRun: false, ...base, runs: 0, records: Object.fromEntries(tables.map((t) => [t, 0])), batches: 0 };
  for (;;) {
    const batch = await purgeEndedRuns(db, tables, filter, batchSize);
    total.batches += 1;
    total.runs += batch.runs;
    for (const [table, n] of Object.entries(batch.records)) total.records[table] = (total.records[table] ?? 0) + n;
    if (batch.runs < batchSize) return total;
  }
}

/** What {@link deleteRunRecords} deleted. */
export interface DeletedRun extends DeletedRecords {
  workflowId: string;
  /** The state the run had ended in. */
  state: string;
}

/**
 * Deletes the store's records of one run that has ended, in one statement.
 *
 * @throws {RunNotFoundError} when the store has no row for the run.
 * @throws {ActionRefusedError} when the run has not ended (nothing is deleted).
 */
export async function deleteRunRecords(db: Queryable, workflowId: string): Promise<DeletedRun> {
  const run = await getRun(db, workflowId);
  if (!run) throw new RunNotFoundError(workflowId);
  const deleted = await deleteEndedRun(db, await listRunKeyedTables(db), workflowId);
  if (deleted.runs === 0) {
    // Not ended, or changed or deleted since it was read: say what it is now.
    const now = await getRun(db, workflowId);
    if (!now) throw new RunNotFoundError(workflowId);
    throw new ActionRefusedError(workflowId, `the run is ${now.state}: only the records of a run that has ended can be deleted`);
  }
  return { workflowId, state: run.state, ...deleted };
}
