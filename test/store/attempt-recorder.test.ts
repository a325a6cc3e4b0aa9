/**
 * The attempt recorder: writes in order, never doubles a row, batches what gathers during its
 * linger into one statement, keeps large outputs by reference, and keeps every record through a
 * PostgreSQL outage (the server is stopped and started again on the same data directory).
 */
import type { Pool } from 'pg';
import type { DataConverter } from '@temporalio/common';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { storeValueCodec, type StoreValueCodec } from '../../src/store/value-codec';
import { createPool } from '../../src/store/pool';
import { getAttemptOutput } from '../../src/store/sql/get-attempt-output';
import { listAttempts } from '../../src/store/sql/list-attempts';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { delay, eventually } from '../helpers/poll';

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

/** A pool of its own whose statements are counted. */
function countingPool(): { pool: Pool; statements: () => number } {
  let count = 0;
  const pool = createPool(db.url, { max: 2 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      count++;
      return query(...args);
    };
  });
  return { pool, statements: () => count };
}

test('writes what gathers during the linger as one statement, each start folded into its end', async () => {
  const { pool, statements } = countingPool();
  const recorder = new AttemptRecorder(pool, { lingerMs: 60_000 });
  recorder.start();
  // Three bursts, with the event loop free in between (the loop would write each alone if it
  // did not linger).
  for (let burst = 0; burst < 3; burst++) {
    for (let i = burst * 10; i < burst * 10 + 10; i++) {
      recorder.recordStart(key(`e${i}`, 1));
      recorder.recordEnd({ ...key(`e${i}`, 1), outcome: 'completed', output: { i } });
    }
    await delay(20);
  }
  expect(await recorder.drain()).toBe(0);
  expect(statements()).toBe(1);
  const rows = (await listAttempts(db.pool, 'run-1')).filter((r) => r.nodeId.startsWith('e'));
  expect(rows).toHaveLength(30);
  expect(rows.every((r) => r.outcome === 'completed' && r.startedAt !== null && r.worker === 'q')).toBe(true);
  await pool.end();
});

test('writes a full batch without waiting for the linger to end', async () => {
  const recorder = new AttemptRecorder(db.pool, { lingerMs: 60_000, maxBatch: 4 });
  recorder.start();
  recorder.recordStart(key('f1', 1));
  await delay(20); // the loop is lingering on the first record now
  recorder.recordEnd({ ...key('f1', 1), outcome: 'completed' });
  recorder.recordStart(key('f2', 1));
  recorder.recordEnd({ ...key('f2', 1), outcome: 'completed' });
  try {
    await eventually('the full batch to be written', async () => {
      const rows = await listAttempts(db.pool, 'run-1');
      return rows.filter((r) => r.nodeId.startsWith('f') && r.outcome === 'completed').length === 2 ? true : undefined;
    });
    expect(recorder.pending).toBe(0);
  } finally {
    await recorder.drain();
  }
});

test('flush writes what is queued without waiting for the linger', async () => {
  const recorder = new AttemptRecorder(db.pool, { lingerMs: 60_000 });
  recorder.start();
  expect(await recorder.flush()).toBe(true); // nothing queued
  recorder.recordStart(key('h', 1));
  recorder.recordEnd({ ...key('h', 1), outcome: 'completed' });
  expect(await recorder.flush()).toBe(true);
  expect(recorder.pending).toBe(0);
  expect((await listAttempts(db.pool, 'run-1', { nodeId: 'h' })).map((r) => r.outcome)).toEqual(['completed']);
  expect(await recorder.drain()).toBe(0);
});

test('keeps an output over the inline limit in attempt_outputs', async () => {
  const recorder = new AttemptRecorder(db.pool, { maxInlineOutputBytes: 100 });
  recorder.start();
  const output = { text: 'z'.repeat(200) };
  recorder.recordStart(key('g', 1));
  recorder.recordEnd({ ...key('g', 1), outcome: 'completed', output });
  expect(await recorder.drain()).toBe(0);
  expect((await listAttempts(db.pool, 'run-1', { nodeId: 'g' }))[0]).toMatchObject({ output: null, outputRef: 'attempt_outputs' });
  expect(await getAttemptOutput(db.pool, 'run-1', 'g', 1)).toEqual({ kept: 'attempt_outputs', output, bytes: JSON.stringify(output).length });
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
  expect(await recorder.flush(100)).toBe(false); // gives up; the records stay queued
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

test('with a payload codec, outputs are stored encoded; a codec that fails for a while is waited out, nothing dropped', async () => {
  const { dataConverter } = require('../fixtures/encrypting-converter.cjs') as { dataConverter: DataConverter };
  const inner = storeValueCodec(dataConverter);
  let failures = 2;
  const flaky: StoreValueCodec = {
    encodes: true,
    encode: async (value) => {
      if (failures-- > 0) throw new Error('key service unavailable');
      return inner.encode(value);
    },
    decode: (value) => inner.decode(value),
  };
  const seen: string[] = [];
  const recorder = new AttemptRecorder(db.pool, { valueCodec: flaky, initialBackoffMs: 10, warn: (m) => seen.push(m) });
  recorder.start();
  recorder.recordStart({ ...key('enc', 1), workflowId: 'run-enc' });
  recorder.recordEnd({ ...key('enc', 1), workflowId: 'run-enc', outcome: 'completed', output: { secret: 'sealed' } });
  expect(await recorder.drain()).toBe(0);

  const [row] = await listAttempts(db.pool, 'run-enc');
  expect(JSON.stringify(row?.output)).not.toContain('sealed');
  expect(await inner.decode(row?.output)).toEqual({ secret: 'sealed' });
  expect(seen).toEqual([
    'tapflow store: the payload codec failed (key service unavailable); keeping attempt records until it works',
    'tapflow store: the payload codec works again',
  ]);
});
