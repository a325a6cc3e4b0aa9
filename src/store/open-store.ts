/**
 * Opens the run store for a process (a worker, the API): connects to the database, runs the
 * migrations (or, when it may not, checks the schema), and starts the recorder that node attempts
 * are written through.
 */
import { isTapflowError, TapflowError } from '../core/errors';
import type { DataConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { storeValueCodec, type StoreValueCodec } from './value-codec';
import { UsageError } from '../core/errors';
import { AttemptRecorder } from './attempt-recorder';
import { RunWriteQueue } from './run-write-queue';
import { migrate } from './migrate';
import { checkSchema } from './schema-check';
import { createPool, describeConnectionError, isConnectionError, redactUrl, withPgClient } from './pool';

/** An open store; close it after the worker has stopped. */
export interface OpenStore {
  pool: Pool;
  /** Where it is, password hidden. */
  displayUrl: string;
  recorder: AttemptRecorder;
  /** Where runs' live changes are written (see `run-write-queue.ts`). */
  runWrites: RunWriteQueue;
  /** How this store keeps the values of runs: encoded by the data converter's codecs, or as they are. */
  valueCodec: StoreValueCodec;
  /** Writes what the recorder and the run write queue still hold, then closes the pool. */
  close(): Promise<void>;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The database: a `postgres://` URL (`DATABASE_URL` for the command line). */
  url: string;
  /**
   * The application's data converter, the same as its workers' and clients'. When it has payload
   * codecs (encryption, say), the store keeps run values encoded by them rather than in the
   * clear (`value-codec.ts` says what stays readable). Default: Temporal's (values as they are).
   */
  dataConverter?: DataConverter;
  /** How long to keep trying to reach the database at start, in ms. Default: 30 s. */
  connectTimeoutMs?: number;
  /**
   * The attempt recorder's `lingerMs`: how long an attempt waits for others before its batch is
   * written. Default: `TAPFLOW_RECORD_LINGER_MS`, else the recorder's default (10 ms). Longer
   * means fewer statements and later live progress.
   */
  recorderLingerMs?: number;
  /**
   * Whether to apply the store's migrations at open. `false` for a database user that may not
   * change the schema: the schema is then only checked (every migration this tapflow has applied,
   * every newer one compatible), and a schema that is behind fails with one line naming
   * `tapflow store migrate`. Default: `TAPFLOW_STORE_MIGRATE` (`true` or `false`), else `true`.
   */
  migrate?: boolean;
}

/** Most a recorder may linger, in ms, when set from the environment. */
const MAX_LINGER_MS = 60_000;

/**
 * `TAPFLOW_RECORD_LINGER_MS`, or `undefined` when unset.
 *
 * @throws {UsageError} when it is not a whole number of milliseconds from 0 to 60,000.
 */
export function recorderLingerFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.TAPFLOW_RECORD_LINGER_MS;
  if (text === undefined || text.trim() === '') return undefined;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(ms >= 0 && ms <= MAX_LINGER_MS)) {
    throw new UsageError(`TAPFLOW_RECORD_LINGER_MS: "${text}" is not a whole number of milliseconds from 0 to ${MAX_LINGER_MS}`);
  }
  return ms;
}

/**
 * `TAPFLOW_STORE_MIGRATE`: `true`/`false` (also `1`/`0`, `yes`/`no`), or `undefined` when unset.
 *
 * @throws {UsageError} for any other value.
 */
export function migrateFromEnv(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const text = env.TAPFLOW_STORE_MIGRATE?.trim().toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new UsageError(`TAPFLOW_STORE_MIGRATE: "${env.TAPFLOW_STORE_MIGRATE}" is not true or false`);
}

/** The store could not be opened; the message is one line. */
export class StoreOpenError extends TapflowError {
  readonly code = 'store_open';

  constructor(message: string) {
    super(message);
  }
}

/**
 * Opens the store and brings its schema up to date (or, with `migrate: false`, checks it is). A
 * running worker rides out a store outage (records wait in the recorder), but it starts only once
 * the database has answered: the migrations must have run before anything is written.
 *
 * @throws {StoreOpenError} when the database does not answer within `connectTimeoutMs`.
 * @throws {MigrationError} when the schema needs a newer tapflow, or (with `migrate: false`) is
 *   behind this one; a migration that failed.
 * @throws {UsageError} for a bad `TAPFLOW_RECORD_LINGER_MS` or `TAPFLOW_STORE_MIGRATE`.
 */
export async function openStore(options: OpenStoreOptions): Promise<OpenStore> {
  const lingerMs = options.recorderLingerMs ?? recorderLingerFromEnv();
  const mayMigrate = options.migrate ?? migrateFromEnv() ?? true;
  const url = options.url;
  if (!url) throw new StoreOpenError('no store: set DATABASE_URL to a postgres:// URL');
  const pool = createPool(url, { applicationName: 'tapflow-worker' });
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  for (;;) {
    try {
      await withPgClient<unknown>(pool, (client) => (mayMigrate ? migrate(client) : checkSchema(client)));
      break;
    } catch (err) {
      if (isTapflowError(err, 'migration')) {
        await pool.end().catch(() => undefined);
        throw err;
      }
      if (!isConnectionError(err) || Date.now() > deadline) {
        await pool.end().catch(() => undefined);
        throw new StoreOpenError(describeConnectionError(err, url));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const valueCodec = storeValueCodec(options.dataConverter);
  const recorder = new AttemptRecorder(pool, {
    valueCodec,
    warn: (m) => process.stderr.write(`${m}\n`),
    ...(lingerMs === undefined ? {} : { lingerMs }),
  });
  recorder.start();
  const runWrites = new RunWriteQueue(pool, { valueCodec, warn: (m) => process.stderr.write(`${m}\n`) });
  return {
    pool,
    displayUrl: redactUrl(url),
    recorder,
    runWrites,
    valueCodec,
    async close() {
      await Promise.all([recorder.drain(), runWrites.drain()]);
      await pool.end().catch(() => undefined);
    },
  };
}
