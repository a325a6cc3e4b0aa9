/**
 * Deleting the store's records of ended runs: a purge by age counts first (dry run, nothing
 * deleted), then deletes exactly the runs that ended before the cutoff, with every row keyed by
 * them, in batches, while other runs' records are being written through the store's own write
 * paths (the run write queue, the attempt recorder, control actions), and never a live run; a
 * pipeline filter; deleting one run's records, refused for a live or unknown run; and a worker's
 * retention, which purges only while it holds the advisory lock: a real worker on a Temporal test
 * server purges shortly after it starts and logs it, and a bad retention is refused at once.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from 'pg';
import { FINAL_RUN_STATES } from '../../src/core/states';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { deleteRunRecords, purgeEndedRecords } from '../../src/store/purge';
import { RunWriteQueue } from '../../src/store/run-write-queue';
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { StoreRetention } from '../../src/store/store-retention';
import type { PurgeResult } from '../../src/store/purge';
import type { RunWrite } from '../../src/store/types';
import { createWorker } from '../../src/worker';
import { openStore } from '../../src/store/open-store';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';
import { timeSkippingEnv } from '../helpers/temporal';
import { uniqueTaskQueue } from '../helpers/worker';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});
const t = databasePerTest();

const DAY = 86_400_000;
const NOW = Date.now();
const ago = (days: number): Date => new Date(NOW - days * DAY);
const ENDED = [...FINAL_RUN_STATES];
const TABLES = ['attempt_outputs', 'control_actions', 'node_attempts'];

interface Seed {
  id: string;
  state: RunWrite['state'];
  createdDaysAgo: number;
  endedDaysAgo?: number;
  pipeline?: string;
}

/**
 * Writes a run as the worker does: its row, two node attempts (the second's output too large to
 * keep inline, so it goes to attempt_outputs) and a control action.
 */
async function seed(recorder: AttemptRecorder, runs: Seed[]): Promise<void> {
  for (const run of runs) {
    await upsertRun(t.db.pool, {
      workflowId: run.id,
      pipeline: run.pipeline ?? 'media',
      state: run.state,
      createdAt: ago(run.createdDaysAgo),
      startedAt: ago(run.createdDaysAgo),
      ...(run.endedDaysAgo !== undefined ? { finishedAt: ago(run.endedDaysAgo) } : {}),
    });
    for (const [attempt, output] of [[1, 'small'], [2, 'x'.repeat(100)]] as const) {
      recorder.recordStart({ workflowId: run.id, nodeId: 'n', attempt, activity: 'work' });
      recorder.recordEnd({ workflowId: run.id, nodeId: 'n', attempt, activity: 'work', outcome: 'completed', output });
    }
    await insertControlAction(t.db.pool, { workflowId: run.id, requestId: `pause-${run.id}`, action: 'pause', requestedBy: 'op' });
  }
  expect(await recorder.flush(10_000)).toBe(true);
}

/** How many rows each table holds for each run. */
async function rowsByRun(): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  for (const table of ['runs', ...TABLES]) {
    const { rows } = await t.db.pool.query<{ id: string; n: number }>(`SELECT workflow_id AS id, count(*)::int AS n FROM tapflow.${table} GROUP BY 1`);
    for (const { id, n } of rows) out.set(id, { ...out.get(id), [table]: n });
  }
  return out;
}

const WHOLE_RUN = { runs: 1, attempt_outputs: 1, control_actions: 1, node_attempts: 2 };

function newRecorder(): AttemptRecorder {
  const recorder = new AttemptRecorder(t.db.pool, { maxInlineOutputBytes: 16, lingerMs: 1 });
  recorder.start();
  return recorder;
}

/** 25 runs ended 100 days ago (in every final state, two pipelines), and the runs that must stay. */
const DOOMED: Seed[] = Array.from({ length: 25 }, (_, i) => ({
  id: `old-${i}`,
  state: ENDED[i % ENDED.length] as RunWrite['state'],
  createdDaysAgo: 101,
  endedDaysAgo: 100,
  pipeline: i < 10 ? 'reports' : 'media',
}));
const KEPT: Seed[] = [
  // Live for 200 days: old, but never ended.
  { id: 'live-running', state: 'running', createdDaysAgo: 200 },
  { id: 'live-paused', state: 'paused', createdDaysAgo: 200 },
  { id: 'live-held', state: 'held', createdDaysAgo: 200 },
  { id: 'live-cancelling', state: 'cancelling', createdDaysAgo: 200 },
  // Ended recently; and started long ago but ended recently.
  { id: 'recent', state: 'completed', createdDaysAgo: 2, endedDaysAgo: 1 },
  { id: 'long-run', state: 'failed', createdDaysAgo: 120, endedDaysAgo: 1 },
];

test('a dry run counts, deleting nothing; the purge then deletes exactly that, in batches, while other runs are written', async () => {
  const recorder = newRecorder();
  const writes = new RunWriteQueue(t.db.pool);
  try {
    await seed(recorder, [...DOOMED, ...KEPT]);
    const before = await rowsByRun();

    const dry = await purgeEndedRecords(t.db.pool, { olderThanMs: 90 * DAY, dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      endedBefore: expect.any(Date),
      pipeline: null,
      runs: 25,
      records: { attempt_outputs: 25, control_actions: 25, node_attempts: 50, notification_deliveries: 0, run_events: 25 },
      batches: 0,
    });
    expect(Math.abs(dry.endedBefore.getTime() - (Date.now() - 90 * DAY))).toBeLessThan(60_000);
    expect(await rowsByRun()).toEqual(before);

    // Other runs go on meanwhile: new runs written through the run write queue and the attempt
    // recorder, control actions asked, and the old live runs' rows changed under the purge.
    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      for (let i = 0; writing || i < 5; i++) {
        const id = `new-${i}`;
        writes.push({ workflowId: id, pipeline: 'media', state: 'running', seq: 1 });
        writes.push({ workflowId: id, pipeline: 'media', state: i % 2 ? 'completed' : 'running', seq: 2, ...(i % 2 ? { finishedAt: new Date() } : {}) });
        writes.push({ workflowId: 'live-running', pipeline: 'media', state: 'running', seq: i + 1, progressCompleted: i });
        recorder.recordStart({ workflowId: id, nodeId: 'n', attempt: 1, activity: 'work' });
        recorder.recordEnd({ workflowId: id, nodeId: 'n', attempt: 1, activity: 'work', outcome: 'completed', output: 'x'.repeat(i % 3 ? 1 : 100) });
        await insertControlAction(t.db.pool, { workflowId: id, requestId: `r-${i}`, action: 'resume', requestedBy: 'op' });
        written.push(id);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const purged = await purgeEndedRecords(t.db.pool, { olderThanMs: 90 * DAY, batchSize: 4 });
    writing = false;
    await writer;
    expect(await writes.drain()).toBe(0);
    expect(await recorder.flush(10_000)).toBe(true);

    expect(purged).toEqual({ ...dry, dryRun: false, endedBefore: expect.any(Date), batches: 7 });
    const after = await rowsByRun();
    for (const run of DOOMED) expect(after.get(run.id)).toBeUndefined();
    for (const run of KEPT) expect([run.id, after.get(run.id)]).toEqual([run.id, WHOLE_RUN]);
    for (const id of written) {
      const big = Number(id.slice(4)) % 3 ? 0 : 1;
      expect([id, after.get(id)]).toEqual([id, { runs: 1, node_attempts: 1, control_actions: 1, ...(big ? { attempt_outputs: 1 } : {}) }]);
    }
    expect(after.size).toBe(KEPT.length + written.length);
    const live = await t.db.pool.query(`SELECT progress_completed FROM tapflow.runs WHERE workflow_id = 'live-running'`);
    expect(live.rows).toEqual([{ progress_completed: written.length - 1 }]);

    // Nothing left to take: one short batch.
    expect(await purgeEndedRecords(t.db.pool, { olderThanMs: 90 * DAY })).toMatchObject({ runs: 0, batches: 1 });
  } finally {
    await writes.drain();
    await recorder.drain();
  }
});

test('a pipeline filter takes only that pipeline; a shorter age takes the recently ended too', async () => {
  const recorder = newRecorder();
  try {
    await seed(recorder, [...DOOMED, ...KEPT]);
    const reports = await purgeEndedRecords(t.db.pool, { olderThanMs: 90 * DAY, pipeline: 'reports' });
    expect(reports).toMatchObject({ pipeline: 'reports', runs: 10, records: { attempt_outputs: 10, control_actions: 10, node_attempts: 20 } });
    const left = await rowsByRun();
    expect([...left.keys()].filter((id) => id.startsWith('old-')).sort()).toEqual(DOOMED.slice(10).map((r) => r.id).sort());

    const all = await purgeEndedRecords(t.db.pool, { olderThanMs: 12 * 3_600_000 });
    expect(all.runs).toBe(15 + 2);
    expect([...(await rowsByRun()).keys()].sort()).toEqual(KEPT.filter((r) => r.endedDaysAgo === undefined).map((r) => r.id).sort());
  } finally {
    await recorder.drain();
  }
});

test("deletes one ended run's records; a live or unknown run is refused and nothing is deleted", async () => {
  const recorder = newRecorder();
  try {
    await seed(recorder, [
      { id: 'done', state: 'completed', createdDaysAgo: 0, endedDaysAgo: 0 },
      { id: 'going', state: 'running', createdDaysAgo: 0 },
    ]);
    expect(await deleteRunRecords(t.db.pool, 'done')).toEqual({
      workflowId: 'done',
      state: 'completed',
      runs: 1,
      records: { attempt_outputs: 1, control_actions: 1, node_attempts: 2, notification_deliveries: 0, run_events: 1 },
    });
    await expect(deleteRunRecords(t.db.pool, 'going')).rejects.toMatchObject({
      code: 'action_refused',
      message: 'going: the run is running: only the records of a run that has ended can be deleted',
    });
    await expect(deleteRunRecords(t.db.pool, 'done')).rejects.toMatchObject({ code: 'run_not_found', message: 'no run with id "done"' });
    expect([...(await rowsByRun()).entries()]).toEqual([['going', WHOLE_RUN]]);
  } finally {
    await recorder.drain();
  }
});

test('retention purges only while it holds the advisory lock, and says what it deleted', async () => {
  const recorder = newRecorder();
  const logged: Array<{ result: PurgeResult; message: string }> = [];
  const retention = new StoreRetention(t.db.pool, { olderThanMs: 90 * DAY, log: (result, message) => logged.push({ result, message }) });
  const other = new Client({ connectionString: t.db.url });
  await other.connect();
  try {
    await seed(recorder, [DOOMED[0] as Seed, DOOMED[1] as Seed, ...KEPT]);
    // Another worker holds the lock (the same keys): this one skips its pass.
    await other.query('SELECT pg_advisory_lock($1, 2)', [0x74617066]);
    expect(await retention.pass()).toEqual({ purged: false });
    expect(logged).toEqual([]);
    expect((await rowsByRun()).size).toBe(2 + KEPT.length);

    await other.query('SELECT pg_advisory_unlock($1, 2)', [0x74617066]);
    const pass = await retention.pass();
    expect(pass).toMatchObject({ purged: true, result: { runs: 2, records: { attempt_outputs: 2, control_actions: 2, node_attempts: 4 } } });
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toMatch(
      /^tapflow store retention: deleted the records of 2 runs that ended more than 90d ago \(before \d{4}-\d\d-\d\dT[\d:.]+Z\): 2 attempt_outputs, 2 control_actions, 4 node_attempts, 0 notification_deliveries, 2 run_events$/,
    );
    expect((await rowsByRun()).size).toBe(KEPT.length);
    // The pass gave the lock up: another session takes it at once.
    expect((await other.query('SELECT pg_try_advisory_lock($1, 2) AS locked', [0x74617066])).rows).toEqual([{ locked: true }]);
  } finally {
    await other.end();
    await recorder.drain();
  }
});

test('a worker with a retention purges the runs that ended longer ago, shortly after it starts, and logs it', async () => {
  await upsertRun(t.db.pool, { workflowId: 'old', pipeline: 'p', state: 'completed', createdAt: ago(40), finishedAt: ago(31) });
  await upsertRun(t.db.pool, { workflowId: 'live', pipeline: 'p', state: 'paused', createdAt: ago(40) });
  await upsertRun(t.db.pool, { workflowId: 'recent', pipeline: 'p', state: 'failed', createdAt: ago(2), finishedAt: ago(1) });
  for (const id of ['old', 'live', 'recent']) await insertControlAction(t.db.pool, { workflowId: id, requestId: 'r', action: 'pause' });

  const store = await openStore({ url: t.db.url });
  const logged: string[] = [];
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: uniqueTaskQueue('retention'),
    store,
    runReconciler: false,
    storeRetention: { olderThanMs: 30 * DAY, firstAfterMs: 0, log: (_result, message) => logged.push(message) },
  });
  const running = worker.run();
  try {
    await eventually('the first pass', async () => logged[0]);
  } finally {
    worker.shutdown();
    await running;
    await store.close();
  }
  expect(logged).toEqual([expect.stringMatching(/^tapflow store retention: deleted the records of 1 run that ended more than 30d ago \(before .+\): 0 attempt_outputs, 1 control_actions, 0 node_attempts, 0 notification_deliveries, 1 run_events$/)]);
  const { rows } = await t.db.pool.query('SELECT workflow_id FROM tapflow.runs UNION ALL SELECT workflow_id FROM tapflow.control_actions ORDER BY 1');
  expect(rows.map((r) => r.workflow_id)).toEqual(['live', 'live', 'recent', 'recent']);
});

test('a retention that is no duration, or without a store, is refused before the worker starts', async () => {
  const store = await openStore({ url: t.db.url });
  try {
    await expect(createWorker({ connection: env.nativeConnection, store, storeRetention: 'soon' as never })).rejects.toThrow(
      'storeRetention: "soon" is not a duration (e.g. 90d, 12h)',
    );
  } finally {
    await store.close();
  }
  await expect(createWorker({ connection: env.nativeConnection, storeRetention: '90d' })).rejects.toThrow(
    'storeRetention needs a store: give createWorker a store (openStore)',
  );
});
