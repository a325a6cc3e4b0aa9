/**
 * Opens the run store for a process (a worker, `tapflow dev`): connects to `DATABASE_URL`, or
 * starts the embedded PostgreSQL of `tapflow dev`; runs the migrations; starts the recorder
 * that node attempts are written through.
 */
import type { Pool } from 'pg';
import { UsageError } from '../errors';
import { AttemptRecorder } from './attempt-recorder';
import { DEV_POSTGRES_PORT, startDevPostgres, type EmbeddedPostgres } from './embedded';
import { migrate } from './migrate';
import { createPool, describeConnectionError, isConnectionError, redactUrl, withPgClient } from './pool';

/** An open store; close it after the worker has stopped. */
export interface OpenStore {
  pool: Pool;
  /** Where it is, password hidden. */
  displayUrl: string;
  recorder: AttemptRecorder;
  /** Set when this process started the database itself. */
  embedded?: EmbeddedPostgres;
  /** Writes what the recorder still holds, closes the pool, stops an embedded server. */
  close(): Promise<void>;
}

/** Options of {@link openStore}: give `url`, or `embeddedRoot` for the dev database. */
export interface OpenStoreOptions {
  url?: string;
  /** Data directory of an embedded database to start (kept across restarts). */
  embeddedDataDir?: string;
  /** Port of the embedded database. Default: 7432. */
  embeddedPort?: number;
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
export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
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
  let embedded: EmbeddedPostgres | undefined;
  let url = options.url;
  if (!url) {
    if (!options.embeddedDataDir) throw new StoreOpenError('no store: set DATABASE_URL to a postgres:// URL');
    embedded = await startDevPostgres({ dataDir: options.embeddedDataDir, port: options.embeddedPort });
    url = embedded.url;
  }
  const pool = createPool(url, { applicationName: 'tapflow-worker' });
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  for (;;) {
    try {
      await withPgClient(pool, (client) => migrate(client));
      break;
    } catch (err) {
      if (!isConnectionError(err) || Date.now() > deadline) {
        await pool.end().catch(() => undefined);
        await embedded?.stop().catch(() => undefined);
        throw new StoreOpenError(describeConnectionError(err, url));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const recorder = new AttemptRecorder(pool, {
    warn: (m) => process.stderr.write(`${m}\n`),
    ...(lingerMs === undefined ? {} : { lingerMs }),
  });
  recorder.start();
  return {
    pool,
    displayUrl: redactUrl(url),
    recorder,
    embedded,
    async close() {
      await recorder.drain();
      await pool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}

/**
 * The URL of the store `tapflow dev` starts when `DATABASE_URL` is unset (user and password
 * `tapflow`, loopback only), so commands on the same machine find it without configuration.
 */
export function devStoreUrl(port: number = DEV_POSTGRES_PORT): string {
  return `postgres://tapflow:tapflow@127.0.0.1:${port}/tapflow`;
}
