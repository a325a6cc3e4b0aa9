/**
 * Time: sleep nodes, event timeouts, run and node deadlines, and the paused clock (time spent
 * paused never counts toward a sleep, a timeout or a deadline); on the time-skipping server, so
 * hours pass in moments.
 *
 * How time is driven: outside `env.sleep(ms)` and `result()`, the test server's clock runs at
 * real pace (time skipping is locked), so a pause sent at "30 minutes" lands there, give or take
 * the real seconds a poll takes. `env.sleep(ms)` skips exactly `ms` of server time, firing the
 * timers due on the way. Every duration asserted is server time: node `startedAt`/`finishedAt`
 * (workflow time), a sleep's `wokeAt`, Temporal's start and close times; never the wall clock.
 *
 * Pause and resume are sent as signals (`pauseSignal`/`resumeSignal`), then the status is polled
 * until the run shows the new state. Signals are what the time-skipping server has always
 * supported; the updates TapflowClient sends worked too when tried here (pause, resume, send),
 * but the operator's updates are tested on the dev server (operator-control.test.ts), and this
 * file does not depend on them. A held node is ended with the cancel signal.
 *
 * Each pause and each skipped stretch is chosen so that the assertion after it fails if paused
 * time counted (the sleep or deadline would already have passed) or if a resume restarted the
 * clock from zero (the node would end a whole duration later).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApplicationFailure } from '@temporalio/client';
import type { PipelineSpec } from '../../src/core/types';
import type { NodeStatus, RunState, RunStatus } from '../../src/core/states';
import { cancelSignal, pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import { DEADLINE_EXCEEDED, EVENT_TIMED_OUT, NODE_FAILED } from '../../src/core/failure-types';
import { timeSkippingEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { runFailure } from '../helpers/run-failure';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let rig: TestRig;
/** Rigs a test started besides the file's own; stopped in afterAll. */
const extraRigs: TestRig[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
  rig = await startRig(env, uniqueTaskQueue('time'));
});

afterAll(async () => {
  for (const r of extraRigs) await r.stop();
  await rig?.stop();
  await env?.teardown();
});

/** A worker that keeps no workflow cache: the next task of a run goes to whichever worker polls (see below). */
function startUncachedRig(taskQueue: string): Promise<TestRig> {
  return startRig(env, taskQueue, { workerOptions: { maxCachedWorkflows: 0 } });
}

/** Waits until the run's status satisfies `ok`, and returns it. */
function statusWhere(id: string, what: string, ok: (s: RunStatus) => boolean, tf = rig.tf): Promise<RunStatus> {
  return eventually(
    `${id}: ${what}`,
    async () => {
      const status = await tf.getStatus(id);
      return ok(status) ? status : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

/** Waits until node `nodeId` of run `id` is running (a sleep or event node waiting). */
function nodeRunning(id: string, nodeId: string, tf = rig.tf): Promise<RunStatus> {
  return statusWhere(id, `${nodeId} running`, (s) => nodeOf(s, nodeId).state === 'running', tf);
}

/** Sends the pause or resume signal and waits until the run shows `state`. */
async function signalAndWait(id: string, signal: 'pause' | 'resume', state: RunState): Promise<RunStatus> {
  const handle = env.client.workflow.getHandle(id);
  await handle.signal(signal === 'pause' ? pauseSignal : resumeSignal, {});
  return statusWhere(id, `to be ${state}`, (s) => s.state === state);
}

/** How long a node took in workflow (server) time, from its start to its end. */
function spanMs(node: NodeStatus): number {
  if (!node.startedAt || !node.finishedAt) throw new Error(`node ${node.id} has not both started and finished`);
  return Date.parse(node.finishedAt) - Date.parse(node.startedAt);
}

/**
 * How long a closed run took in server time, from Temporal's own start and close times (see
 * retries.test.ts: `env.currentTimeMs()` after a run closes may be years ahead).
 */
async function serverDurationMs(id: string): Promise<number> {
  const d = await env.client.workflow.getHandle(id).describe();
  if (!d.closeTime) throw new Error(`${id} has not closed`);
  return d.closeTime.getTime() - d.startTime.getTime();
}

/** Waits for the run to fail; returns Temporal's failure of it. */
function failureOf(id: string): Promise<ApplicationFailure> {
  return runFailure(env.client, id);
}

describe('sleep nodes', () => {
  test('a sleep of 2h completes after two hours of workflow time, and its dependent goes on', async () => {
    const id = 'sleep-2h';
    const spec: PipelineSpec = {
      name: 'sleep-2h',
      nodes: [
        { id: 'nap', kind: 'sleep', duration: '2h' },
        { id: 'after', activity: 'step', needs: ['nap'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('completed');
    const nap = nodeOf(status, 'nap');
    expect(nap).toMatchObject({ kind: 'sleep', activity: 'sleep', state: 'completed' });
    expect(spanMs(nap)).toBeGreaterThanOrEqual(2 * HOUR);
    expect(spanMs(nap)).toBeLessThan(2 * HOUR + MINUTE);
    // The sleep's output says when it woke, in workflow time; the dependent received it.
    const wokeAt = (result.after as { upstream: { nap: { wokeAt: string } } }).upstream.nap.wokeAt;
    expect(Date.parse(wokeAt) - Date.parse(nap.startedAt ?? '')).toBeGreaterThanOrEqual(2 * HOUR);
    expect(wokeAt).toBe(nap.finishedAt);
    expect(await serverDurationMs(id)).toBeGreaterThanOrEqual(2 * HOUR);
    expect(rig.recorder.startsOf(id, 'after')).toHaveLength(1);
  });

  test('a sleep until a time an hour ahead wakes at that time', async () => {
    const id = 'sleep-until';
    const until = new Date((await env.currentTimeMs()) + HOUR).toISOString();
    const spec: PipelineSpec = { name: 'sleep-until', nodes: [{ id: 'nap', kind: 'sleep', until }] };
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });

    const wokeAt = Date.parse((result.nap as { wokeAt: string }).wokeAt);
    expect(wokeAt).toBeGreaterThanOrEqual(Date.parse(until));
    expect(wokeAt).toBeLessThan(Date.parse(until) + MINUTE);
    const nap = nodeOf(await rig.tf.getStatus(id), 'nap');
    expect(nap.state).toBe('completed');
    expect(spanMs(nap)).toBeGreaterThan(HOUR - MINUTE);
  });

  test('time paused does not count toward a sleep', async () => {
    const id = 'sleep-paused';
    const spec: PipelineSpec = {
      name: 'sleep-paused',
      nodes: [
        { id: 'nap', kind: 'sleep', duration: '1h' },
        { id: 'after', activity: 'step', needs: ['nap'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeRunning(id, 'nap');

    await env.sleep(30 * MINUTE);
    // A waiting node does not hold up a pause: paused at once.
    await signalAndWait(id, 'pause', 'paused');
    await env.sleep(3 * HOUR);
    // Three and a half hours after it started, the one-hour sleep still sleeps.
    const paused = await rig.tf.getStatus(id);
    expect(paused.state).toBe('paused');
    expect(nodeOf(paused, 'nap').state).toBe('running');
    expect(nodeOf(paused, 'after').state).toBe('pending');

    await signalAndWait(id, 'resume', 'running');
    // About 50 minutes of active time: still asleep (a resume does not ring it early).
    await env.sleep(20 * MINUTE);
    expect(nodeOf(await rig.tf.getStatus(id), 'nap').state).toBe('running');

    await rig.tf.result(id, { wait: true });
    const done = await rig.tf.getStatus(id);
    expect(done.state).toBe('completed');
    // One hour asleep plus three hours paused; not a fresh hour after the resume (4.5 h).
    const span = spanMs(nodeOf(done, 'nap'));
    expect(span).toBeGreaterThanOrEqual(4 * HOUR);
    expect(span).toBeLessThan(4 * HOUR + 10 * MINUTE);
    expect(rig.recorder.startsOf(id, 'after')).toHaveLength(1);
  });

  test('a worker restart does not reset a sleep', async () => {
    const id = 'sleep-worker-restart';
    const taskQueue = uniqueTaskQueue('time-restart');
    const first = await startUncachedRig(taskQueue);
    extraRigs.push(first);
    const spec: PipelineSpec = {
      name: 'sleep-restart',
      nodes: [
        { id: 'nap', kind: 'sleep', duration: '1h' },
        { id: 'after', activity: 'step', needs: ['nap'] },
      ],
    };
    await first.tf.startRun(spec, { id });
    await nodeRunning(id, 'nap', first.tf);
    await env.sleep(40 * MINUTE);

    await first.stop();
    const second = await startUncachedRig(taskQueue);
    extraRigs.push(second);
    await env.sleep(30 * MINUTE);

    // 70 minutes in: the hour is over, though the new worker has seen the run for only 30.
    const done = await statusWhere(id, 'completed', (s) => s.state === 'completed', second.tf);
    const span = spanMs(nodeOf(done, 'nap'));
    expect(span).toBeGreaterThanOrEqual(HOUR);
    expect(span).toBeLessThan(HOUR + 10 * MINUTE);
    // The dependent ran on the new worker.
    expect(second.recorder.startsOf(id, 'after')).toHaveLength(1);
    expect(first.recorder.startsOf(id, 'after')).toHaveLength(0);
  });
});

describe('run deadline', () => {
  test('time paused does not count toward the run deadline; the run fails once the active time passes it', async () => {
    const id = 'deadline-run-paused';
    const spec: PipelineSpec = {
      name: 'deadline-run',
      deadline: '1h',
      nodes: [
        { id: 'long', kind: 'sleep', duration: '3h' },
        { id: 'after', activity: 'step', needs: ['long'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeRunning(id, 'long');
    await env.sleep(30 * MINUTE);
    await signalAndWait(id, 'pause', 'paused');
    await env.sleep(2 * HOUR);
    // Two and a half hours in, but only half an hour active: still going after the resume.
    const resumed = await signalAndWait(id, 'resume', 'running');
    expect(nodeOf(resumed, 'long').state).toBe('running');
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');

    const failure = await failureOf(id);
    expect(failure.type).toBe(DEADLINE_EXCEEDED);
    expect(failure.message).toBe('run passed its deadline of 1h (time paused not counted)');
    // One hour active plus two paused.
    const took = await serverDurationMs(id);
    expect(took).toBeGreaterThanOrEqual(3 * HOUR);
    expect(took).toBeLessThan(3 * HOUR + 10 * MINUTE);

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(status.reason).toBe('run passed its deadline of 1h (time paused not counted)');
    expect(status.nodes.map((n) => [n.id, n.state])).toEqual([
      ['long', 'cancelled'],
      ['after', 'skipped'],
    ]);
  });

  test('the start option deadline overrides the spec', async () => {
    const id = 'deadline-run-option';
    const spec: PipelineSpec = { name: 'deadline-option', deadline: '10h', nodes: [{ id: 'long', kind: 'sleep', duration: '3h' }] };
    await rig.tf.startRun(spec, { id, deadline: '90m' });
    const failure = await failureOf(id);
    expect(failure.type).toBe(DEADLINE_EXCEEDED);
    expect(failure.message).toBe('run passed its deadline of 90m (time paused not counted)');
    const took = await serverDurationMs(id);
    expect(took).toBeGreaterThanOrEqual(90 * MINUTE);
    expect(took).toBeLessThan(3 * HOUR);
  });
});

describe('node deadline', () => {
  test('a sleep node past its deadline fails with TapflowDeadlineExceeded, and the run with it', async () => {
    const id = 'deadline-node-sleep';
    const spec: PipelineSpec = {
      name: 'deadline-node',
      nodes: [
        { id: 'nap', kind: 'sleep', duration: '3h', deadline: '1h' },
        { id: 'after', activity: 'step', needs: ['nap'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await failureOf(id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toBe('node "nap" failed after 1 attempt: passed its deadline of 1h');
    const took = await serverDurationMs(id);
    expect(took).toBeGreaterThanOrEqual(HOUR);
    expect(took).toBeLessThan(3 * HOUR);

    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'nap')).toMatchObject({
      state: 'failed',
      errorType: DEADLINE_EXCEEDED,
      error: 'passed its deadline of 1h',
      attempts: 1,
    });
    expect(nodeOf(status, 'after').state).toBe('skipped');
  });

  test('an activity past its deadline is cancelled and fails with TapflowDeadlineExceeded', async () => {
    const id = 'deadline-node-activity';
    const spec: PipelineSpec = {
      name: 'deadline-activity',
      nodes: [
        // Works (heartbeating) far longer than its deadline; its attempt timeout is longer still.
        { id: 'slow', activity: 'step', input: { sleepMs: 60_000 }, deadline: '2s', timeout: '1h' },
        { id: 'after', activity: 'step', needs: ['slow'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await failureOf(id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toBe('node "slow" failed after 1 attempt: passed its deadline of 2s');

    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'slow')).toMatchObject({
      state: 'failed',
      errorType: DEADLINE_EXCEEDED,
      error: 'passed its deadline of 2s',
      attempts: 1,
    });
    expect(nodeOf(status, 'after').state).toBe('skipped');
    expect(rig.recorder.cancelled).toContain(`${id}/slow`);
    expect(rig.recorder.finished).not.toContain(`${id}/slow`);
  });

  test('with onFailure hold, a node past its deadline is held instead', async () => {
    const id = 'deadline-node-hold';
    const spec: PipelineSpec = {
      name: 'deadline-hold',
      nodes: [
        { id: 'nap', kind: 'sleep', duration: '3h', deadline: '1h', onFailure: 'hold' },
        { id: 'after', activity: 'step', needs: ['nap'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeRunning(id, 'nap');
    await env.sleep(90 * MINUTE);
    const held = await statusWhere(id, 'held', (s) => s.state === 'held');
    expect(held.reason).toBe('node "nap" is held: passed its deadline of 1h');
    expect(nodeOf(held, 'nap')).toMatchObject({ state: 'failed', held: true, errorType: DEADLINE_EXCEEDED });
    expect(nodeOf(held, 'after').state).toBe('pending');
    // Still open, waiting for an operator: three more hours change nothing.
    await env.sleep(3 * HOUR);
    const still = await rig.tf.getStatus(id);
    expect(still.state).toBe('held');
    expect(nodeOf(still, 'nap').held).toBe(true);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');

    await env.client.workflow.getHandle(id).signal(cancelSignal, { reason: 'test over' });
    await env.client.workflow.getHandle(id).result().catch(() => undefined);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('CANCELLED');
  });
});

describe('event timeouts', () => {
  function eventSpec(name: string, gate: Record<string, unknown>): PipelineSpec {
    return {
      name,
      nodes: [
        { id: 'gate', kind: 'event', event: 'approval', timeout: '1h', ...gate },
        { id: 'after', activity: 'step', needs: ['gate'] },
      ],
    };
  }

  test('onTimeout fail: the node fails with TapflowEventTimedOut and the run fails', async () => {
    const id = 'event-timeout-fail';
    await rig.tf.startRun(eventSpec('event-fail', { onTimeout: 'fail' }), { id });
    const failure = await failureOf(id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toBe('node "gate" failed after 1 attempt: no "approval" event within 1h');
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'gate')).toMatchObject({ state: 'failed', errorType: EVENT_TIMED_OUT, error: 'no "approval" event within 1h' });
    expect(nodeOf(status, 'after').state).toBe('skipped');
    expect(spanMs(nodeOf(status, 'gate'))).toBeGreaterThanOrEqual(HOUR);
  });

  test('the default onTimeout is fail', async () => {
    const id = 'event-timeout-default-fail';
    await rig.tf.startRun(eventSpec('event-default-fail', {}), { id });
    const failure = await failureOf(id);
    expect(failure.type).toBe(NODE_FAILED);
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'gate')).toMatchObject({ state: 'failed', errorType: EVENT_TIMED_OUT });
  });

  test('onTimeout skip: the node is skipped and its dependent gets null', async () => {
    const id = 'event-timeout-skip';
    await rig.tf.startRun(eventSpec('event-skip', { onTimeout: 'skip' }), { id });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ after: expect.objectContaining({ upstream: { gate: null } }) });
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('completed');
    expect(nodeOf(status, 'gate').state).toBe('skipped');
    expect(spanMs(nodeOf(status, 'gate'))).toBeGreaterThanOrEqual(HOUR);
  });

  test('onTimeout default: the node completes with its default', async () => {
    const id = 'event-timeout-default';
    await rig.tf.startRun(eventSpec('event-default', { onTimeout: 'default', default: { approved: false } }), { id });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ after: expect.objectContaining({ upstream: { gate: { approved: false } } }) });
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'gate')).toMatchObject({ state: 'completed', attempts: 1 });
  });

  test('time paused does not count toward an event timeout', async () => {
    const id = 'event-timeout-paused';
    await rig.tf.startRun(eventSpec('event-paused', { onTimeout: 'default', default: 'timed out' }), { id });
    await nodeRunning(id, 'gate');
    await env.sleep(30 * MINUTE);
    await signalAndWait(id, 'pause', 'paused');
    await env.sleep(3 * HOUR);
    const paused = await rig.tf.getStatus(id);
    expect(nodeOf(paused, 'gate')).toMatchObject({ state: 'running', waitingFor: 'approval' });

    await signalAndWait(id, 'resume', 'running');
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ after: expect.objectContaining({ upstream: { gate: 'timed out' } }) });
    // One hour waiting plus three paused.
    const span = spanMs(nodeOf(await rig.tf.getStatus(id), 'gate'));
    expect(span).toBeGreaterThanOrEqual(4 * HOUR);
    expect(span).toBeLessThan(4 * HOUR + 10 * MINUTE);
  });
});
