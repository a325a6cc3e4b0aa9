/**
 * The attempt recorder: writes in order, never doubles a row, and keeps every record through a
 * PostgreSQL outage (the server is stopped and started again on the same data directory).
 */
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { listAttempts } from '../../src/store/sql/list-attempts';
import type { EmbeddedPostgres } from '../../src/store/embedded';
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

const key = (nodeId: string, attempt: number) => ({ workflowId: 'run-1', nodeId, attempt, activity: 'work', worker: 'q' });

test('starts and ends land in order, once each, even when sent twice', async () => {
  const recorder = new AttemptRecorder(db.pool, { warn: (m) => warnings.push(m) });
  recorder.start();
  recorder.recordStart(key('a', 1));
  recorder.recordEnd({ ...key('a', 1), outcome: 'failed', errorType: 'Boom', errorMessage: 'boom' });
  recorder.recordStart(key('a', 2));
  recorder.recordEnd({ ...key('a', 2), outcome: 'completed', output: { n: 2 } });
  // A duplicate delivery of the last two.
  recorder.recordStart(key('a', 2));
  recorder.recordEnd({ ...key('a', 2), outcome: 'completed', output: { n: 2 } });
  expect(await recorder.drain()).toBe(0);

  const rows = await listAttempts(db.pool, 'run-1');
  expect(rows.map((r) => [r.nodeId, r.attempt, r.outcome, r.errorType, r.output])).toEqual([
    ['a', 1, 'failed', 'Boom', null],
    ['a', 2, 'completed', null, { n: 2 }],
  ]);
});

test('a start and its end written together keep the start time', async () => {
  const recorder = new AttemptRecorder(db.pool, { lingerMs: 100 });
  recorder.start();
  const startedAt = new Date('2026-01-02T03:04:05.678Z');
  recorder.recordStart({ ...key('d', 1), startedAt });
  recorder.recordEnd({ ...key('d', 1), outcome: 'completed', finishedAt: new Date('2026-01-02T03:04:06.000Z'), output: 1 });
  expect(await recorder.drain()).toBe(0);
  const [row] = await listAttempts(db.pool, 'run-1', { nodeId: 'd' });
  expect(row?.startedAt?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
  expect(row?.finishedAt?.toISOString()).toBe('2026-01-02T03:04:06.000Z');
  expect(row?.worker).toBe('q');
});

test('records made while PostgreSQL is down are written once it is back', async () => {
  const recorder = new AttemptRecorder(db.pool, { maxBackoffMs: 200, warn: (m) => warnings.push(m) });
  recorder.start();
  await server.stopServer('fast');
  for (let i = 1; i <= 5; i++) {
    recorder.recordStart(key('b', i));
    recorder.recordEnd({ ...key('b', i), outcome: i === 5 ? 'completed' : 'failed', errorMessage: `try ${i}` });
  }
  await eventually('the recorder to notice the outage', () => (warnings.some((w) => w.includes('unreachable')) ? true : undefined));
  expect(recorder.pending).toBe(10);

  await server.startServer();
  await eventually('the queue to drain', () => (recorder.pending === 0 ? true : undefined), { timeoutMs: 30_000 });
  expect(await recorder.drain()).toBe(0);
  const rows = await listAttempts(db.pool, 'run-1');
  expect(rows.filter((r) => r.nodeId === 'b').map((r) => [r.attempt, r.outcome])).toEqual([
    [1, 'failed'],
    [2, 'failed'],
    [3, 'failed'],
    [4, 'failed'],
    [5, 'completed'],
  ]);
  expect(warnings.some((w) => w.includes('the database is back'))).toBe(true);
});

test('a record the database refuses is reported and dropped, and the rest still go in', async () => {
  const recorder = new AttemptRecorder(db.pool, { warn: (m) => warnings.push(m) });
  recorder.start();
  recorder.recordStart(key('c', 1));
  recorder.recordStart({ ...key('c', 2), nodeId: 'x'.repeat(5000) }); // over the id length limit
  recorder.recordStart(key('c', 3));
  expect(await recorder.drain()).toBe(0);
  const rows = await listAttempts(db.pool, 'run-1');
  expect(rows.filter((r) => r.nodeId === 'c').map((r) => r.attempt)).toEqual([1, 3]);
  expect(warnings.some((w) => w.includes('refused'))).toBe(true);
});
