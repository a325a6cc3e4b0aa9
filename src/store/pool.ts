/**
 * The connection pool to the store, and `withPgClient` to borrow one connection from it
 * (graphile-worker's pattern: statements take a client, callers decide where it comes from).
 */
import { Pool, type ClientBase, type PoolClient, type PoolConfig, type QueryResult, type QueryResultRow } from 'pg';
import { StoreConfigError, StoreUnavailableError } from './errors';
import { isConnectionError } from './connection-errors';

export { isConnectionError } from './connection-errors';

/**
 * What every statement module takes: a `pg` client, a pool client or the pool itself (one
 * statement needs no dedicated connection).
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** Options of {@link createPool}. */
export interface StorePoolOptions {
  /** Most connections open at once. Default: 10. */
  max?: number;
  /** Longest wait for a connection (to open one, or for a free one) before failing. Default: 10 s. */
  connectionTimeoutMillis?: number;
  /** Closes a connection idle this long. Default: 30 s. */
  idleTimeoutMillis?: number;
  /** Shown in `pg_stat_activity`. Default: `tapflow`. */
  applicationName?: string;
  /**
   * Called with an error on an idle connection (the server restarted or went away). The pool
   * drops that connection and opens a new one when next needed. Default: ignore.
   */
  onIdleError?: (err: Error) => void;
}

/**
 * A pool of connections to the store at `url`.
 *
 * An idle connection that breaks (PostgreSQL restarting) is dropped, never an unhandled `error`
 * event that would end the process. Nothing connects until the first query: call
 * {@link checkStore} to fail early with a clear message.
 *
 * @param url a `postgres://` URL. Default: the `DATABASE_URL` environment variable.
 * @throws {StoreConfigError} when there is no URL.
 */
export function createPool(url: string | undefined = process.env.DATABASE_URL, options: StorePoolOptions = {}): Pool {
  if (!url) throw new StoreConfigError('no store configured: set DATABASE_URL to a postgres:// URL');
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    application_name: options.applicationName ?? 'tapflow',
    // Notice a server that vanished without closing the socket (a machine gone, a network cut).
    keepAlive: true,
  };
  const pool = new Pool(config);
  const onIdleError = options.onIdleError ?? (() => undefined);
  pool.on('error', (err) => onIdleError(err));
  return pool;
}

/** Runs `fn` with a connection borrowed from a pool; see {@link makeWithPgClient}. */
export type WithPgClient = <T>(fn: (client: PoolClient) => Promise<T>) => Promise<T>;

/**
 * Borrows a connection from `pool` for the length of `fn`, and gives it back even when `fn`
 * throws. A connection that broke during `fn` is closed rather than returned to the pool, and
 * its breaking never ends the process.
 *
 * @throws {StoreUnavailableError} when no connection can be had (the message is one line).
 * @throws whatever `fn` throws.
 */
export async function withPgClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw unavailable(err, pool.options.connectionString);
  }
  let broken: Error | undefined;
  // A borrowed connection has no 'error' listener of the pool's: without this one, a connection
  // that breaks while `fn` holds it (PostgreSQL stopped mid-transaction) would be an unhandled
  // 'error' event, and the process would end. Its queries fail anyway; `fn` sees that.
  const onBroken = (err: Error): void => {
    broken = err;
  };
  client.on('error', onBroken);
  try {
    return await fn(client);
  } catch (err) {
    if (isConnectionError(err)) broken ??= err as Error;
    throw err;
  } finally {
    client.removeListener('error', onBroken);
    client.release(broken);
  }
}

/** {@link withPgClient} bound to `pool`, for code that is handed a way to get a connection. */
export function makeWithPgClient(pool: Pool): WithPgClient {
  return (fn) => withPgClient(pool, fn);
}

/**
 * Checks that the store answers.
 *
 * @throws {StoreUnavailableError} with one line saying which server and why (refused, unknown
 *   host, bad password, no such database, timed out).
 */
export async function checkStore(pool: Pool): Promise<void> {
  await withPgClient(pool, (client: ClientBase) => client.query('SELECT 1'));
}

/**
 * One line explaining why `url` could not be reached, without its password.
 */
export function describeConnectionError(err: unknown, url: string | undefined): string {
  const where = url ? redactUrl(url) : 'the store';
  const e = err as { code?: string; message?: string };
  const why = (() => {
    switch (e.code) {
      case 'ECONNREFUSED':
        return 'connection refused (is PostgreSQL running?)';
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return 'unknown host';
      case 'ETIMEDOUT':
        return 'timed out';
      case '28P01':
      case '28000':
        return 'authentication failed (check the user and password)';
      case '3D000':
        return 'no such database';
      case '57P03':
        return 'the server is starting up or shutting down';
      case '53300':
        return 'too many connections';
      default:
        return (e.message ?? String(err)).split('\n')[0];
    }
  })();
  return `cannot reach the store at ${where}: ${why}`;
}

/** `url` with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

function unavailable(err: unknown, url: string | undefined): StoreUnavailableError {
  return new StoreUnavailableError(describeConnectionError(err, url), { cause: err });
}
