/**
 * The run store on a developer's machine: `DATABASE_URL` when it is set, else an embedded
 * PostgreSQL kept in a data directory (so runs survive a restart) on a fixed loopback port, so
 * commands on the same machine find it without configuration.
 */
import type { DataConverter } from '@temporalio/common';
import { openStore, type OpenStore } from '../store/open-store';
import { DEV_POSTGRES_PORT, startDevPostgres, type EmbeddedPostgres } from './embedded-postgres';

/** An open dev store; `embedded` is set when this process started the database itself. */
export interface DevStore extends OpenStore {
  embedded?: EmbeddedPostgres;
}

/** Options of {@link openDevStore}. */
export interface DevStoreOptions {
  /** A database to use instead of the embedded one (`DATABASE_URL`). */
  url?: string;
  /** Data directory of the embedded database (kept across restarts). */
  dataDir: string;
  /** Port of the embedded database. Default: {@link DEV_POSTGRES_PORT}. */
  port?: number;
  /** The application's data converter (see `openStore`). */
  dataConverter?: DataConverter;
}

/**
 * Opens the store at `url`, or starts the embedded PostgreSQL and opens that. Closing it writes
 * what the recorder holds, closes the pool, then stops the embedded server.
 *
 * @throws {EmbeddedPostgresError} when the embedded server cannot start (the message says why).
 * @throws {StoreOpenError} when the database does not answer.
 */
export async function openDevStore(options: DevStoreOptions): Promise<DevStore> {
  if (options.url) return openStore({ url: options.url, dataConverter: options.dataConverter });
  const embedded = await startDevPostgres({ dataDir: options.dataDir, port: options.port });
  let store: OpenStore;
  try {
    store = await openStore({ url: embedded.url, dataConverter: options.dataConverter });
  } catch (err) {
    await embedded.stop().catch(() => undefined);
    throw err;
  }
  return {
    ...store,
    embedded,
    async close() {
      await store.close();
      await embedded.stop();
    },
  };
}

/**
 * The URL of the store `tapflow dev` starts when `DATABASE_URL` is unset (user and password
 * `tapflow`, loopback only).
 */
export function devStoreUrl(port: number = DEV_POSTGRES_PORT): string {
  return `postgres://tapflow:tapflow@127.0.0.1:${port}/tapflow`;
}
