/**
 * Batched attempt writes (foldAttemptWrites, then upsertAttemptRows): each idempotency and order
 * rule of upsertAttemptStart / upsertAttemptEnd holds for a batch, and a batch gives exactly the
 * rows that writing its records one by one, in order, gives, whatever the stored rows were.
 */
import { foldAttemptWrites, type AttemptWrite } from '../../src/store/sql/attempt-rows';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertAttemptRows, type AttemptRowsOutcome } from '../../src/store/sql/upsert-attempt-rows';
import { upsertAttemptStart } from '../../src/store/sql/upsert-attempt-start';
import type { Queryable } from '../../src/store/pool';
import type { AttemptEnd, AttemptStart, NodeAttemptRecord } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:00:01.000Z');
const T2 = new Date('2025-03-01T10:00:02.000Z');
const T3 = new Date('2025-03-01T10:00:03.000Z');

const start = (over: Partial<AttemptStart> = {}): AttemptWrite => ({
  kind: 'start',
  record: { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'work', startedAt: T0, worker: 'w1', ...over },
});
const end = (over: Partial<AttemptEnd> = {}): AttemptWrite => ({
  kind: 'end',
  record: { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'work', outcome: 'completed', finishedAt: T1, output: { n: 1 }, worker: 'w1', ...over },
});

/** Writes a batch as the attempt recorder does: fold, then each round in order. */
async function writeBatch(client: Queryable, writes: AttemptWrite[]): Promise<AttemptRowsOutcome> {
  const total = { inserted: 0, updated: 0, unchanged: 0 };
  for (const rows of foldAttemptWrites(writes)) {
    const r = await upsertAttemptRows(client, rows);
    total.inserted += r.inserted;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
  }
  return total;
}

/** Adds a row as the end-of-run reconciliation does (source 'reconciled'). */
async function reconciledRow(client: Queryable, over: { workflowId?: string; nodeId?: string; attempt?: number; outcome?: string; startedAt?: Date | null } = {}): Promise<void> {
  await client.query(
    `INSERT INTO tapflow.node_attempts (workflow_id, node_id, attempt, activity, outcome, started_at, finished_at, source)
     VALUES ($1, $2, $3, 'work', $4, $5, $6, 'reconciled')`,
    [over.workflowId ?? 'wf', over.nodeId ?? 'n', over.attempt ?? 1, over.outcome ?? 'completed', over.startedAt ?? null, T3],
  );
}

describe('foldAttemptWrites', () => {
  it('folds an attempt\'s start into its end: one row', () => {
    expect(foldAttemptWrites([start(), end()])).toEqual([
      [{ workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'work', start: { startedAt: T0, worker: 'w1' }, end: end().record }],
    ]);
  });

  it('keeps the first start time and the first end, and fills a worker from a later start', () => {
    const [rows] = foldAttemptWrites([start({ worker: undefined }), start({ startedAt: T2, worker: 'w2' }), end(), end({ outcome: 'failed' })]);
    expect(rows).toHaveLength(1);
    expect(rows?.[0]?.start).toEqual({ startedAt: T0, worker: 'w2' });
    expect(rows?.[0]?.end?.outcome).toBe('completed');
  });

  it('gives a start without a time the database\'s now()', () => {
    expect(foldAttemptWrites([start({ startedAt: undefined })])[0]?.[0]?.start?.startedAt).toBe('now');
  });

  it('puts a start that comes after its attempt\'s end in a second round', () => {
    const rounds = foldAttemptWrites([end(), start(), start({ attempt: 2 })]);
    expect(rounds.map((rows) => rows.map((r) => [r.attempt, Boolean(r.start), Boolean(r.end)]))).toEqual([
      [
        [1, false, true],
        [2, true, false],
      ],
      [[1, true, false]],
    ]);
  });
});

describe('upsertAttemptRows', () => {
  it('writes a start and its end as one inserted row', async () => {
    expect(await writeBatch(t.db.pool, [start(), end()])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    const [row] = await listAttempts(t.db.pool, 'wf');
    expect(row).toMatchObject({ outcome: 'completed', startedAt: T0, finishedAt: T1, output: { n: 1 }, worker: 'w1', source: 'worker' });
  });

  it('writes many attempts in one statement, and a replay of the batch changes nothing', async () => {
    const writes = Array.from({ length: 50 }, (_, i) => [start({ nodeId: `n${i}` }), end({ nodeId: `n${i}`, output: { i } })]).flat();
    expect(await writeBatch(t.db.pool, writes)).toEqual({ inserted: 50, updated: 0, unchanged: 0 });
    const before = await listAttempts(t.db.pool, 'wf');
    expect(before).toHaveLength(50);
    expect(await writeBatch(t.db.pool, writes)).toEqual({ inserted: 0, updated: 0, unchanged: 50 });
    expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
  });

  it('ends a running attempt whose start came in an earlier batch, keeping its start time', async () => {
    await writeBatch(t.db.pool, [start()]);
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'running', startedAt: T0 });
    expect(await writeBatch(t.db.pool, [end({ startedAt: T2 })])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: T0, finishedAt: T1 });
  });

  it('keeps an end that arrives before its start; the start then only fills in its time', async () => {
    expect(await writeBatch(t.db.pool, [end()])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: null });
    expect(await writeBatch(t.db.pool, [start()])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: T0, finishedAt: T1, output: { n: 1 } });
  });

  it('keeps only the first end, in one batch and across batches', async () => {
    await writeBatch(t.db.pool, [start(), end(), end({ outcome: 'failed', errorMessage: 'late', output: undefined })]);
    const before = await listAttempts(t.db.pool, 'wf');
    expect(before[0]).toMatchObject({ outcome: 'completed', errorMessage: null, output: { n: 1 } });
    expect(await writeBatch(t.db.pool, [end({ outcome: 'cancelled', finishedAt: T3, output: { other: true } })])).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 1,
    });
    expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
  });

  it('lets a start folded with a duplicate end still fill in the start time the row lacks', async () => {
    // The end came first (no start time); then the start and a duplicate of the end in one batch.
    await writeBatch(t.db.pool, [end()]);
    expect(await writeBatch(t.db.pool, [start(), end({ outcome: 'failed', output: undefined })])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: T0, output: { n: 1 } });
  });

  it('never makes an ended attempt running again, even with its start after its end in one batch', async () => {
    await writeBatch(t.db.pool, [end(), start()]);
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: T0, finishedAt: T1 });
  });

  it("replaces a row the reconciliation added with the worker's end, once", async () => {
    await reconciledRow(t.db.pool, { outcome: 'failed', startedAt: null });
    expect(await writeBatch(t.db.pool, [start(), end()])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    const [row] = await listAttempts(t.db.pool, 'wf');
    expect(row).toMatchObject({ outcome: 'completed', source: 'worker', startedAt: T0, finishedAt: T1, output: { n: 1 }, worker: 'w1' });
    // The worker's row is now the first end: a later end changes nothing.
    expect(await writeBatch(t.db.pool, [end({ outcome: 'failed', output: undefined })])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toEqual(row);
  });

  it('leaves a reconciled row as it is for a start alone, apart from filling in its start time', async () => {
    await reconciledRow(t.db.pool, { startedAt: null });
    await writeBatch(t.db.pool, [start()]);
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', source: 'reconciled', startedAt: T0 });
  });
});

// ---------------------------------------------------------------------------------------------
// A batch against the same records written one by one, from many random starting points.

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const TIMES = [T0, T1, T2, T3];
const label = (d: Date | null): string | null => (d === null ? null : (TIMES.find((x) => x.getTime() === d.getTime())?.toISOString() ?? 'now'));

/** A run's rows, comparable across runs: no run id, no updated_at, a database now() as 'now'. */
async function comparable(workflowId: string): Promise<unknown[]> {
  const rows = await listAttempts(t.db.pool, workflowId);
  return rows
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.attempt - b.attempt)
    .map(({ workflowId: _w, updatedAt: _u, startedAt, finishedAt, ...rest }: NodeAttemptRecord) => ({
      ...rest,
      startedAt: label(startedAt),
      finishedAt: label(finishedAt),
    }));
}

test('a batch writes exactly what its records written one by one write, whatever was stored', async () => {
  const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const keys = [
    { nodeId: 'a', attempt: 1 },
    { nodeId: 'a', attempt: 2 },
  ];
  for (let seed = 1; seed <= 150; seed++) {
    const rnd = random(seed);
    const runs = { one: `one-${seed}`, batch: `batch-${seed}` };
    // What was stored before: nothing, a running row, a finished one, or a reconciled one.
    for (const key of keys) {
      const stored = pick(rnd, ['none', 'running', 'finished', 'finished-no-start', 'reconciled', 'reconciled-no-start'] as const);
      const startedAt = stored.endsWith('no-start') ? null : T1;
      const worker = pick(rnd, [null, 'w0']);
      for (const workflowId of Object.values(runs)) {
        if (stored === 'running' || stored.startsWith('finished')) {
          await t.db.pool.query(
            `INSERT INTO tapflow.node_attempts (workflow_id, node_id, attempt, activity, outcome, started_at, finished_at, output, worker)
             VALUES ($1, $2, $3, 'work', $4, $5, $6, $7, $8)`,
            [workflowId, key.nodeId, key.attempt, stored === 'running' ? 'running' : 'failed', startedAt, stored === 'running' ? null : T2, null, worker],
          );
        } else if (stored.startsWith('reconciled')) {
          await reconciledRow(t.db.pool, { workflowId, ...key, startedAt });
        }
      }
    }
    // The records, in the order they were sent: any mix of starts and ends, duplicates included.
    const writes: Array<(workflowId: string) => AttemptWrite> = [];
    const count = 1 + Math.floor(rnd() * 7);
    for (let i = 0; i < count; i++) {
      const key = pick(rnd, keys);
      if (rnd() < 0.5) {
        const over = { ...key, startedAt: pick(rnd, [undefined, T0, T1]), worker: pick(rnd, [undefined, 'w1', 'w2']) };
        writes.push((workflowId) => start({ ...over, workflowId }));
      } else {
        const over: Partial<AttemptEnd> = {
          ...key,
          outcome: pick(rnd, ['completed', 'failed', 'cancelled'] as const),
          finishedAt: pick(rnd, [undefined, T2, T3]),
          startedAt: pick(rnd, [undefined, undefined, T2]),
          worker: pick(rnd, [undefined, 'w1', 'w3']),
          output: pick(rnd, [undefined, null, { i }]),
          outputRef: pick(rnd, [undefined, undefined, `ref-${i}`]),
          errorMessage: pick(rnd, [undefined, `error ${i}`]),
        };
        writes.push((workflowId) => end({ ...over, workflowId }));
      }
    }
    // One by one, in order...
    for (const make of writes) {
      const w = make(runs.one);
      if (w.kind === 'start') await upsertAttemptStart(t.db.pool, w.record);
      else await upsertAttemptEnd(t.db.pool, w.record);
    }
    // ...and in batches cut at random places.
    let batch: AttemptWrite[] = [];
    for (const make of writes) {
      batch.push(make(runs.batch));
      if (rnd() < 0.3) {
        await writeBatch(t.db.pool, batch);
        batch = [];
      }
    }
    await writeBatch(t.db.pool, batch);

    const expected = await comparable(runs.one);
    const actual = await comparable(runs.batch);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`seed ${seed}: batch ${JSON.stringify(actual)} differs from one by one ${JSON.stringify(expected)}`);
    }
  }
});
