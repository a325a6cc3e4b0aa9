/**
 * The whole path of the record: a real run on a real dev server, recorded by a worker with a
 * store; then that Temporal is gone and a fresh one has never heard of the run (as after the
 * namespace's retention has dropped it: the dev server does not carry out
 * DeleteWorkflowExecution within a test's time, and its retention is at least a day). The command
 * line still answers for the run from the store: `status` (saying so, with the same nodes
 * Temporal reported), `result`, `graph`, `history` and `runs search`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { StoredRunStatus } from '../../src/cli/status';
import type { RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { RunNotFoundError } from '../../src/core/errors';
import { parseJson, tapflow, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';
import { eventually } from '../helpers/poll';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const t = databasePerTest();
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: env.address }, ...args);
}

test('a run Temporal no longer has is still answered for from the store', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  let rig: TestRig | undefined;
  let live: RunStatus;
  const id = `forgotten-${Date.now()}`;
  try {
    rig = await startRig(env, uniqueTaskQueue('forgotten-run'), { store: { pool: t.db.pool, recorder } });
    const spec: PipelineSpec = {
      name: 'soon-forgotten',
      nodes: [
        { id: 'shaky', activity: 'flaky', input: { failures: 1 }, retry: { initialInterval: '200ms' } },
        { id: 'out', activity: 'produce', needs: ['shaky'], input: { products: ['/out/kept.txt'] } },
      ],
    };
    await rig.tf.startRun(spec, { id, tags: ['archive-test'], user: 'alice' });
    await rig.tf.result(id, { wait: true });
    live = await rig.tf.getStatus(id);
    await eventually('every attempt recorded', async () => {
      const rows = await listAttempts(t.db.pool, id);
      return rows.length === 3 && rows.every((r) => r.outcome === 'completed' || r.outcome === 'failed') ? true : undefined;
    });
  } finally {
    await rig?.stop();
    await recorder.drain();
  }
  expect((await getRun(t.db.pool, id))?.state).toBe('completed');

  await env.teardown();
  env = await devServerEnv();
  await expect(env.client.workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);

  const status = parseJson<StoredRunStatus>(await cli('status', id, '--json'));
  expect(status).toMatchObject({
    workflowId: id,
    runId: live.runId,
    pipeline: 'soon-forgotten',
    state: 'completed',
    source: 'store',
    fallback: 'not-found',
    note: 'Temporal no longer has this run',
  });
  expect(status.nodes).toEqual(live.nodes);
  expect(status.progress).toEqual(live.progress);

  expect(parseJson<unknown>(await cli('result', id, '--json'))).toEqual({ out: { reported: 1 } });

  const graph = parseJson<{ state: string; mermaid: string }>(await cli('graph', id, '--json'));
  expect(graph.state).toBe('completed');
  expect(graph.mermaid).toContain('shaky');

  const history = await cli('history', id);
  expect(history.code).toBe(0);
  expect(history.stdout).toMatch(/shaky\s+attempt 1\s+failed/);
  expect(history.stdout).toMatch(/shaky\s+attempt 2\s+completed/);

  const found = parseJson<{ runs: Array<{ workflowId: string; products: string[]; userName: string }> }>(
    await cli('runs', 'search', '--tag', 'archive-test', '--json'),
  );
  expect(found.runs).toEqual([expect.objectContaining({ workflowId: id, products: ['/out/kept.txt'], userName: 'alice' })]);

  // And an id neither has is still "no such run", exit 2.
  const unknownId = `never-${Date.now()}`;
  const unknown = await cli('status', unknownId);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr.trim()).toBe(`tapflow: ${new RunNotFoundError(unknownId).message}`);
});
