/**
 * A store outage in the middle of a run: the embedded PostgreSQL is stopped while a node runs
 * and started again later. The pipeline goes on and finishes its nodes during the outage, and
 * takes a pause and a resume; the run stays open (its status already says `completed`) until
 * its final record can be written; once the database is back, every record lands: the run row,
 * both control actions, and one attempt row per attempt, agreeing with the run's own counts.
 * Real dev server, real PostgreSQL process stopped and started.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/pipeline/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import type { EmbeddedPostgres } from '../../src/store/embedded';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { delay, eventually } from '../helpers/poll';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let server: EmbeddedPostgres;
let db: TestDatabase;
let recorder: AttemptRecorder;
let rig: TestRig;
const warnings: string[] = [];

beforeAll(async () => {
  [env, server] = await Promise.all([devServerEnv(), startTestPostgres()]);
  db = await freshDatabase(server);
  recorder = new AttemptRecorder(db.pool, { maxBackoffMs: 500, warn: (m) => warnings.push(m) });
  recorder.start();
  rig = await startRig(env, uniqueTaskQueue('store-outage'), { store: { pool: db.pool, recorder } });
});

afterAll(async () => {
  await server?.startServer();
  await rig?.stop();
  await recorder?.drain();
  await db?.end();
  await Promise.all([server?.stop(), env?.teardown()]);
});

test('a store outage mid-run loses no run and no record', async () => {
  const spec: PipelineSpec = {
    name: 'outage',
    nodes: [
      { id: 'before', activity: 'step', input: { sleepMs: 1500 } },
      { id: 'shaky', activity: 'flaky', needs: ['before'], input: { failures: 1 }, retry: { initialInterval: '200ms' } },
      { id: 'during', activity: 'step', needs: ['shaky'], input: { sleepMs: 1500 } },
      { id: 'last', activity: 'produce', needs: ['during'], input: { products: ['/out/last.txt'] } },
    ],
  };
  const id = `outage-${Date.now()}`;
  await rig.tf.startRun(spec, { id, user: 'alice', tags: ['outage'] });
  await eventually('the start to be recorded', async () => ((await getRun(db.pool, id)) ? true : undefined));
  await eventually('before to start', () => (rig.recorder.startsOf(id, 'before').length > 0 ? true : undefined));

  await server.stopServer('fast');

  // The pipeline goes on without the store, and takes control actions.
  await eventually('during to start', () => (rig.recorder.startsOf(id, 'during').length > 0 ? true : undefined));
  expect(await rig.tf.pause(id, { by: 'bob', reason: 'during the outage', requestId: 'outage-pause' })).toEqual({
    state: 'pausing',
  });
  await eventually('paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
  await rig.tf.resume(id, { by: 'bob', requestId: 'outage-resume' });
  const done = await eventually(
    'every node to finish',
    async () => {
      const status = await rig.tf.getStatus(id);
      return status.state === 'completed' ? status : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // Finished, but the run waits for its final record before it closes.
  await delay(1000);
  expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  expect(warnings.some((w) => /unreachable|outage|retry/i.test(w))).toBe(true);

  await server.startServer();
  const result = await env.client.workflow.getHandle(id).result();
  expect(result).toEqual({ last: { reported: 1 } });

  const run = await eventually('the final record', async () => {
    const found = await getRun(db.pool, id);
    return found?.state === 'completed' ? found : undefined;
  });
  expect(run).toMatchObject({ userName: 'alice', tags: ['outage'], products: ['/out/last.txt'], result, nodes: done.nodes });
  expect(run.nodes?.map((n) => [n.id, n.attempts])).toEqual([
    ['before', 1],
    ['shaky', 2],
    ['during', 1],
    ['last', 1],
  ]);
  const actions = await listControlActions(db.pool, id);
  expect(actions.map((a) => [a.action, a.requestId, a.requestedBy, a.reason])).toEqual([
    ['pause', 'outage-pause', 'bob', 'during the outage'],
    ['resume', 'outage-resume', 'bob', null],
  ]);
  // One attempt row per attempt the run counted, each finished as the run saw it.
  const rows = await eventually('every attempt row, finished', async () => {
    const found = await listAttempts(db.pool, id);
    return found.length === 5 && found.every((r) => r.outcome !== 'running') ? found : undefined;
  });
  for (const node of run.nodes ?? []) {
    const mine = rows.filter((r) => r.nodeId === node.id).sort((a, b) => a.attempt - b.attempt);
    expect(mine.map((r) => r.attempt)).toEqual(Array.from({ length: node.attempts }, (_, i) => i + 1));
    expect(mine.at(-1)?.outcome).toBe('completed');
  }
});
