/**
 * Migrations: applied on an empty database, a no-op the second time, safe when several processes
 * run them at once, all-or-nothing, and refusing a schema newer than this tapflow.
 */
import { Client } from 'pg';
import { MigrationError } from '../../src/store/errors';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest({ migrated: false });


async function connect(): Promise<Client> {
  const client = new Client({ connectionString: t.db.url });
  await client.connect();
  return client;
}

async function tables(): Promise<string[]> {
  const { rows } = await t.db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tapflow' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

it('applies every migration to an empty database and records it', async () => {
  const client = await connect();
  try {
    expect(await migrate(client)).toEqual({ applied: [1], version: 1 });
  } finally {
    await client.end();
  }
  expect(await tables()).toEqual(['control_actions', 'migrations', 'node_attempts', 'runs']);
  const { rows } = await t.db.pool.query('SELECT id, name FROM tapflow.migrations');
  expect(rows).toEqual([{ id: 1, name: 'init' }]);
});

it('does nothing the second time', async () => {
  const client = await connect();
  try {
    await migrate(client);
    await t.db.pool.query(`INSERT INTO tapflow.runs (workflow_id, pipeline, state) VALUES ('kept', 'p', 'running')`);
    expect(await migrate(client)).toEqual({ applied: [], version: 1 });
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM tapflow.migrations');
  expect(rows[0].n).toBe(1);
  const runs = await t.db.pool.query(`SELECT workflow_id FROM tapflow.runs`);
  expect(runs.rows).toEqual([{ workflow_id: 'kept' }]);
});

it('lets several processes migrate at once: one applies, the others find nothing to do', async () => {
  const clients = await Promise.all([connect(), connect(), connect(), connect()]);
  try {
    const results = await Promise.all(clients.map((client) => migrate(client)));
    expect(results.map((r) => r.version)).toEqual([1, 1, 1, 1]);
    expect(results.flatMap((r) => r.applied)).toEqual([1]);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
  expect(await tables()).toEqual(['control_actions', 'migrations', 'node_attempts', 'runs']);
});

it('applies all pending migrations or none', async () => {
  const broken = [...MIGRATIONS, { id: 2, name: 'broken', sql: 'CREATE TABLE tapflow.extra (); SELECT no_such_column FROM tapflow.runs' }];
  const client = await connect();
  try {
    const error = await migrate(client, { migrations: broken }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/^migration 002-broken failed: column "no_such_column" does not exist/);
    // The connection is usable again: the transaction was rolled back.
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query(`SELECT to_regclass('tapflow.runs') AS runs, to_regclass('tapflow.migrations') AS migrations`);
  expect(rows[0]).toEqual({ runs: null, migrations: null });
});

it('refuses a database migrated by a newer tapflow, changing nothing', async () => {
  const client = await connect();
  try {
    await migrate(client);
    await client.query(`INSERT INTO tapflow.migrations (id, name) VALUES (99, 'future')`);
    await expect(migrate(client)).rejects.toThrow(
      new MigrationError(`the store's schema is at migration 99, newer than this tapflow knows (1): upgrade tapflow`),
    );
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query('SELECT id FROM tapflow.migrations ORDER BY id');
  expect(rows).toEqual([{ id: 1 }, { id: 99 }]);
});

it('keeps to its own schema, so the store can share a database', async () => {
  await t.db.pool.query(`CREATE TABLE public.runs (id int); INSERT INTO public.runs VALUES (7)`);
  const client = await connect();
  try {
    await migrate(client);
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query('SELECT id FROM public.runs');
  expect(rows).toEqual([{ id: 7 }]);
});
