/**
 * The pool: one clear line when the store cannot be reached, connections given back (or dropped
 * when broken), and the classification of connection errors that a writer retries.
 */
import { createServer } from 'node:net';
import { StoreConfigError, StoreUnavailableError } from '../../src/store/errors';
import { checkStore, createPool, isConnectionError, makeWithPgClient, redactUrl, withPgClient } from '../../src/store/pool';
import { jsonParam } from '../../src/store/sql/params';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest({ migrated: false });


/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

async function unreachable(url: string): Promise<StoreUnavailableError> {
  const pool = createPool(url, { connectionTimeoutMillis: 5_000 });
  try {
    const error = await checkStore(pool).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    return error as StoreUnavailableError;
  } finally {
    await pool.end();
  }
}

describe('when the store cannot be reached', () => {
  it('says so in one line naming the server without its password', async () => {
    const port = await closedPort();
    const error = await unreachable(`postgres://tapflow:s3cret-pw@127.0.0.1:${port}/tapflow`);
    expect(error.message).toBe(`cannot reach the store at postgres://tapflow:***@127.0.0.1:${port}/tapflow: connection refused (is PostgreSQL running?)`);
    expect(isConnectionError(error)).toBe(true);
  });

  it('says when the password is wrong', async () => {
    const url = new URL(t.db.url);
    url.password = 'wrong';
    const error = await unreachable(url.toString());
    expect(error.message).toMatch(/: authentication failed \(check the user and password\)$/);
    expect(error.message).not.toContain('wrong');
  });

  it('says when the database does not exist', async () => {
    const error = await unreachable(t.server.urlFor('no_such_db'));
    expect(error.message).toMatch(/\/no_such_db: no such database$/);
  });

  it('says when no store is configured', () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect(() => createPool()).toThrow(new StoreConfigError('no store configured: set DATABASE_URL to a postgres:// URL'));
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it('takes DATABASE_URL by default', async () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = t.db.url;
    const pool = createPool();
    try {
      const { rows } = await pool.query('SELECT current_database() AS db');
      expect(t.db.url.endsWith(`/${rows[0].db}`)).toBe(true);
    } finally {
      await pool.end();
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});

describe('withPgClient', () => {
  it('returns what the function returns and gives the connection back', async () => {
    const withClient = makeWithPgClient(t.db.pool);
    expect(await withClient(async (client) => (await client.query('SELECT 41 + 1 AS n')).rows[0].n)).toBe(42);
    expect(t.db.pool.totalCount).toBe(1);
    expect(t.db.pool.idleCount).toBe(1);
  });

  it('gives the connection back when the function throws a statement error', async () => {
    await expect(withPgClient(t.db.pool, (client) => client.query('SELECT no_such_column'))).rejects.toThrow(/no_such_column/);
    expect(t.db.pool.idleCount).toBe(t.db.pool.totalCount);
    expect(t.db.pool.totalCount).toBe(1);
  });

  it('drops a connection that broke instead of giving it back', async () => {
    const error = await withPgClient(t.db.pool, (client) => client.query('SELECT pg_terminate_backend(pg_backend_pid())')).catch(
      (err: unknown) => err,
    );
    expect(isConnectionError(error)).toBe(true);
    expect(t.db.pool.totalCount).toBe(0);
    // The next borrower gets a fresh connection.
    expect(await withPgClient(t.db.pool, async (client) => (await client.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
  });

  it('survives the connection breaking while the function holds it, between two statements', async () => {
    // As when PostgreSQL stops in the middle of a transaction: the socket ends while no query is
    // running. Without a listener the client's 'error' event would end the process.
    const error = await withPgClient(t.db.pool, async (client) => {
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const ended = new Promise((resolve) => client.once('end', resolve));
      await t.db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await ended;
      return client.query('SELECT 1');
    }).catch((err: unknown) => err);
    expect(isConnectionError(error)).toBe(true);
    // The broken connection was dropped, not given back: only the one the terminate used is left.
    expect(t.db.pool.totalCount).toBe(1);
    expect(await withPgClient(t.db.pool, async (client) => (await client.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
  });

  it('survives idle connections broken by the server, reporting them to onIdleError', async () => {
    const idleErrors: Error[] = [];
    const pool = createPool(t.db.url, { onIdleError: (err) => idleErrors.push(err) });
    try {
      await pool.query('SELECT 1');
      expect(pool.idleCount).toBe(1);
      await t.db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tapflow' AND pid <> pg_backend_pid() AND datname = current_database()`);
      // The idle connection hears of its end: reported, and dropped from the pool, with no
      // unhandled 'error' event to end the process.
      await eventually('the idle connection error', () => (idleErrors.length > 0 ? true : undefined));
      expect(isConnectionError(idleErrors[0])).toBe(true);
      expect(pool.totalCount).toBe(0);
      // The next query gets a new connection.
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});

describe('helpers', () => {
  it('tells connection errors from statement errors', async () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    const statementError = await t.db.pool.query('SELECT 1/0').catch((err: unknown) => err);
    expect(isConnectionError(statementError)).toBe(false);
    expect(isConnectionError('not an error')).toBe(false);
  });

  it('redacts passwords from URLs', () => {
    expect(redactUrl('postgres://u:p%40ss@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://h/db')).toBe('postgres://h/db');
  });

  it('serialises JSON parameters, replacing only real NUL characters', () => {
    expect(jsonParam(undefined)).toBeNull();
    expect(jsonParam(null)).toBe('null');
    expect(jsonParam([1, 2])).toBe('[1,2]');
    expect(jsonParam('a\u0000b')).toBe('"a\\ufffdb"');
    // A backslash followed by "u0000" is text, not a NUL.
    expect(jsonParam('C:\\u0000')).toBe(JSON.stringify('C:\\u0000'));
    expect(jsonParam('\\\u0000')).toBe('"\\\\\\ufffd"');
  });
});
