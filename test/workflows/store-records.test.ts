/**
 * A worker with a store records each run's row (the Work object's fields, state changes, result,
 * products and plots, node statuses) and every control action (who, when, why), and the record
 * agrees with Temporal's own view of the run. Real dev server, real PostgreSQL.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RunFailedError, UsageError } from '../../src/core/errors';
import type { PipelineSpec } from '../../src/core/types';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import type { RunRecord } from '../../src/store/types';
import { pauseSignal } from '../../src/workflows/definitions';
import { RUN_TIMED_OUT } from '../../src/core/failure-types';
import { eventually } from '../helpers/poll';
import { devServerEnv } from '../helpers/temporal';
import { storeRigPerFile } from '../helpers/store-rig';

const t = storeRigPerFile(devServerEnv, 'store-records');

/** The run's row once it is in `state`. */
function storedRun(id: string, state: RunRecord['state']): Promise<RunRecord> {
  return eventually(`${id} to be recorded ${state}`, async () => {
    const run = await getRun(t.db.pool, id);
    return run?.state === state ? run : undefined;
  });
}

test('a completed run is a row with its Work-object fields, result, products, plots and nodes', async () => {
  const spec: PipelineSpec = {
    name: 'recorded-work',
    defaults: { retry: { maximumAttempts: 4, initialInterval: '100ms' } },
    nodes: [
      { id: 'shaky', activity: 'flaky', input: { failures: 1 } },
      {
        id: 'draw',
        activity: 'produce',
        needs: ['shaky'],
        input: { products: ['/data/out/a.fits', '/data/out/b.fits'], plots: ['/data/plots/a.png'] },
      },
      { id: 'more', activity: 'produce', needs: ['shaky'], input: { products: ['/data/out/a.fits', '/data/out/c.fits'] } },
    ],
  };
  const before = Date.now();
  const { workflowId, runId } = await t.rig.tf.startRun(spec, {
    id: `work-${Date.now()}`,
    input: { night: '2026-11-22' },
    tags: ['frb', 'nightly', 'frb'],
    groups: ['localization'],
    user: 'alice',
    site: 'chime',
    event: [12345, 67890],
    priority: 2,
    timeout: '1h',
  });
  const result = await t.rig.tf.result(workflowId, { wait: true });
  const status = await t.rig.tf.getStatus(workflowId);
  const run = await storedRun(workflowId, 'completed');

  expect(run).toMatchObject({
    workflowId,
    firstRunId: runId,
    pipeline: 'recorded-work',
    params: { night: '2026-11-22' },
    result,
    tags: ['frb', 'nightly'],
    groups: ['localization'],
    userName: 'alice',
    site: 'chime',
    event: [12345, 67890],
    priority: 2,
    timeoutMs: 3_600_000,
    retries: 3,
    attempt: 1,
    state: 'completed',
    reason: null,
    progressCompleted: 3,
    progressTotal: 3,
    nodes: status.nodes,
  });
  expect(run.spec).toEqual(spec);
  expect(run.products).toEqual(expect.arrayContaining(['/data/out/a.fits', '/data/out/b.fits', '/data/out/c.fits']));
  expect(run.products).toHaveLength(3);
  expect(run.plots).toEqual(['/data/plots/a.png']);
  expect(run.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(run.createdAt.getTime());
  expect(run.finishedAt!.toISOString()).toBe(status.finishedAt);

  // One attempt row per attempt the run counted, written by the worker, none reconciled.
  const rows = await eventually('every attempt row', async () => {
    const found = await listAttempts(t.db.pool, workflowId);
    return found.length === 4 && found.every((r) => r.outcome !== 'running') ? found : undefined;
  });
  for (const node of status.nodes) {
    expect(rows.filter((r) => r.nodeId === node.id)).toHaveLength(node.attempts);
  }
  expect(rows.every((r) => r.source === 'worker')).toBe(true);
});

test('pause, resume and cancel are recorded with who, why and the request id; the row ends cancelled', async () => {
  const spec: PipelineSpec = {
    name: 'recorded-control',
    nodes: [
      { id: 'long', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
      { id: 'after', activity: 'step', needs: ['long'] },
    ],
  };
  const id = `control-${Date.now()}`;
  await t.rig.tf.startRun(spec, { id, user: 'alice' });
  await eventually('long to start', () => (t.rig.recorder.startsOf(id, 'long').length > 0 ? true : undefined));
  await t.rig.tf.pause(id, { by: 'bob', reason: 'disk nearly full', requestId: 'pause-req-1' });
  // The same request sent again (a retrying script) is taken once: Temporal answers it from the
  // first, and the store keeps one row.
  expect(await t.rig.tf.pause(id, { by: 'bob', reason: 'disk nearly full', requestId: 'pause-req-1' })).toEqual({
    state: 'pausing',
  });
  await storedRun(id, 'pausing');
  await t.rig.tf.resume(id, { by: 'bob', requestId: 'resume-req-1' });
  await storedRun(id, 'running');
  // A pause by signal is recorded too (its request id is made up by the run).
  await t.env.client.workflow.getHandle(id).signal(pauseSignal, { by: 'carol', reason: 'second thoughts' });
  await storedRun(id, 'pausing');
  await t.rig.tf.resume(id, { by: 'bob' });
  await t.rig.tf.cancel(id, { by: 'dave', reason: 'wrong input', requestId: 'cancel-req-1' });
  await expect(t.rig.tf.result(id, { wait: true })).rejects.toBeInstanceOf(RunFailedError);

  const run = await storedRun(id, 'cancelled');
  expect(run.reason).toBe('wrong input');
  expect(run.nodes?.map((n) => [n.id, n.state])).toEqual([
    ['long', 'cancelled'],
    ['after', 'cancelled'],
  ]);
  const actions = await eventually('five actions', async () => {
    const found = await listControlActions(t.db.pool, id);
    return found.length === 5 ? found : undefined;
  });
  expect(actions.map((a) => [a.action, a.requestedBy, a.reason, a.accepted])).toEqual([
    ['pause', 'bob', 'disk nearly full', true],
    ['resume', 'bob', null, true],
    ['pause', 'carol', 'second thoughts', true],
    ['resume', 'bob', null, true],
    ['cancel', 'dave', 'wrong input', true],
  ]);
  expect(actions.map((a) => a.requestId)).toEqual(
    expect.arrayContaining(['pause-req-1', 'resume-req-1', 'cancel-req-1']),
  );
  expect(new Set(actions.map((a) => a.requestId)).size).toBe(5);
});

test('a signal the run cannot take is recorded as refused, with the reason it was refused', async () => {
  const spec: PipelineSpec = { name: 'recorded-refusal', nodes: [{ id: 'a', activity: 'step', input: { sleepMs: 60_000 } }] };
  const id = `refusal-${Date.now()}`;
  await t.rig.tf.startRun(spec, { id });
  await t.env.client.workflow.getHandle(id).signal('resume', { by: 'erin' });
  const [action] = await eventually('the refused signal', async () => {
    const found = await listControlActions(t.db.pool, id);
    return found.length === 1 ? found : undefined;
  });
  expect(action).toMatchObject({ action: 'resume', requestedBy: 'erin', accepted: false });
  expect(action!.refusal).toBe('cannot resume: the run is running, not paused');
  await t.rig.tf.cancel(id, { wait: true });
  await storedRun(id, 'cancelled');
});

test('a failed run is recorded failed with its reason, and one row per attempt', async () => {
  const spec: PipelineSpec = {
    name: 'recorded-failure',
    nodes: [
      { id: 'bad', activity: 'fail', input: { message: 'no such file' }, retry: { maximumAttempts: 2, initialInterval: '100ms' } },
      { id: 'never', activity: 'step', needs: ['bad'] },
    ],
  };
  const id = `failure-${Date.now()}`;
  await t.rig.tf.startRun(spec, { id });
  await expect(t.rig.tf.result(id, { wait: true })).rejects.toBeInstanceOf(RunFailedError);
  const run = await storedRun(id, 'failed');
  expect(run.reason).toBe('node "bad" failed after 2 attempts: no such file');
  expect(run.result).toBeNull();
  expect(run.nodes?.map((n) => [n.id, n.state, n.attempts])).toEqual([
    ['bad', 'failed', 2],
    ['never', 'skipped', 0],
  ]);
  const rows = await eventually('both attempts', async () => {
    const found = await listAttempts(t.db.pool, id);
    return found.length === 2 && found.every((r) => r.outcome === 'failed') ? found : undefined;
  });
  expect(rows.map((r) => r.errorMessage)).toEqual(['no such file', 'no such file']);
});

test('a run past its timeout fails as timed out, its nodes cancelled, and is recorded so', async () => {
  const spec: PipelineSpec = {
    name: 'recorded-timeout',
    nodes: [{ id: 'slow', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' }],
  };
  const id = `timeout-${Date.now()}`;
  await t.rig.tf.startRun(spec, { id, timeout: '2s' });
  const err = await t.env.client.workflow.getHandle(id).result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect([cause.type, cause.message]).toEqual([RUN_TIMED_OUT, 'run timed out after 2s']);
  const run = await storedRun(id, 'failed');
  expect(run.reason).toBe('run timed out after 2s');
  expect(run.nodes?.[0]?.state).toBe('cancelled');
});

test('bad priority or timeout is refused before anything starts', async () => {
  const spec: PipelineSpec = { name: 'never-started', nodes: [{ id: 'a', activity: 'noop' }] };
  await expect(t.rig.tf.startRun(spec, { priority: 0 })).rejects.toThrow(
    new UsageError('priority must be a whole number from 1 (first) to 5 (last), got 0'),
  );
  await expect(t.rig.tf.startRun(spec, { timeout: 'soon' })).rejects.toThrow(
    new UsageError('timeout must be a positive duration such as "90s" or "2h", got "soon"'),
  );
});

test('a branching run is recorded with each skip\'s cause and reason, the resolved input and the skipped output', async () => {
  const id = 'store-branches';
  const spec: PipelineSpec = {
    name: 'store-branches',
    nodes: [
      { id: 'probe', activity: 'noop', input: { kind: 'image', codec: 'png' } },
      { id: 'video', activity: 'step', needs: ['probe'], when: 'upstream.probe.kind == "video"' },
      { id: 'image', activity: 'step', needs: ['probe'], when: 'upstream.probe.kind == "image"', input: { codec: '${{ upstream.probe.codec }}', n: '${{ params.n * 2 }}' } },
      { id: 'after', activity: 'noop', needs: ['video'] },
      { id: 'publish', activity: 'noop', needs: ['video', 'image'], trigger: 'none_failed' },
    ],
  };
  await t.rig.tf.startRun(spec, { id, input: { n: 21 } });
  await t.rig.tf.result(id, { wait: true });
  const run = await storedRun(id, 'completed');
  const byId = new Map((run.nodes ?? []).map((n) => [n.id, n]));
  expect(byId.get('video')).toMatchObject({ state: 'skipped', skipCause: 'condition', skipReason: 'condition false', when: 'upstream.probe.kind == "video"' });
  expect(byId.get('after')).toMatchObject({ state: 'skipped', skipCause: 'upstream', skipReason: 'need "video" was skipped' });
  expect(byId.get('image')).toMatchObject({ state: 'completed', input: { codec: 'png', n: 42 } });
  expect(byId.get('publish')).toMatchObject({ state: 'completed', trigger: 'none_failed' });
  expect([run.progressCompleted, run.progressSkipped, run.progressTotal]).toEqual([3, 2, 5]);
  // The store agrees with the run's own answer.
  expect(run.nodes).toEqual((await t.rig.tf.getStatus(id)).nodes);
});

test('a run started by name records the registered version it was started from', async () => {
  const { TapflowClient } = await import('../../src/client');
  const { StorePipelineRegistry } = await import('../../src/store/pipeline-registry');
  const { PipelineNotFoundError } = await import('../../src/core/errors');
  const registry = new StorePipelineRegistry(t.db.pool);
  const spec: PipelineSpec = { name: 'store-registered', nodes: [{ id: 'a', activity: 'noop', input: 'v1' }] };
  await registry.push(spec);
  await registry.push({ ...spec, nodes: [{ id: 'a', activity: 'noop', input: 'v2' }] });
  const tf = new TapflowClient(t.env.client, { taskQueue: t.rig.taskQueue, registry });

  const latest = await tf.startPipeline('store-registered', { id: 'store-registered-latest' });
  expect(latest.version).toBe(2);
  expect(await tf.result(latest.workflowId, { wait: true })).toEqual({ a: 'v2' });
  const first = await tf.startPipeline('store-registered@1', { id: 'store-registered-v1' });
  expect(await tf.result(first.workflowId, { wait: true })).toEqual({ a: 'v1' });
  expect((await tf.getStatus(first.workflowId)).pipelineVersion).toBe(1);
  expect((await storedRun(first.workflowId, 'completed')).pipelineVersion).toBe(1);
  expect((await storedRun(latest.workflowId, 'completed')).pipelineVersion).toBe(2);

  await expect(tf.startPipeline('store-registered@7')).rejects.toBeInstanceOf(PipelineNotFoundError);
  await expect(tf.startPipeline('never-pushed')).rejects.toThrow('no registered pipeline named "never-pushed"');
  // A run started from a spec has no version.
  await t.rig.tf.startRun(spec, { id: 'store-registered-spec' });
  expect((await storedRun('store-registered-spec', 'completed')).pipelineVersion).toBeNull();
});
