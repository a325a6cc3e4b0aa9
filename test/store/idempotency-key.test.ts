/**
 * The idempotency key on the run's record (migration 003): upgrading a store keeps its runs,
 * upsertRun records the key once and keeps it, the key is unique within a pipeline (not across
 * pipelines, and runs without one are free), a clash never loses the run's record, and
 * findRunByIdempotencyKey finds the run by pipeline and key.
 */
import { Client } from 'pg';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { findRunByIdempotencyKey } from '../../src/store/sql/find-run-by-idempotency-key';
import { getRun } from '../../src/store/sql/get-run';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { databasePerTest } from '../helpers/postgres';

describe('migration 003', () => {
  const t = databasePerTest({ migrated: false });

  it('upgrades a store at migration 2, keeping its runs, which have no key', async () => {
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      await migrate(client, { migrations: MIGRATIONS.filter((m) => m.id <= 2) });
      await client.query(`INSERT INTO tapflow.runs (workflow_id, pipeline, state) VALUES ('old-1', 'p', 'completed'), ('old-2', 'p', 'running')`);
      expect(await migrate(client)).toEqual({ applied: MIGRATIONS.filter((m) => m.id > 2).map((m) => m.id), version: Math.max(...MIGRATIONS.map((m) => m.id)) });
    } finally {
      await client.end();
    }
    const { rows } = await t.db.pool.query(`SELECT workflow_id, idempotency_key FROM tapflow.runs ORDER BY workflow_id`);
    expect(rows).toEqual([
      { workflow_id: 'old-1', idempotency_key: null },
      { workflow_id: 'old-2', idempotency_key: null },
    ]);
    const migrations = await t.db.pool.query(`SELECT id, name FROM tapflow.migrations WHERE id = 3`);
    expect(migrations.rows).toEqual([{ id: 3, name: 'idempotency-key' }]);
  });

  it('makes (pipeline, key) unique where a key is set', async () => {
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      await migrate(client);
    } finally {
      await client.end();
    }
    const insert = (id: string, pipeline: string, key: string | null): Promise<unknown> =>
      t.db.pool.query(`INSERT INTO tapflow.runs (workflow_id, pipeline, state, idempotency_key) VALUES ($1, $2, 'running', $3)`, [id, pipeline, key]);
    await insert('a1', 'a', 'k');
    await insert('b1', 'b', 'k'); // another pipeline: its own key space
    await insert('a2', 'a', null);
    await insert('a3', 'a', null); // runs without a key are not constrained
    await expect(insert('a4', 'a', 'k')).rejects.toMatchObject({ code: '23505', constraint: 'runs_idempotency_key_idx' });
  });
});

describe('recording and finding the key', () => {
  const t = databasePerTest();

  it('records the key with the run and keeps its first value', async () => {
    await upsertRun(t.db.pool, { workflowId: 'p-k1', pipeline: 'p', state: 'running', seq: 1, idempotencyKey: 'k1' });
    await upsertRun(t.db.pool, { workflowId: 'p-k1', pipeline: 'p', state: 'paused', seq: 2 });
    await upsertRun(t.db.pool, { workflowId: 'p-k1', pipeline: 'p', state: 'running', seq: 3, idempotencyKey: 'other' });
    expect(await getRun(t.db.pool, 'p-k1')).toMatchObject({ state: 'running', idempotencyKey: 'k1' });
  });

  it('fills in the key when the first write arrives after a later one', async () => {
    await upsertRun(t.db.pool, { workflowId: 'late', pipeline: 'p', state: 'paused', seq: 2 });
    expect((await getRun(t.db.pool, 'late'))?.idempotencyKey).toBeNull();
    await upsertRun(t.db.pool, { workflowId: 'late', pipeline: 'p', state: 'running', seq: 1, idempotencyKey: 'k-late' });
    expect(await getRun(t.db.pool, 'late')).toMatchObject({ state: 'paused', idempotencyKey: 'k-late' });
  });

  it('records a run whose key another run of the pipeline holds, without the key', async () => {
    await upsertRun(t.db.pool, { workflowId: 'first', pipeline: 'p', state: 'running', idempotencyKey: 'k' });
    expect(await upsertRun(t.db.pool, { workflowId: 'second', pipeline: 'p', state: 'running', tags: ['x'], idempotencyKey: 'k' })).toBe(
      'inserted',
    );
    expect(await getRun(t.db.pool, 'second')).toMatchObject({ state: 'running', tags: ['x'], idempotencyKey: null });
    expect((await getRun(t.db.pool, 'first'))?.idempotencyKey).toBe('k');
  });

  it('still refuses a write that breaks another constraint', async () => {
    await expect(
      upsertRun(t.db.pool, { workflowId: 'bad', pipeline: 'p', state: 'nonsense' as never, idempotencyKey: 'k' }),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('finds a run by pipeline and key, and nothing for another pipeline or key', async () => {
    await upsertRun(t.db.pool, { workflowId: 'a-k', pipeline: 'a', state: 'completed', spec: { name: 'a' }, params: { n: 1 }, idempotencyKey: 'k' });
    await upsertRun(t.db.pool, { workflowId: 'b-k', pipeline: 'b', state: 'running', idempotencyKey: 'k' });
    expect(await findRunByIdempotencyKey(t.db.pool, 'a', 'k')).toMatchObject({
      workflowId: 'a-k',
      pipeline: 'a',
      state: 'completed',
      spec: { name: 'a' },
      params: { n: 1 },
      idempotencyKey: 'k',
    });
    expect((await findRunByIdempotencyKey(t.db.pool, 'b', 'k'))?.workflowId).toBe('b-k');
    expect(await findRunByIdempotencyKey(t.db.pool, 'c', 'k')).toBeUndefined();
    expect(await findRunByIdempotencyKey(t.db.pool, 'a', 'K')).toBeUndefined();
  });
});
