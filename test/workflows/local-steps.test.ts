/**
 * Local steps (`local: true`) on the dev server: they run as local activities on the run's own
 * worker (one marker each in the history, no activity task), with the same attempts, retries,
 * outputs and status as activity nodes, and a run in a long local chain still answers pause,
 * cancel and status, because it ends its workflow task every so often (`local-steps.ts`).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import { devServerEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';
import { END_TASK_AFTER_STEPS } from '../../src/workflows/local-steps';
import { END_TASK_ACTIVITY } from '../../src/core/types';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('local-steps'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/** The event types of a run's history, by count. */
async function eventCounts(id: string): Promise<Record<string, number>> {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const type = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'unknown';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** How many times the run ended its workflow task with its end-of-task activity. */
async function endTaskActivities(id: string): Promise<number> {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === END_TASK_ACTIVITY).length;
}

/** A chain of `n` local `step` nodes, each working `sleepMs`. */
function localChain(name: string, n: number, sleepMs = 0): PipelineSpec {
  return {
    name,
    defaults: { local: true },
    nodes: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      activity: 'step',
      input: { sleepMs, i },
      ...(i > 0 ? { needs: [`s${i - 1}`] } : {}),
    })),
  };
}

test('a chain of local steps completes with each step a marker in the history, not an activity task', async () => {
  const id = 'local-chain';
  await rig.tf.startRun(localChain('local-chain', 5), { id });
  const result = (await rig.tf.result(id, { wait: true })) as Record<string, { upstream: Record<string, unknown> }>;
  // Each step got its upstream's output, as an activity node would.
  expect(result.s4?.upstream).toEqual({ s3: expect.objectContaining({ nodeId: 's3' }) });
  const status = await rig.tf.getStatus(id);
  expect(status.state).toBe('completed');
  for (let i = 0; i < 5; i++) expect(nodeOf(status, `s${i}`)).toMatchObject({ state: 'completed', attempts: 1 });
  const counts = await eventCounts(id);
  expect(counts.activityTaskScheduledEventAttributes ?? 0).toBe(0);
  // A marker per step, and the lean run's one patch marker and its final record.
  expect(counts.markerRecordedEventAttributes).toBeGreaterThanOrEqual(5);
  expect(rig.recorder.startsOf(id, 's2').map((s) => s.attempt)).toEqual([1]);
});

test('a local step that heartbeats (the built-in wait) completes', async () => {
  const id = 'local-heartbeats';
  const spec: PipelineSpec = { name: 'local-heartbeats', defaults: { local: true }, nodes: [{ id: 'w', activity: 'wait', input: { duration: '50ms' } }] };
  await rig.tf.startRun(spec, { id });
  expect(await rig.tf.result(id, { wait: true })).toEqual({ w: { waitedMs: expect.any(Number) } });
});

test('a local step that fails is retried on the same worker and its attempts count', async () => {
  const id = 'local-flaky';
  const spec: PipelineSpec = {
    name: 'local-flaky',
    nodes: [
      { id: 'flaky', activity: 'flaky', local: true, input: { failures: 2 }, retry: { maximumAttempts: 4, initialInterval: '100ms' } },
      { id: 'after', activity: 'step', needs: ['flaky'] },
    ],
  };
  await rig.tf.startRun(spec, { id });
  const result = (await rig.tf.result(id, { wait: true })) as Record<string, { upstream: unknown }>;
  expect(result.after?.upstream).toEqual({ flaky: { attempt: 3 } });
  expect(nodeOf(await rig.tf.getStatus(id), 'flaky')).toMatchObject({ state: 'completed', attempts: 3 });
  expect(rig.recorder.startsOf(id, 'flaky').map((s) => s.attempt)).toEqual([1, 2, 3]);
  // `after` is not local: it is an activity task.
  expect((await eventCounts(id)).activityTaskScheduledEventAttributes).toBe(1);
});

test('a local step that fails for good fails the run with its message', async () => {
  const id = 'local-fail';
  const spec: PipelineSpec = {
    name: 'local-fail',
    defaults: { local: true },
    nodes: [{ id: 'bad', activity: 'fail', input: { message: 'no such file: x.fits', nonRetryable: true } }],
  };
  await rig.tf.startRun(spec, { id });
  await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/no such file: x.fits/);
  expect(nodeOf(await rig.tf.getStatus(id), 'bad')).toMatchObject({ state: 'failed', attempts: 1 });
});

test('a local step that passes its timeout fails as timed out', async () => {
  const id = 'local-timeout';
  const spec: PipelineSpec = {
    name: 'local-timeout',
    nodes: [{ id: 'slow', activity: 'step', local: true, timeout: '300ms', retry: { maximumAttempts: 2, initialInterval: '100ms' }, input: { sleepMs: 5000 } }],
  };
  await rig.tf.startRun(spec, { id });
  await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/timed out \(start-to-close\)/);
  expect(nodeOf(await rig.tf.getStatus(id), 'slow')).toMatchObject({ state: 'failed', errorType: 'Timeout', attempts: 2 });
  expect(rig.recorder.startsOf(id, 'slow').map((s) => s.attempt)).toEqual([1, 2]);
});

test('a run in a long local chain ends its workflow task as it goes: pause is taken mid-chain, resume finishes it', async () => {
  const id = 'local-pause';
  const n = 4 * END_TASK_AFTER_STEPS;
  await rig.tf.startRun(localChain('local-pause', n, 5), { id });
  await eventually('the chain to be under way', async () => ((await rig.tf.getStatus(id)).progress.completed >= 10 ? true : undefined));
  await rig.tf.pause(id, { reason: 'mid-chain' });
  await eventually('the run to be paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
  const paused = await rig.tf.getStatus(id);
  // Taken before the chain's end, at a node boundary: nothing runs while paused.
  expect(paused.progress.completed).toBeLessThan(n);
  expect(paused.progress.running).toBe(0);
  // The run ended its workflow task on its own along the way: with its end-of-task activity.
  expect(await endTaskActivities(id)).toBeGreaterThanOrEqual(1);
  await rig.tf.resume(id, { requestId: 'local-resume' });
  await rig.tf.result(id, { wait: true });
  // The resume was answered before the next steps ran: the workflow task that completed the
  // update holds no local step; it ended with the end-of-task activity.
  const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const answered = events.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === 'local-resume');
  expect(answered).toBeGreaterThan(0);
  const taskStart = events.slice(0, answered).map((e) => Boolean(e.workflowTaskCompletedEventAttributes)).lastIndexOf(true);
  const sameTask = events.slice(taskStart, events.findIndex((e, i) => i > answered && e.workflowTaskScheduledEventAttributes));
  expect(sameTask.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
  expect(sameTask.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === END_TASK_ACTIVITY)).toBe(true);
  const done = await rig.tf.getStatus(id);
  expect(done.state).toBe('completed');
  expect(done.progress.completed).toBe(n);
  // Each step ran once: no step was run again by the pause.
  expect(rig.recorder.startsOf(id, `s${n - 1}`)).toHaveLength(1);
});

test('a run in a long local chain can be cancelled mid-chain', async () => {
  const id = 'local-cancel';
  const n = 4 * END_TASK_AFTER_STEPS;
  await rig.tf.startRun(localChain('local-cancel', n, 5), { id });
  await eventually('the chain to be under way', async () => ((await rig.tf.getStatus(id)).progress.completed >= 10 ? true : undefined));
  await rig.tf.cancel(id, { reason: 'enough' });
  await expect(rig.tf.result(id, { wait: true })).rejects.toThrow();
  const status = await rig.tf.getStatus(id);
  expect(status.state).toBe('cancelled');
  expect(status.progress.completed).toBeLessThan(n);
});
