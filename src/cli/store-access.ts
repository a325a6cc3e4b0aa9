/**
 * Opening the run store for one command: `DATABASE_URL`, else the store `tapflow dev` runs on this
 * machine (port `TAPFLOW_STORE_PORT`, default 7432). A short connection timeout, the pool closed
 * afterwards, and a store that cannot be read turned into one clear line.
 */
import { findDevStack } from '../devstack/dev-stack-file';
import { devStoreUrl } from '../devstack/dev-store';
import { StoreOpenError } from '../store/open-store';
import { StoreUnavailableError } from '../store/errors';
import { createPool, describeConnectionError, isConnectionError, redactUrl, type Queryable } from '../store/pool';

/** How long a command waits for the store to accept a connection. */
export const STORE_CONNECT_TIMEOUT_MS = 5000;

/**
 * The store could not be read (not reachable, or not a tapflow store). The message is one line;
 * the command line prints it as is and exits 1.
 */
export class StoreReadError extends StoreOpenError {
  constructor(message: string) {
    super(message);
  }
}

/**
 * The URL of the store commands read: `DATABASE_URL`, else the dev store on
 * `TAPFLOW_STORE_PORT`, else on the port a running `tapflow dev` says, else on 7432.
 */
export function commandStoreUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const port = Number(env.TAPFLOW_STORE_PORT ?? '');
  if (Number.isInteger(port) && port > 0 && port < 65536) return devStoreUrl(port);
  return devStoreUrl(findDevStack(env)?.info.storePort);
}

/**
 * Runs `fn` against the store and closes the connection afterwards.
 *
 * @param url the store's URL. Default: {@link commandStoreUrl}.
 * @throws {StoreReadError} when the store cannot be reached or holds no tapflow schema.
 * @throws whatever else `fn` throws.
 */
export async function withStore<T>(fn: (db: Queryable) => Promise<T>, url: string = commandStoreUrl()): Promise<T> {
  const pool = createPool(url, { max: 2, connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS, applicationName: 'tapflow-cli' });
  try {
    return await fn(pool);
  } catch (err) {
    throw asStoreReadError(err, url) ?? err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * `err` as a {@link StoreReadError} when it means the store at `url` could not be read, else
 * `undefined` (a bug or another kind of failure, left as it is).
 */
export function asStoreReadError(err: unknown, url: string): StoreReadError | undefined {
  if (err instanceof StoreReadError) return err;
  if (err instanceof StoreUnavailableError) return new StoreReadError(err.message);
  const code = (err as { code?: unknown } | undefined)?.code;
  // Besides a lost connection: bad password, no such database.
  if (isConnectionError(err) || code === '28P01' || code === '28000' || code === '3D000') {
    return new StoreReadError(describeConnectionError(err, url));
  }
  // undefined_table, invalid_schema_name: a database that is not (yet) a tapflow store.
  if (code === '42P01' || code === '3F000') {
    return new StoreReadError(
      `the database at ${redactUrl(url)} is not a tapflow store (no tapflow schema); has "tapflow dev" or a worker with DATABASE_URL run against it?`,
    );
  }
  return undefined;
}
