/**
 * Runs Temporal ended by itself, on a real dev server and a real store: a terminate (through the
 * `temporal` CLI) and an execution timeout show as `terminated` with Temporal's reason in
 * `tapflow status`, `tapflow list` (and its state filters), the API and, once the run reconciler
 * has swept, the store (attempts closed as reconciled); a reset is followed, recorded as a `reset`
 * control action, and the run completes in its new execution. Two reconcilers on one store never
 * both sweep. The command line runs in this process (`main`), so it runs the sources under test.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import { tapflow } from '../helpers/cli';
import type { RunSummary } from '../../src/client';
import { RunReconciler } from '../../src/control/run-reconciler';
import { TIMED_OUT_REASON } from '../../src/control/temporal-end';
import type { RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { temporalCliPath } from '../../src/devstack/temporal-binaries';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const exec = promisify(execFile);
const t = databasePerTest();
let env: TestWorkflowEnvironment;
let rig: TestRig;
let recorder: AttemptRecorder;
let reconciler: RunReconciler;

beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});
// Inside a describe, so these hooks run before the store's (which ends the pool they use).
describe('runs Temporal ended', () => {
beforeEach(async () => {
  recorder = new AttemptRecorder(t.db.pool, { lingerMs: 20 });
  recorder.start();
  // The reconciler is driven by hand (`sweep()`), so the worker runs none of its own.
  rig = await startRig(env, uniqueTaskQueue('ended'), { store: { pool: t.db.pool, recorder }, runReconciler: false });
  reconciler = new RunReconciler({ client: env.client, pool: t.db.pool, everyMs: 500, marginMs: 5_000 });
});
afterEach(async () => {
  await reconciler?.stop();
  await rig?.stop();
  await recorder?.drain();
});

/**
 * `tapflow ...args`, the real binary in its own process (as a user runs it): its exit code and
 * what it printed. Its own process, so the Temporal connection it opens ends with it.
 */
async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const { code, stdout } = await tapflow({ TEMPORAL_ADDRESS: env.address, DATABASE_URL: t.db.url, TAPFLOW_TASK_QUEUE: rig.taskQueue }, ...args);
  return { code: code ?? 1, stdout };
}

async function cliJson<T>(...args: string[]): Promise<T> {
  const { code, stdout } = await cli(...args, '--json');
  expect(code).toBe(0);
  return JSON.parse(stdout) as T;
}

function temporal(...args: string[]): Promise<{ stdout: string }> {
  return exec(temporalCliPath(), [...args, '--address', env.address]);
}

/** Waits until the store has the run running with node `node` in flight (its attempt row open). */
async function inFlight(id: string, node: string): Promise<void> {
  await eventually(`${id}: ${node} in flight in the store`, async () => {
    const run = await getRun(t.db.pool, id);
    const attempts = await listAttempts(t.db.pool, id);
    return run?.state === 'running' && attempts.some((a) => a.nodeId === node && a.outcome === 'running') ? true : undefined;
  });
}

const longSpec = (name: string): PipelineSpec => ({
  name,
  nodes: [
    { id: 'first', activity: 'step' },
    // One heartbeat at its start only: a terminate never reaches it, so its attempt stays open.
    { id: 'long', activity: 'step', needs: ['first'], input: { sleepMs: 120_000, heartbeatEveryMs: 120_000 } },
  ],
});

test('a run terminated through Temporal is terminated, with the reason, in every view and the store', async () => {
  const id = `terminated-${Date.now()}`;
  await rig.tf.startRun(longSpec('ended-by-temporal'), { id });
  await inFlight(id, 'long');

  await temporal('workflow', 'terminate', '--workflow-id', id, '--reason', 'operator pulled the plug');

  const status = await cliJson<RunStatus>('status', id);
  expect(status).toMatchObject({ workflowId: id, state: 'terminated', reason: 'operator pulled the plug' });
  expect(status.finishedAt).toEqual(expect.any(String));
  expect(status.nodes.find((n) => n.id === 'long')?.state).toBe('cancelled');
  expect(status.progress.running).toBe(0);

  const listed = await eventually('listed terminated', async () => {
    const rows = await cliJson<RunSummary[]>('list', '--pipeline', 'ended-by-temporal');
    return rows.find((r) => r.workflowId === id && r.state === 'terminated');
  });
  expect(listed.closeTime).toEqual(expect.any(String));
  expect((await cliJson<RunSummary[]>('list', '--state', 'terminated')).map((r) => r.workflowId)).toContain(id);
  expect((await cliJson<RunSummary[]>('list', '--state', 'running')).map((r) => r.workflowId)).not.toContain(id);

  const app = await api();
  try {
    const token = (await createApiToken(t.db.pool, { name: 'reader', grants: [{ pipeline: '*', actions: ['read'] }] })).token;
    const headers = { authorization: `Bearer ${token}` };
    const one = await app.inject({ method: 'GET', url: `/api/runs/${id}`, headers });
    expect(one.json()).toMatchObject({ state: 'terminated', reason: 'operator pulled the plug' });
    const many = await app.inject({ method: 'GET', url: `/api/runs?pipeline=ended-by-temporal`, headers });
    expect((many.json() as { runs: RunSummary[] }).runs).toEqual([expect.objectContaining({ workflowId: id, state: 'terminated' })]);
  } finally {
    await app.close();
  }

  // The store still says running until the reconciler sweeps.
  expect((await getRun(t.db.pool, id))?.state).toBe('running');
  const swept = await reconciler.sweep();
  expect(swept).toMatchObject({ swept: true, terminated: [id] });
  const row = await getRun(t.db.pool, id);
  expect(row).toMatchObject({ state: 'terminated', reason: 'operator pulled the plug' });
  expect(row?.finishedAt?.toISOString()).toBe(status.finishedAt);
  const long = (await listAttempts(t.db.pool, id)).find((a) => a.nodeId === 'long');
  expect(long).toMatchObject({ outcome: 'cancelled', source: 'reconciled', errorMessage: 'the run was terminated: operator pulled the plug' });
  // A second sweep finds nothing left to do.
  expect(await reconciler.sweep()).toMatchObject({ swept: true, terminated: [] });

  const history = await cliJson<{ run: { state: string; reason: string } }>('history', id);
  expect(history.run).toMatchObject({ state: 'terminated', reason: 'operator pulled the plug' });
  const search = await cliJson<{ runs: Array<{ workflowId: string; state: string }> }>('runs', 'search', '--state', 'terminated');
  expect(search.runs.map((r) => r.workflowId)).toEqual([id]);
});

test('a run past its execution timeout is terminated with a sentence saying so', async () => {
  const id = `timed-out-${Date.now()}`;
  await env.client.workflow.start('pipelineWorkflow', {
    taskQueue: rig.taskQueue,
    workflowId: id,
    args: [{ spec: longSpec('timed-out'), params: {}, meta: {} }],
    workflowExecutionTimeout: '4s',
  });
  await inFlight(id, 'long');
  await eventually('the execution timed out', async () =>
    (await env.client.workflow.getHandle(id).describe()).status.name === 'TIMED_OUT' ? true : undefined,
  );

  expect(await cliJson<RunStatus>('status', id)).toMatchObject({ state: 'terminated', reason: TIMED_OUT_REASON });
  expect(await rig.tf.getState(id)).toBe('terminated');

  await reconciler.sweep();
  expect(await getRun(t.db.pool, id)).toMatchObject({ state: 'terminated', reason: TIMED_OUT_REASON });
  expect((await listAttempts(t.db.pool, id)).filter((a) => a.outcome === 'running')).toEqual([]);
});

test('a reset is followed: the run is running again in its new execution, the reset recorded, and it completes', async () => {
  const id = `reset-${Date.now()}`;
  const spec: PipelineSpec = {
    name: 'reset-me',
    nodes: [
      { id: 'first', activity: 'step' },
      { id: 'second', activity: 'step', needs: ['first'], input: { sleepMs: 3_000 } },
    ],
  };
  await rig.tf.startRun(spec, { id });
  await inFlight(id, 'second');
  const before = await env.client.workflow.getHandle(id).describe();

  await temporal('workflow', 'reset', '--workflow-id', id, '--type', 'FirstWorkflowTask', '--reason', 'redo after the fix');
  const after = await env.client.workflow.getHandle(id).describe();
  expect(after.runId).not.toBe(before.runId);

  // Every view reading Temporal follows the newest execution at once.
  expect((await rig.tf.getStatus(id)).state).not.toBe('terminated');
  const listed = await cliJson<RunSummary[]>('list', '--pipeline', 'reset-me');
  expect(listed.filter((r) => r.workflowId === id)).toEqual([expect.objectContaining({ runId: after.runId })]);

  const swept = await reconciler.sweep();
  expect(swept.reset).toEqual([id]);
  expect(swept.terminated).toEqual([]);
  const actions = await listControlActions(t.db.pool, id);
  expect(actions.filter((a) => a.action === 'reset')).toEqual([
    expect.objectContaining({ action: 'reset', requestedBy: 'temporal', accepted: true, reason: expect.stringContaining('redo after the fix') }),
  ]);
  const row = await getRun(t.db.pool, id);
  expect(row?.state).not.toBe('terminated');
  expect(row?.executionRunId).toBe(after.runId);

  await rig.tf.result(id, { wait: true });
  await eventually('the store has the run completed', async () =>
    (await getRun(t.db.pool, id))?.state === 'completed' ? true : undefined,
  );
  // Sweeping again records the reset once and leaves the completed run as it is.
  await reconciler.sweep();
  expect((await listControlActions(t.db.pool, id)).filter((a) => a.action === 'reset')).toHaveLength(1);
  expect((await getRun(t.db.pool, id))?.state).toBe('completed');
});

test('two reconcilers on one store never both sweep: one holds the advisory lock until it stops', async () => {
  const other = new RunReconciler({ client: env.client, pool: t.db.pool, everyMs: 500 });
  try {
    expect((await reconciler.sweep()).swept).toBe(true);
    const both = await Promise.all([reconciler.sweep(), other.sweep(), other.sweep()]);
    expect(both.map((o) => o.swept)).toEqual([true, false, false]);
    expect(other.holdsLock).toBe(false);
    await reconciler.stop();
    expect((await other.sweep()).swept).toBe(true);
    expect(other.holdsLock).toBe(true);
  } finally {
    await other.stop();
  }
});

});

function api(): Promise<FastifyInstance> {
  return buildApi({ client: rig.tf, store: t.db.pool, tokens: new StoreTokenVerifier(t.db.pool) });
}
