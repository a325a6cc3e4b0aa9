/**
 * Migrations: applied on an empty database, a no-op the second time, safe when several processes
 * run them at once, all-or-nothing; rolling deploys: an older tapflow works with a schema a newer
 * one migrated while every migration it does not know is expand-only (or requires no more than it
 * knows), and refuses with one line otherwise; and a process that may not migrate only checks.
 */
import { Client } from 'pg';
import { MigrationError } from '../../src/store/errors';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS, type Migration } from '../../src/store/migrations';
import { openStore } from '../../src/store/open-store';
import { checkSchema } from '../../src/store/schema-check';
import { getRun } from '../../src/store/sql/get-run';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest({ migrated: false });
// The newest migration's number (numbers are taken in order by parallel work, so count none).
const LATEST = Math.max(...MIGRATIONS.map((m) => m.id));
const ALL = MIGRATIONS.map((m) => m.id);
const TABLES = [
  'api_tokens', 'attempt_outputs', 'control_actions', 'hosted_activities', 'migrations', 'node_attempts',
  'notification_attempts', 'notification_deliveries', 'pipelines', 'run_events', 'runs',
];


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
  expect(rows[0].n).toBe(MIGRATIONS.length);
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

it('refuses a database migrated by a newer tapflow that did not say it is compatible, changing nothing', async () => {
  const client = await connect();
  try {
    await migrate(client);
    // A row without `requires` (as a tapflow before migration 13 wrote them) reads as needing itself.
    await client.query(`INSERT INTO tapflow.migrations (id, name) VALUES (99, 'future')`);
    await expect(migrate(client)).rejects.toThrow(
      new MigrationError(
        `the store's schema is at migration 99, which needs a tapflow that knows migration 99 (this one knows up to ${LATEST}; not compatible: 99): upgrade tapflow`,
      ),
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

describe('rolling deploys', () => {
  it('an older tapflow works with a newer schema while the migrations it does not know are compatible with it, and refuses with one line once not', async () => {
    // Three later releases' migrations: two expand-only; a contract dropping a column only
    // tapflows before LATEST + 1 used; a contract dropping a column every earlier tapflow writes.
    const expandOnly: Migration[] = [
      { id: LATEST + 1, name: 'labels', sql: 'CREATE TABLE tapflow.labels (workflow_id text NOT NULL, label text NOT NULL)' },
      { id: LATEST + 2, name: 'run-note', sql: 'ALTER TABLE tapflow.runs ADD COLUMN note text' },
    ];
    const dropPlots: Migration = { id: LATEST + 3, name: 'drop-plots', sql: 'ALTER TABLE tapflow.runs DROP COLUMN plots', requires: LATEST + 1 };
    const dropSite: Migration = { id: LATEST + 4, name: 'drop-site', sql: 'ALTER TABLE tapflow.runs DROP COLUMN site', requires: LATEST + 4 };
    const refusal = (version: number, needs: number, known: number, blocking: string): MigrationError =>
      new MigrationError(
        `the store's schema is at migration ${version}, which needs a tapflow that knows migration ${needs} (this one knows up to ${known}; not compatible: ${blocking}): upgrade tapflow`,
      );
    const client = await connect();
    try {
      expect(await migrate(client, { migrations: [...MIGRATIONS, ...expandOnly] })).toEqual({ applied: [...ALL, LATEST + 1, LATEST + 2], version: LATEST + 2 });
      // This tapflow is the older one now: it migrates nothing, checks, reads and writes.
      expect(await migrate(client)).toEqual({ applied: [], version: LATEST + 2 });
      expect(await checkSchema(client)).toMatchObject({ version: LATEST + 2, known: LATEST, pending: [], unknown: [LATEST + 1, LATEST + 2], blocking: [] });
      await upsertRun(client, { workflowId: 'old-writer', pipeline: 'p', state: 'completed', site: 'lab' });
      expect(await getRun(client, 'old-writer')).toMatchObject({ state: 'completed', site: 'lab' });

      // A contract that requires LATEST + 1: a tapflow that knows it works, this one is refused.
      await migrate(client, { migrations: [...MIGRATIONS, ...expandOnly, dropPlots] });
      expect(await migrate(client, { migrations: [...MIGRATIONS, expandOnly[0] as Migration] })).toEqual({ applied: [], version: LATEST + 3 });
      await expect(migrate(client)).rejects.toThrow(refusal(LATEST + 3, LATEST + 1, LATEST, `${LATEST + 3}`));
      await expect(checkSchema(client)).rejects.toThrow(refusal(LATEST + 3, LATEST + 1, LATEST, `${LATEST + 3}`));

      // A contract that requires itself: only a tapflow that knows it works.
      await migrate(client, { migrations: [...MIGRATIONS, ...expandOnly, dropPlots, dropSite] });
      await expect(migrate(client, { migrations: [...MIGRATIONS, ...expandOnly, dropPlots] })).rejects.toThrow(refusal(LATEST + 4, LATEST + 4, LATEST + 3, `${LATEST + 4}`));
      await expect(migrate(client)).rejects.toThrow(refusal(LATEST + 4, LATEST + 4, LATEST, `${LATEST + 3}, ${LATEST + 4}`));
    } finally {
      await client.end();
    }
    const { rows } = await t.db.pool.query('SELECT id, requires FROM tapflow.migrations WHERE id >= 10 ORDER BY id');
    // Rows from before migration 13 need themselves; expand-only migrations need nothing.
    expect(rows).toEqual([
      { id: 10, requires: 10 },
      { id: 11, requires: 11 },
      { id: 12, requires: 12 },
      { id: 13, requires: 0 },
      { id: LATEST + 1, requires: 0 },
      { id: LATEST + 2, requires: 0 },
      { id: LATEST + 3, requires: LATEST + 1 },
      { id: LATEST + 4, requires: LATEST + 4 },
    ]);
  });

  it("a store migrated before migration 13 gets it, its rows needing themselves; older tapflows' rows are refused by number", async () => {
    const client = await connect();
    try {
      const before13 = MIGRATIONS.filter((m) => m.id < 13);
      await migrate(client, { migrations: before13 });
      // A tapflow that knows only the first five refuses a schema from before the rule.
      await expect(migrate(client, { migrations: MIGRATIONS.slice(0, 5) })).rejects.toThrow(
        /^the store's schema is at migration 12, which needs a tapflow that knows migration 12 \(this one knows up to 5; not compatible: 6, 7, 8, 9, 10, 11, 12\): upgrade tapflow$/,
      );
      expect(await migrate(client)).toEqual({ applied: [13], version: LATEST });
    } finally {
      await client.end();
    }
    const { rows } = await t.db.pool.query('SELECT id, requires FROM tapflow.migrations ORDER BY id');
    expect(rows).toEqual([...MIGRATIONS.filter((m) => m.id < 13).map((m) => ({ id: m.id, requires: m.id })), { id: 13, requires: 0 }]);
  });
});

it('a process that may not migrate only checks: an empty or lagging schema is one line naming tapflow store migrate, a current one opens', async () => {
  const hint = 'run "tapflow store migrate" (as a database user that may change the schema)';
  await expect(openStore({ url: t.db.url, migrate: false })).rejects.toThrow(new MigrationError(`the store has no tapflow schema yet: ${hint}`));
  expect((await t.db.pool.query(`SELECT to_regnamespace('tapflow') AS schema`)).rows).toEqual([{ schema: null }]);

  const client = await connect();
  const saved = process.env.TAPFLOW_STORE_MIGRATE;
  try {
    await migrate(client, { migrations: MIGRATIONS.filter((m) => m.id < 13) });
    process.env.TAPFLOW_STORE_MIGRATE = 'false';
    await expect(openStore({ url: t.db.url })).rejects.toThrow(
      new MigrationError(`the store's schema is at migration 12 and lacks 13, which this tapflow needs: ${hint}`),
    );
    expect((await t.db.pool.query('SELECT max(id) AS newest FROM tapflow.migrations')).rows).toEqual([{ newest: 12 }]);
    await migrate(client);
    const store = await openStore({ url: t.db.url });
    await store.close();
  } finally {
    if (saved === undefined) delete process.env.TAPFLOW_STORE_MIGRATE;
    else process.env.TAPFLOW_STORE_MIGRATE = saved;
    await client.end();
  }
});
