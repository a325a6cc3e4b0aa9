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
const LATEST = MIGRATIONS.length;
const ALL = MIGRATIONS.map((m) => m.id);
const TABLES = ['api_tokens', 'attempt_outputs', 'control_actions', 'hosted_activities', 'migrations', 'node_attempts', 'pipelines', 'runs'];


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
    expect(await migrate(client)).toEqual({ applied: ALL, version: LATEST });
  } finally {
    await client.end();
  }
  expect(await tables()).toEqual(TABLES);
  const { rows } = await t.db.pool.query('SELECT id, name FROM tapflow.migrations');
  expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, name: m.name })));
});

it('does nothing the second time', async () => {
  const client = await connect();
  try {
    await migrate(client);
    await t.db.pool.query(`INSERT INTO tapflow.runs (workflow_id, pipeline, state) VALUES ('kept', 'p', 'running')`);
    expect(await migrate(client)).toEqual({ applied: [], version: LATEST });
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM tapflow.migrations');
  expect(rows[0].n).toBe(LATEST);
  const runs = await t.db.pool.query(`SELECT workflow_id FROM tapflow.runs`);
  expect(runs.rows).toEqual([{ workflow_id: 'kept' }]);
});

it('lets several processes migrate at once: one applies, the others find nothing to do', async () => {
  const clients = await Promise.all([connect(), connect(), connect(), connect()]);
  try {
    const results = await Promise.all(clients.map((client) => migrate(client)));
    expect(results.map((r) => r.version)).toEqual([LATEST, LATEST, LATEST, LATEST]);
    expect(results.flatMap((r) => r.applied)).toEqual(ALL);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
  expect(await tables()).toEqual(TABLES);
});

it('applies all pending migrations or none', async () => {
  const broken = [...MIGRATIONS, { id: LATEST + 1, name: 'broken', sql: 'CREATE TABLE tapflow.extra (); SELECT no_such_column FROM tapflow.runs' }];
  const client = await connect();
  try {
    const error = await migrate(client, { migrations: broken }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(new RegExp(`^migration ${String(LATEST + 1).padStart(3, '0')}-broken failed: column "no_such_column" does not exist`));
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
      new MigrationError(`the store's schema is at migration 99, newer than this tapflow knows (${LATEST}): upgrade tapflow`),
    );
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query('SELECT id FROM tapflow.migrations ORDER BY id');
  expect(rows).toEqual([...ALL.map((id) => ({ id })), { id: 99 }]);
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

it('upgrades a store at migration 1, keeping its rows; old attempt rows count as written by the worker', async () => {
  const client = await connect();
  try {
    await migrate(client, { migrations: MIGRATIONS.slice(0, 1) });
    await client.query(
      `INSERT INTO tapflow.node_attempts (workflow_id, node_id, attempt, activity, outcome) VALUES ('old', 'a', 1, 'noop', 'completed')`,
    );
    expect(await migrate(client)).toEqual({ applied: ALL.slice(1), version: LATEST });
  } finally {
    await client.end();
  }
  const { rows } = await t.db.pool.query(`SELECT workflow_id, source FROM tapflow.node_attempts`);
  expect(rows).toEqual([{ workflow_id: 'old', source: 'worker' }]);
});
