/**
 * A worker with an attempt recorder writes one row per node attempt to a real PostgreSQL, and
 * the rows agree with Temporal's own view of the run (the status query's attempt counts).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import type { EmbeddedPostgres } from '../../src/store/embedded';
import { listAttempts } from '../../src/store/sql/list-attempts';
import type { PipelineSpec } from '../../src/pipeline/types';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/poll';
import { timeSkippingEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let server: EmbeddedPostgres;
let db: TestDatabase;
let attempts: AttemptRecorder;
let rig: TestRig;

beforeAll(async () => {
  [env, server] = await Promise.all([timeSkippingEnv(), startTestPostgres()]);
  db = await freshDatabase(server);
  attempts = new AttemptRecorder(db.pool);
  attempts.start();
  rig = await startRig(env, uniqueTaskQueue('store-attempts'), { attemptRecorder: attempts });
});

afterAll(async () => {
  await rig?.stop();
  await attempts?.drain();
  await db?.end();
  await Promise.all([server?.stop(), env?.teardown()]);
});

test('every attempt is a row, matching the status', async () => {
  const spec: PipelineSpec = {
    name: 'recorded',
    nodes: [
      { id: 'shaky', activity: 'flaky', input: { failures: 2 }, retry: { maximumAttempts: 5, initialInterval: '1s' } },
      { id: 'after', activity: 'noop', needs: ['shaky'], input: { done: true } },
    ],
  };
  const { workflowId } = await rig.tf.startRun(spec, { id: 'recorded-1' });
  expect(await rig.tf.result(workflowId, { wait: true })).toEqual({ after: { done: true } });
  const status = await rig.tf.getStatus(workflowId);

  const rows = await eventually('the rows to be written', async () => {
    const found = await listAttempts(db.pool, workflowId);
    return found.length === 4 && found.every((r) => r.outcome !== 'running') ? found : undefined;
  });
  const byNode = [...rows].sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.attempt - b.attempt);
  expect(byNode.map((r) => [r.nodeId, r.attempt, r.outcome, r.activity])).toEqual([
    ['after', 1, 'completed', 'noop'],
    ['shaky', 1, 'failed', 'flaky'],
    ['shaky', 2, 'failed', 'flaky'],
    ['shaky', 3, 'completed', 'flaky'],
  ]);
  expect(rows.find((r) => r.nodeId === 'shaky' && r.attempt === 1)?.errorMessage).toBe('flaky failure on attempt 1');
  expect(rows.find((r) => r.nodeId === 'after')?.output).toEqual({ done: true });
  // The store agrees with Temporal: as many attempts per node as the status reports.
  for (const node of status.nodes) {
    expect(rows.filter((r) => r.nodeId === node.id)).toHaveLength(node.attempts);
  }
});
