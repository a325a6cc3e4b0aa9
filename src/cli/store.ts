/**
 * `tapflow store migrate|purge|delete`: the store's schema, and its own records over time.
 *
 * Exit codes: 0 done; 2 bad input (no or a bad `--older-than`, an unknown run, a run that has not
 * ended), nothing deleted; 1 the store cannot be reached or a migration failed.
 */
import { durationText, parseDurationWithUnit } from '../core/duration';
import { UsageError } from '../core/errors';
import { migrate, type MigrateResult } from '../store/migrate';
import { createPool, redactUrl, withPgClient } from '../store/pool';
import { deleteRunRecords, purgeEndedRecords, DEFAULT_PURGE_BATCH, type DeletedRecords } from '../store/purge';
import { print, printJson, type GlobalOptions } from './io';
import { asStoreReadError, commandStoreUrl, STORE_CONNECT_TIMEOUT_MS, withStore } from './store-access';

/** What `tapflow store migrate --json` prints: the migrations applied (empty when none was pending) and the schema's number. */
export type StoreMigrateJson = MigrateResult;

/** Options of `store purge`, as commander gives them. */
export interface StorePurgeOptions extends GlobalOptions {
  olderThan?: string;
  pipeline?: string;
  dryRun?: boolean;
  batchSize?: string;
}

/**
 * What `tapflow store purge --json` prints. `runs` is how many runs' records went (with
 * `--dry-run`, would go); `records` the rows of each table keyed by run that went with them
 * (`node_attempts`, `attempt_outputs`, `control_actions`, ...); `batches` the statements run (0
 * in a dry run). Times are ISO-8601.
 */
export interface StorePurgeJson {
  dryRun: boolean;
  olderThan: string;
  endedBefore: string;
  pipeline: string | null;
  runs: number;
  records: Record<string, number>;
  batches: number;
}

/** What `tapflow store delete --json` prints: the run, the state it ended in, and the rows deleted (`runs` is 1). */
export interface StoreDeleteJson {
  workflowId: string;
  state: string;
  runs: number;
  records: Record<string, number>;
}

/**
 * Applies the store's pending migrations (as a database user that may change the schema, for
 * deployments whose workers run with `--no-migrate`) and prints what it applied and the version.
 *
 * @throws {StoreReadError} when the store cannot be reached.
 * @throws {MigrationError} when the schema needs a newer tapflow, or a migration failed (nothing applied).
 */
export async function storeMigrateCommand(options: GlobalOptions): Promise<number> {
  const url = commandStoreUrl();
  const pool = createPool(url, { max: 1, connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS, applicationName: 'tapflow-cli' });
  let result: MigrateResult;
  try {
    result = await withPgClient(pool, (client) => migrate(client));
  } catch (err) {
    throw asStoreReadError(err, url) ?? err;
  } finally {
    await pool.end().catch(() => undefined);
  }
  if (options.json) {
    const out: StoreMigrateJson = result;
    printJson(out);
  } else if (result.applied.length === 0) {
    print(`nothing to apply: the store at ${redactUrl(url)} is at migration ${result.version}`);
  } else {
    const s = result.applied.length === 1 ? '' : 's';
    print(`applied migration${s} ${result.applied.join(', ')} to the store at ${redactUrl(url)}: it is at migration ${result.version}`);
  }
  return 0;
}

/**
 * Deletes (with `--dry-run`, counts) the records of runs that ended more than `--older-than` ago,
 * in batches; never a run that has not ended.
 *
 * @throws {UsageError} for no or a bad `--older-than` or `--batch-size`, before the store is opened.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function storePurgeCommand(options: StorePurgeOptions): Promise<number> {
  if (options.olderThan === undefined) throw new UsageError('--older-than: required: delete the records of runs that ended more than this long ago, e.g. 90d');
  const olderThanMs = parseAge('--older-than', options.olderThan);
  const batchSize = options.batchSize === undefined ? DEFAULT_PURGE_BATCH : Number(options.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new UsageError(`--batch-size: must be a whole number from 1 to 10000, got "${options.batchSize}"`);
  }
  if (options.pipeline !== undefined && options.pipeline.trim() === '') throw new UsageError('--pipeline: must not be empty');
  const result = await withStore((db) =>
    purgeEndedRecords(db, {
      olderThanMs,
      batchSize,
      dryRun: options.dryRun === true,
      ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
    }),
  );
  const olderThan = durationText(olderThanMs);
  if (options.json) {
    const out: StorePurgeJson = { ...result, olderThan, endedBefore: result.endedBefore.toISOString() };
    printJson(out);
    return 0;
  }
  const which =
    `${result.runs} run${result.runs === 1 ? '' : 's'}${result.pipeline === null ? '' : ` of pipeline ${JSON.stringify(result.pipeline)}`} ` +
    `that ended more than ${olderThan} ago (before ${result.endedBefore.toISOString()})`;
  if (result.dryRun) {
    print(`would delete the records of ${which}${tableCounts(result)}`, 'dry run: nothing deleted');
  } else {
    const batches = `${result.batches} batch${result.batches === 1 ? '' : 'es'}`;
    print(`deleted the records of ${which}, in ${batches}${tableCounts(result)}`);
  }
  return 0;
}

/**
 * Deletes the store's records of one run that has ended.
 *
 * @throws {RunNotFoundError} when the store has no such run.
 * @throws {ActionRefusedError} when the run has not ended (nothing deleted).
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function storeDeleteCommand(id: string, options: GlobalOptions): Promise<number> {
  const deleted = await withStore((db) => deleteRunRecords(db, id));
  if (options.json) {
    const out: StoreDeleteJson = deleted;
    printJson(out);
    return 0;
  }
  print(`deleted the store's records of run ${id} (${deleted.state})${tableCounts(deleted)}`);
  return 0;
}

/**
 * A duration with a unit (`90d`, `12h`, `1d12h`): a bare number would be milliseconds, which for
 * a deletion is far more likely a slip than meant.
 *
 * @throws {UsageError} naming `flag` otherwise.
 */
export function parseAge(flag: string, text: string): number {
  const ms = parseDurationWithUnit(text);
  if (ms === undefined) throw new UsageError(`${flag}: "${text}" is not a duration with a unit, e.g. 90d, 12h, 30m`);
  return ms;
}

/** `: 40 node_attempts, 2 attempt_outputs, 5 control_actions`, or nothing when no table is keyed by run. */
function tableCounts(deleted: DeletedRecords): string {
  const parts = Object.entries(deleted.records).map(([table, n]) => `${n} ${table}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}
