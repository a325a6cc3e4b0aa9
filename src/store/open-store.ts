/**
 * Opens the run store for a process (a worker, the API): connects to the database, runs the
 * migrations, and starts the recorder that node attempts are written through.
 */
import { TapflowError } from '../core/errors';
import type { DataConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { storeValueCodec, type StoreValueCodec } from './value-codec';
import { UsageError } from '../core/errors';
import { AttemptRecorder } from './attempt-recorder';
import { RunWriteQueue } from './run-write-queue';
import { migrate } from './migrate';
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

/** The store could not be opened; the message is one line. */
export class StoreOpenError extends TapflowError {
  readonly code = 'store_open';

  constructor(message: string) {
    super(message);
  }
}

/**
 * Opens the store and brings its schema up to date. A running worker rides out a store outage
 * (records wait in the recorder), but it starts only once the database has answered: the
 * migrations must have run before anything is written.
 *
 * @throws {StoreOpenError} when the database does not answer within `connectTimeoutMs`.
 * @throws {UsageError} for a bad `TAPFLOW_RECORD_LINGER_MS`.
 */
export async function openStore(options: OpenStoreOptions): Promise<OpenStore> {
  const lingerMs = options.recorderLingerMs ?? recorderLingerFromEnv();
  const url = options.url;
  if (!url) throw new StoreOpenError('no store: set DATABASE_URL to a postgres:// URL');
  const pool = createPool(url, { applicationName: 'tapflow-worker' });
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  for (;;) {
    try {
      await withPgClient(pool, (client) => migrate(client));
      break;
    } catch (err) {
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
