/**
 * PostgreSQL for tests: one throwaway embedded server per test file, and a fresh database per
 * test on it (CREATE DATABASE with a unique name), migrated unless asked not to be.
 */
import { Client, type Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from '../../src/devstack/embedded-postgres';
import { migrate } from '../../src/store/migrate';
import { createPool, withPgClient } from '../../src/store/pool';

/** A throwaway embedded PostgreSQL on a free port; stop it in `afterAll`. */
export function startTestPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres(options);
}

/** A database of its own for one test. */
export interface TestDatabase {
  url: string;
  pool: Pool;
  /** Closes the pool. The database goes with the server. */
  end(): Promise<void>;
}

/** A new, empty database on `server`, with the store's schema unless `migrated` is false. */
export async function freshDatabase(server: EmbeddedPostgres, { migrated = true } = {}): Promise<TestDatabase> {
  const url = await server.createDatabase();
  const pool = createPool(url, { max: 4 });
  if (migrated) await withPgClient(pool, (client) => migrate(client));
  return { url, pool, end: () => pool.end() };
}

/** What {@link databasePerTest} gives a test file. */
export interface DatabasePerTest {
  /** The file's server. */
  readonly server: EmbeddedPostgres;
  /** The current test's own database. */
  readonly db: TestDatabase;
}

/**
 * Registers the hooks most store tests share: one server for the file, a fresh database for
 * each test (migrated unless `migrated` is false), both closed afterwards.
 */
export function databasePerTest(options: { migrated?: boolean } = {}): DatabasePerTest {
  let server: EmbeddedPostgres | undefined;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    db = await freshDatabase(server as EmbeddedPostgres, options);
  });
  afterEach(async () => {
    await db?.end();
  });
  return {
    get server() {
      if (!server) throw new Error('the test server is not started yet (use it inside a test or hook)');
      return server;
    },
    get db() {
      if (!db) throw new Error('no test database yet (use it inside a test or hook)');
      return db;
    },
  };
}

/** Runs one statement on its own connection to `url` and closes it: for a server under test. */
export async function queryOnce<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}
