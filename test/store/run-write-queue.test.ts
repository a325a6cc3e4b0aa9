/**
 * The run write queue (runs' live changes, from the workflow's store sink): merges a run's
 * waiting writes the way the store would apply them, keeps them through a PostgreSQL outage, and
 * drops only what the database refuses.
 */
import type { RunWrite } from '../../src/core/record-writes';
import { mergeRunWrites, RunWriteQueue } from '../../src/store/run-write-queue';
import { getRun } from '../../src/store/sql/get-run';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/poll';

let server: EmbeddedPostgres;
let db: TestDatabase;
const warnings: string[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
  db = await freshDatabase(server);
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
});

const write = (workflowId: string, seq: number, more: Partial<RunWrite> = {}): RunWrite => ({
  workflowId,
  pipeline: 'live',
  state: 'running',
  seq,
  progressCompleted: seq,
  progressTotal: 10,
  ...more,
});

describe('mergeRunWrites', () => {
  test('the later write wins field by field; what it leaves out is kept; outputs merge by node', () => {
    const merged = mergeRunWrites(write('m', 1, { spec: { name: 'live' }, outputs: { a: 1 }, reason: 'why' }), write('m', 2, { outputs: { b: 2 }, reason: 'why' }));
    expect(merged).toMatchObject({ seq: 2, progressCompleted: 2, spec: { name: 'live' }, outputs: { a: 1, b: 2 } });
  });

  test('a change of state without a reason drops the earlier reason, as the store would', () => {
    const merged = mergeRunWrites(write('m', 1, { state: 'paused', reason: 'lunch' }), write('m', 2, { state: 'running' }));
    expect(merged.reason).toBeUndefined();
    expect(merged.state).toBe('running');
  });
});

test('writes land, the newest of each run last, and a burst of one run costs less than a write each', async () => {
  const queue = new RunWriteQueue(db.pool, { warn: (m) => warnings.push(m) });
  const outcomes: string[] = [];
  queue.observe((_w, outcome) => outcomes.push(outcome));
  for (let seq = 1; seq <= 50; seq++) queue.push(write('burst', seq));
  queue.push(write('other', 1, { state: 'paused', reason: 'lunch' }));
  expect(await queue.flush()).toBe(true);
  expect(await getRun(db.pool, 'burst')).toMatchObject({ seq: 50, progressCompleted: 50 });
  expect(await getRun(db.pool, 'other')).toMatchObject({ state: 'paused', reason: 'lunch' });
  expect(outcomes.length).toBeLessThan(51);
  expect(await queue.drain()).toBe(0);
});

test('writes made while PostgreSQL is down are written once it is back', async () => {
  const queue = new RunWriteQueue(db.pool, { maxBackoffMs: 200, warn: (m) => warnings.push(m) });
  await server.stopServer('fast');
  queue.push(write('outage', 1));
  await eventually('the queue to notice the outage', () => (warnings.some((w) => w.includes('unreachable')) ? true : undefined));
  queue.push(write('outage', 2, { state: 'held', reason: 'node "a" is held' }));
  expect(await queue.flush(100)).toBe(false);
  expect(queue.size).toBe(1);
  await server.startServer();
  expect(await queue.flush(30_000)).toBe(true);
  expect(await getRun(db.pool, 'outage')).toMatchObject({ seq: 2, state: 'held', reason: 'node "a" is held' });
  expect(warnings.some((w) => w.includes('the database is back'))).toBe(true);
  expect(await queue.drain()).toBe(0);
});

test('a write the database refuses is reported and dropped; the others go in', async () => {
  const queue = new RunWriteQueue(db.pool, { warn: (m) => warnings.push(m) });
  queue.push(write('refused', 1, { progressCompleted: -1 }));
  queue.push(write('accepted', 1));
  expect(await queue.flush()).toBe(true);
  expect(await getRun(db.pool, 'refused')).toBeUndefined();
  expect(await getRun(db.pool, 'accepted')).toMatchObject({ state: 'running' });
  expect(warnings.some((w) => w.includes('live run write refused') && w.includes('refused'))).toBe(true);
  expect(await queue.drain()).toBe(0);
});
