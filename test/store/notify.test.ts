/**
 * NOTIFY: each kind of write is announced on tapflow_events with a small JSON payload once it
 * commits; a write that changes nothing announces nothing; ids too long for a payload still
 * leave the write to succeed.
 */
import { Client } from 'pg';
import { listenStoreEvents } from '../../src/store/events';
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertAttemptStart } from '../../src/store/sql/upsert-attempt-start';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { STORE_EVENTS_CHANNEL, type StoreEvent } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();
let listener: Client;
let events: StoreEvent[];
let waiters: { match: (e: StoreEvent) => boolean; resolve: (e: StoreEvent) => void }[];

beforeEach(async () => {
  events = [];
  waiters = [];
  listener = new Client({ connectionString: t.db.url });
  await listener.connect();
  await listenStoreEvents(listener, (event) => {
    events.push(event);
    for (const waiter of waiters.filter((w) => w.match(event))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  });
});
afterEach(async () => {
  await listener.end();
});

/** The first event (already received or still to come) matching `match`; fails the test after 15 s. */
function nextEvent(match: (e: StoreEvent) => boolean): Promise<StoreEvent> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching event within 15 s')), 15_000);
    waiters.push({
      match,
      resolve: (e) => {
        clearTimeout(timer);
        resolve(e);
      },
    });
  });
}

/**
 * Everything announced up to now: a marker write is announced after every write before it (NOTIFY
 * is delivered in commit order), so once the marker arrives, nothing earlier is still on its way.
 */
async function settled(): Promise<StoreEvent[]> {
  const marker = `marker-${events.length}-${Math.random().toString(36).slice(2)}`;
  await upsertRun(t.db.pool, { workflowId: marker, pipeline: 'marker', state: 'running' });
  await nextEvent((e) => 'workflowId' in e && e.workflowId === marker);
  return events.filter((e) => !('workflowId' in e && e.workflowId.startsWith('marker-')));
}

it('announces a run inserted and a run updated', async () => {
  await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'running', progressTotal: 4 });
  expect(await nextEvent((e) => e.table === 'runs' && e.op === 'insert')).toEqual({
    table: 'runs',
    op: 'insert',
    workflowId: 'wf',
    pipeline: 'p',
    state: 'running',
    completed: 0,
    skipped: 0,
    total: 4,
    seq: expect.any(Number),
  });
  await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'paused', progressCompleted: 2 });
  expect(await nextEvent((e) => e.table === 'runs' && e.op === 'update')).toEqual({
    table: 'runs',
    op: 'update',
    workflowId: 'wf',
    pipeline: 'p',
    state: 'paused',
    completed: 2,
    skipped: 0,
    total: 4,
    seq: expect.any(Number),
  });
});

it('announces a node attempt started and ended', async () => {
  await upsertAttemptStart(t.db.pool, { workflowId: 'wf', nodeId: 'resize', attempt: 2, activity: 'resize' });
  expect(await nextEvent((e) => e.table === 'node_attempts' && e.op === 'insert')).toEqual({
    table: 'node_attempts',
    op: 'insert',
    workflowId: 'wf',
    nodeId: 'resize',
    attempt: 2,
    outcome: 'running',
    seq: expect.any(Number),
    activity: 'resize',
    startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    finishedAt: null,
    errorType: null,
    errorMessage: null,
    worker: null,
    truncated: false,
  });
  await upsertAttemptEnd(t.db.pool, { workflowId: 'wf', nodeId: 'resize', attempt: 2, activity: 'resize', outcome: 'failed' });
  expect(await nextEvent((e) => e.table === 'node_attempts' && e.op === 'update')).toEqual({
    table: 'node_attempts',
    op: 'update',
    workflowId: 'wf',
    nodeId: 'resize',
    attempt: 2,
    outcome: 'failed',
    seq: expect.any(Number),
    activity: 'resize',
    startedAt: expect.any(String),
    finishedAt: expect.any(String),
    errorType: null,
    errorMessage: null,
    worker: null,
    truncated: false,
  });
});

it("carries an attempt's row, with times as the row reads back, and says when it cut a field short", async () => {
  const long = 'x'.repeat(1500);
  await upsertAttemptEnd(t.db.pool, { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'a', outcome: 'failed', errorType: 'Boom', errorMessage: 'short', worker: 'w1', startedAt: new Date('2026-01-02T03:04:05.678Z') });
  const event = (await nextEvent((e) => e.table === 'node_attempts' && 'nodeId' in e && e.nodeId === 'n')) as Extract<StoreEvent, { nodeId: string }>;
  const [row] = await listAttempts(t.db.pool, 'wf', { nodeId: 'n' });
  expect(event).toMatchObject({ errorType: 'Boom', errorMessage: 'short', worker: 'w1', truncated: false });
  expect(event.startedAt).toBe('2026-01-02T03:04:05.678Z');
  expect(event.startedAt).toBe(row!.startedAt!.toISOString());
  expect(event.finishedAt).toBe(row!.finishedAt!.toISOString());
  await upsertAttemptEnd(t.db.pool, { workflowId: 'wf', nodeId: 'm', attempt: 1, activity: 'a', outcome: 'failed', errorMessage: long });
  const cut = (await nextEvent((e) => e.table === 'node_attempts' && 'nodeId' in e && e.nodeId === 'm')) as Extract<StoreEvent, { nodeId: string }>;
  expect(cut).toMatchObject({ errorMessage: 'x'.repeat(1000), truncated: true });
});

it('announces a control action', async () => {
  const record = await insertControlAction(t.db.pool, { workflowId: 'wf', requestId: 'u1', action: 'cancel' });
  expect(await nextEvent((e) => e.table === 'control_actions')).toEqual({
    table: 'control_actions',
    op: 'insert',
    workflowId: 'wf',
    id: record!.id,
    action: 'cancel',
    seq: expect.any(Number),
  });
});

it('numbers every change in one store-wide sequence, and a write that changes nothing keeps its number', async () => {
  await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'running' });
  await upsertAttemptStart(t.db.pool, { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'a' });
  await upsertAttemptEnd(t.db.pool, { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'a', outcome: 'completed' });
  await insertControlAction(t.db.pool, { workflowId: 'wf', requestId: 'u1', action: 'pause' });
  await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'paused' });
  const seqs = (await settled()).map((e) => ('seq' in e ? e.seq : NaN));
  expect(seqs).toHaveLength(5);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  expect(new Set(seqs).size).toBe(5);
  const stored = async () => (await t.db.pool.query<{ s: string }>(`SELECT change_seq::text AS s FROM tapflow.runs WHERE workflow_id = 'wf'`)).rows[0]?.s;
  const before = await stored();
  expect(before).toBe(String(seqs[4]));
  await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'paused' });
  expect(await stored()).toBe(before);
});

it('announces nothing for a duplicate delivery or a stale write', async () => {
  const run = { workflowId: 'wf', pipeline: 'p', state: 'completed' } as const;
  const start = { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'a' };
  const end = { ...start, outcome: 'completed' } as const;
  const action = { workflowId: 'wf', requestId: 'u1', action: 'pause' };
  await upsertRun(t.db.pool, run);
  await upsertAttemptStart(t.db.pool, start);
  await upsertAttemptEnd(t.db.pool, end);
  await insertControlAction(t.db.pool, action);
  expect((await settled()).map((e) => `${e.table}:${e.op}`)).toEqual([
    'runs:insert',
    'node_attempts:insert',
    'node_attempts:update',
    'control_actions:insert',
  ]);

  events.length = 0;
  await upsertRun(t.db.pool, run);
  await upsertRun(t.db.pool, { ...run, state: 'running' });
  await upsertAttemptStart(t.db.pool, start);
  await upsertAttemptEnd(t.db.pool, end);
  await insertControlAction(t.db.pool, action);
  expect(await settled()).toEqual([]);
});

it('announces only once the transaction commits, and nothing for one rolled back', async () => {
  const client = await t.db.pool.connect();
  try {
    await client.query('BEGIN');
    await upsertRun(client, { workflowId: 'rolled-back', pipeline: 'p', state: 'running' });
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await upsertRun(client, { workflowId: 'committed', pipeline: 'p', state: 'running' });
    expect(await settled()).toEqual([]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  expect((await settled()).map((e) => ('workflowId' in e ? e.workflowId : '?'))).toEqual(['committed']);
});

it('keeps every payload under the 8000-byte limit, and the write succeeds, however long the ids', async () => {
  // Control characters take six bytes each in JSON: these ids would make a payload of over 12 kB.
  const workflowId = '\u0001'.repeat(1000);
  const nodeId = '\u0002'.repeat(1000);
  const raw: string[] = [];
  listener.on('notification', (m) => {
    if (m.channel === STORE_EVENTS_CHANNEL && m.payload) raw.push(m.payload);
  });
  expect(await upsertAttemptStart(t.db.pool, { workflowId, nodeId, attempt: 1, activity: 'a' })).toBe('inserted');
  expect(await nextEvent((e) => e.table === 'node_attempts')).toEqual({ table: 'node_attempts', op: 'insert', oversized: true });
  await upsertRun(t.db.pool, { workflowId: 'x'.repeat(1000), pipeline: 'p', state: 'running' });
  expect(await nextEvent((e) => e.table === 'runs')).toMatchObject({ workflowId: 'x'.repeat(1000) });
  await settled();
  expect(raw.length).toBeGreaterThanOrEqual(2);
  for (const payload of raw) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
});
