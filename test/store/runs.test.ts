/**
 * upsertRun and getRun: every field round-trips; a duplicate changes nothing; a final state is
 * never undone; stale writes (lower seq, earlier attempt) change nothing; times never move back.
 */
import { getRun } from '../../src/store/sql/get-run';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { RunRecord, RunWrite } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();


const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:05:00.000Z');
const T2 = new Date('2025-03-01T10:09:00.000Z');
const T3 = new Date('2025-03-01T11:00:00.000Z');

const base: RunWrite = { workflowId: 'wf', pipeline: 'thumbnails', state: 'running' };

async function run(id = 'wf'): Promise<RunRecord> {
  const found = await getRun(t.db.pool, id);
  if (!found) throw new Error(`no run ${id}`);
  return found;
}

describe('round trip', () => {
  it('keeps every field of a run', async () => {
    const write: RunWrite = {
      workflowId: 'wf-all',
      firstRunId: 'run-0001',
      pipeline: 'header-localization',
      spec: { name: 'header-localization', nodes: [{ id: 'a', activity: 'fetch' }] },
      params: [1, 'two', { three: 3 }],
      result: { report: { ok: true } },
      products: ['/data/out/a.fits', '/data/out/b.fits'],
      plots: ['/data/plots/a.png'],
      tags: ['frb', 'nightly'],
      groups: ['localization', 'ops'],
      userName: 'alice',
      site: 'chime',
      event: [12345, 67890],
      priority: 2,
      timeoutMs: 30 * 24 * 3600 * 1000, // a month: past 32-bit milliseconds
      retries: 2,
      attempt: 1,
      seq: 7,
      state: 'completed',
      reason: 'all nodes completed',
      progressCompleted: 4,
      progressSkipped: 1,
      progressTotal: 5,
      executionRunId: 'run-0002',
      executionStartedAt: T1,
      nodes: [{ id: 'a', activity: 'fetch', needs: [], state: 'completed', attempts: 2, error: 'flaky' }],
      idempotencyKey: 'order-1234',
      rerunOf: 'wf-earlier',
      pipelineVersion: 4,
      scheduleId: 'nightly',
      createdAt: T0,
      startedAt: T1,
      finishedAt: T2.toISOString(),
    };
    expect(await upsertRun(t.db.pool, write)).toBe('inserted');
    const stored = await run('wf-all');
    const { updatedAt, ...rest } = stored;
    expect(updatedAt).toBeInstanceOf(Date);
    expect(rest).toEqual({ ...write, finishedAt: T2, createdAt: T0, startedAt: T1, executionStartedAt: T1 });
  });

  it('fills defaults for what the first write leaves out', async () => {
    await upsertRun(t.db.pool, base);
    const stored = await run();
    expect(stored).toMatchObject({
      firstRunId: null,
      spec: null,
      params: null,
      result: null,
      products: [],
      plots: [],
      tags: [],
      groups: [],
      userName: null,
      event: null,
      priority: null,
      timeoutMs: null,
      attempt: 1,
      seq: 0,
      progressCompleted: 0,
      progressTotal: 0,
      startedAt: null,
      finishedAt: null,
      idempotencyKey: null,
    });
    expect(stored.createdAt).toBeInstanceOf(Date);
    expect(stored.createdAt.getTime() % 1).toBe(0);
  });

  it('keeps JSON values as they were: strings, arrays, null, and text with NUL characters', async () => {
    await upsertRun(t.db.pool, { ...base, params: 'just a string', result: null, event: ['a'] });
    expect(await run()).toMatchObject({ params: 'just a string', result: null, event: ['a'] });
    await upsertRun(t.db.pool, { ...base, workflowId: 'nul', result: { text: 'a\u0000b', path: 'C:\\u0000' } });
    expect((await run('nul')).result).toEqual({ text: 'a\uFFFDb', path: 'C:\\u0000' });
  });

  it('answers undefined for a run it does not have', async () => {
    expect(await getRun(t.db.pool, 'nope')).toBeUndefined();
  });

  it('refuses a state that is not a run state', async () => {
    await expect(upsertRun(t.db.pool, { ...base, state: 'bogus' as never })).rejects.toThrow(/runs_state_check/);
  });
});

describe('duplicate delivery', () => {
  it('changes nothing, not even updatedAt', async () => {
    const write: RunWrite = { ...base, tags: ['a'], progressCompleted: 1, progressTotal: 3, startedAt: T1 };
    expect(await upsertRun(t.db.pool, write)).toBe('inserted');
    const before = await run();
    expect(await upsertRun(t.db.pool, write)).toBe('unchanged');
    expect(await run()).toEqual(before);
  });

  it('changes what is new and keeps what a write leaves out', async () => {
    await upsertRun(t.db.pool, { ...base, tags: ['a'], userName: 'alice', progressTotal: 3 });
    expect(await upsertRun(t.db.pool, { ...base, progressCompleted: 2 })).toBe('updated');
    expect(await run()).toMatchObject({ tags: ['a'], userName: 'alice', progressCompleted: 2, progressTotal: 3 });
    await upsertRun(t.db.pool, { ...base, tags: [] });
    expect((await run()).tags).toEqual([]);
  });
});

describe('state', () => {
  it('never moves a final state back to a non-final one', async () => {
    await upsertRun(t.db.pool, { ...base, state: 'completed', finishedAt: T2, result: { a: 1 }, progressCompleted: 4 });
    for (const state of ['running', 'paused', 'pausing', 'cancelling', 'held'] as const) {
      expect(await upsertRun(t.db.pool, { ...base, state, progressCompleted: 2, result: { stale: true } })).toBe('unchanged');
    }
    expect(await run()).toMatchObject({ state: 'completed', finishedAt: T2, result: { a: 1 }, progressCompleted: 4 });
  });

  it('does not replace one final state with another', async () => {
    await upsertRun(t.db.pool, { ...base, state: 'cancelled', reason: 'operator' });
    expect(await upsertRun(t.db.pool, { ...base, state: 'completed' })).toBe('unchanged');
    expect(await run()).toMatchObject({ state: 'cancelled', reason: 'operator' });
  });

  it('lets a write with the same final state fill in what was missing', async () => {
    await upsertRun(t.db.pool, { ...base, state: 'completed' });
    expect(await upsertRun(t.db.pool, { ...base, state: 'completed', result: { a: 1 }, products: ['x.fits'] })).toBe('updated');
    expect(await run()).toMatchObject({ state: 'completed', result: { a: 1 }, products: ['x.fits'] });
  });

  it('moves between non-final states, and the reason follows the state', async () => {
    await upsertRun(t.db.pool, { ...base, state: 'pausing', reason: 'maintenance' });
    await upsertRun(t.db.pool, { ...base, state: 'paused' });
    expect(await run()).toMatchObject({ state: 'paused', reason: null });
    await upsertRun(t.db.pool, { ...base, state: 'paused', reason: 'maintenance' });
    await upsertRun(t.db.pool, { ...base, state: 'paused', progressCompleted: 1 });
    expect(await run()).toMatchObject({ state: 'paused', reason: 'maintenance' });
    await upsertRun(t.db.pool, { ...base, state: 'running' });
    expect(await run()).toMatchObject({ state: 'running', reason: null });
  });

  it('ignores a write with a lower seq than the stored one', async () => {
    await upsertRun(t.db.pool, { ...base, state: 'paused', seq: 5, progressCompleted: 3 });
    expect(await upsertRun(t.db.pool, { ...base, state: 'running', seq: 4, progressCompleted: 2 })).toBe('unchanged');
    expect(await run()).toMatchObject({ state: 'paused', seq: 5, progressCompleted: 3 });
    expect(await upsertRun(t.db.pool, { ...base, state: 'running', seq: 6 })).toBe('updated');
    expect(await run()).toMatchObject({ state: 'running', seq: 6, progressCompleted: 3 });
    // A writer that does not number its writes keeps the stored order.
    expect(await upsertRun(t.db.pool, { ...base, state: 'paused' })).toBe('updated');
    expect(await run()).toMatchObject({ state: 'paused', seq: 6 });
  });

  it('lets a new attempt of the whole run start over, and ignores the old attempt afterwards', async () => {
    await upsertRun(t.db.pool, {
      ...base,
      state: 'failed',
      reason: 'node b failed',
      startedAt: T0,
      finishedAt: T1,
      result: { partial: true },
      progressCompleted: 2,
      progressTotal: 4,
      seq: 9,
    });
    expect(await upsertRun(t.db.pool, { ...base, attempt: 2, state: 'running', startedAt: T2, progressTotal: 4 })).toBe('updated');
    expect(await run()).toMatchObject({
      attempt: 2,
      seq: 0,
      state: 'running',
      reason: null,
      result: null,
      startedAt: T2,
      finishedAt: null,
      progressCompleted: 0,
      progressTotal: 4,
    });
    expect(await upsertRun(t.db.pool, { ...base, attempt: 1, state: 'failed', reason: 'late' })).toBe('unchanged');
    expect(await run()).toMatchObject({ attempt: 2, state: 'running' });
  });
});

describe('times and identity', () => {
  it('never moves a time backwards: the first start and finish of an attempt stay', async () => {
    await upsertRun(t.db.pool, { ...base, createdAt: T1, startedAt: T1 });
    await upsertRun(t.db.pool, { ...base, createdAt: T0, startedAt: T0 });
    await upsertRun(t.db.pool, { ...base, createdAt: T3, startedAt: T2 });
    expect(await run()).toMatchObject({ createdAt: T1, startedAt: T1 });
    await upsertRun(t.db.pool, { ...base, state: 'completed', finishedAt: T2 });
    await upsertRun(t.db.pool, { ...base, state: 'completed', finishedAt: T3 });
    await upsertRun(t.db.pool, { ...base, state: 'completed', finishedAt: T1 });
    expect((await run()).finishedAt).toEqual(T2);
  });

  it('never moves updatedAt backwards', async () => {
    await upsertRun(t.db.pool, base);
    const first = (await run()).updatedAt;
    // As if the database's clock went back a day after this write: set updated_at a day ahead,
    // past the trigger that maintains it (replica mode fires no ordinary triggers).
    await t.db.pool.query(
      `BEGIN; SET LOCAL session_replication_role = replica;
       UPDATE tapflow.runs SET updated_at = now() + interval '1 day'; COMMIT`,
    );
    const ahead = (await run()).updatedAt;
    expect(ahead.getTime()).toBeGreaterThan(first.getTime());
    await upsertRun(t.db.pool, { ...base, progressCompleted: 1 });
    expect((await run()).updatedAt).toEqual(ahead);
  });

  it('keeps the first pipeline, spec, params and first run id', async () => {
    await upsertRun(t.db.pool, { ...base, firstRunId: 'r1', spec: { v: 1 }, params: { p: 1 } });
    await upsertRun(t.db.pool, { ...base, pipeline: 'other', firstRunId: 'r2', spec: { v: 2 }, params: { p: 2 }, progressCompleted: 1 });
    expect(await run()).toMatchObject({ pipeline: 'thumbnails', firstRunId: 'r1', spec: { v: 1 }, params: { p: 1 }, progressCompleted: 1 });
  });

  it('fills in a first run id the first write did not know', async () => {
    await upsertRun(t.db.pool, base);
    await upsertRun(t.db.pool, { ...base, firstRunId: 'r1' });
    expect((await run()).firstRunId).toBe('r1');
  });
});

describe('executions (a reset goes on in a new execution)', () => {
  const first = { executionRunId: 'exec-1', executionStartedAt: T0 };
  const second = { executionRunId: 'exec-2', executionStartedAt: T2 };

  it('lets a later-started execution replace a final state, even with a lower seq', async () => {
    await upsertRun(t.db.pool, {
      ...base, ...first, state: 'terminated', reason: 'killed', seq: 12, startedAt: T0, finishedAt: T1,
      progressCompleted: 3, progressSkipped: 1, progressTotal: 5, products: ['/out/a'],
      nodes: [{ id: 'a', activity: 'x', needs: [], state: 'running', attempts: 1 }],
    });
    expect(await upsertRun(t.db.pool, {
      ...base, ...second, state: 'running', seq: 4, progressCompleted: 1, progressTotal: 5,
      nodes: [{ id: 'a', activity: 'x', needs: [], state: 'pending', attempts: 0 }],
    })).toBe('updated');
    expect(await run()).toMatchObject({
      state: 'running', reason: null, seq: 4, finishedAt: null, startedAt: T0, progressCompleted: 1,
      progressSkipped: 0, progressTotal: 5, products: ['/out/a'], executionRunId: 'exec-2', executionStartedAt: T2,
      nodes: [{ id: 'a', state: 'pending' }],
    });
  });

  it('ignores a late write of the earlier execution, whatever its seq', async () => {
    await upsertRun(t.db.pool, { ...base, ...second, state: 'running', seq: 2 });
    expect(await upsertRun(t.db.pool, { ...base, ...first, state: 'completed', seq: 50 })).toBe('unchanged');
    expect(await run()).toMatchObject({ state: 'running', seq: 2, executionRunId: 'exec-2' });
  });

  it('follows the seq rules within one execution', async () => {
    await upsertRun(t.db.pool, { ...base, ...first, state: 'paused', seq: 5 });
    expect(await upsertRun(t.db.pool, { ...base, ...first, state: 'running', seq: 4 })).toBe('unchanged');
    await upsertRun(t.db.pool, { ...base, ...first, state: 'completed', seq: 6 });
    expect(await upsertRun(t.db.pool, { ...base, ...first, state: 'running', seq: 7 })).toBe('unchanged');
    expect(await run()).toMatchObject({ state: 'completed', seq: 6 });
  });

  it('treats a write without the execution fields as today, and keeps the stored execution', async () => {
    await upsertRun(t.db.pool, { ...base, ...first, state: 'running', seq: 5 });
    expect(await upsertRun(t.db.pool, { ...base, state: 'running', seq: 3 })).toBe('unchanged');
    await upsertRun(t.db.pool, { ...base, state: 'terminated', reason: 'gone' });
    expect(await run()).toMatchObject({ state: 'terminated', reason: 'gone', seq: 5, executionRunId: 'exec-1' });
    // A row written before the fields existed: the first write that names its execution records it.
    await upsertRun(t.db.pool, { ...base, workflowId: 'old', state: 'running', seq: 2 });
    await upsertRun(t.db.pool, { ...base, workflowId: 'old', ...first, state: 'running', seq: 3 });
    expect(await run('old')).toMatchObject({ seq: 3, executionRunId: 'exec-1', executionStartedAt: T0 });
  });

  it('writes skipped progress like completed progress', async () => {
    await upsertRun(t.db.pool, { ...base, progressSkipped: 2, seq: 3 });
    expect(await upsertRun(t.db.pool, { ...base, progressSkipped: 1, seq: 2 })).toBe('unchanged');
    await upsertRun(t.db.pool, { ...base, progressCompleted: 1, seq: 4 });
    expect(await run()).toMatchObject({ progressSkipped: 2, progressCompleted: 1 });
    await upsertRun(t.db.pool, { ...base, progressSkipped: 3, seq: 5 });
    expect(await run()).toMatchObject({ progressSkipped: 3 });
    await expect(upsertRun(t.db.pool, { ...base, progressSkipped: -1, seq: 6 })).rejects.toThrow(/progress_skipped/);
  });
});

describe('executions: identity is the run id', () => {
  it('treats writes with the stored run id as one execution, whatever start time they give', async () => {
    await upsertRun(t.db.pool, { ...base, executionRunId: 'exec-1', executionStartedAt: T2, state: 'paused', seq: 5 });
    expect(await upsertRun(t.db.pool, { ...base, executionRunId: 'exec-1', executionStartedAt: T3, state: 'running', seq: 4 })).toBe('unchanged');
    await upsertRun(t.db.pool, { ...base, executionRunId: 'exec-1', executionStartedAt: T0, state: 'running', seq: 6 });
    expect(await run()).toMatchObject({ state: 'running', seq: 6, executionStartedAt: T2 });
  });
});
