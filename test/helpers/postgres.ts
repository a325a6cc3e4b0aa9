/**
 * PostgreSQL for tests: one throwaway embedded server per test file, and a fresh database per
 * test on it (CREATE DATABASE with a unique name), migrated unless asked not to be.
 */
import type { Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from '../../src/store/embedded';
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
