/**
 * Pause, resume and cancel (as updates through TapflowClient, as signals, and as a Temporal
 * cancel), and the actions a run refuses; on a real dev server, since these use updates.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { ActionRefusedError, RunFailedError, RunNotFoundError } from '../../src/core/errors';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState, RunStatus } from '../../src/core/states';
import { cancelSignal, pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import { devServerEnv } from '../helpers/temporal';
import { delay, eventually, nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('control'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/** `first` works for `firstMs` (heartbeating), then `second` and `third` run one after another. */
function chainSpec(name: string, firstMs: number): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'first', activity: 'step', input: { sleepMs: firstMs }, heartbeatTimeout: '2s' },
      { id: 'second', activity: 'step', needs: ['first'] },
      { id: 'third', activity: 'step', needs: ['second'] },
    ],
  };
}

/** Waits until the test activity of `nodeId` has started in run `id`. */
function nodeStarted(id: string, nodeId: string): Promise<true> {
  return eventually(`${id}/${nodeId} to start`, () => (rig.recorder.startsOf(id, nodeId).length > 0 ? true : undefined));
}

/** Waits until the run reports `state`, and returns its status. */
function runState(id: string, state: RunState): Promise<RunStatus> {
  return eventually(`${id} to be ${state}`, async () => {
    const status = await rig.tf.getStatus(id);
    return status.state === state ? status : undefined;
  });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('pause and resume', () => {
  test('pause with a node in flight: pausing, then paused; nothing starts until resumed', async () => {
    const id = 'pause-in-flight';
    await rig.tf.startRun(chainSpec('pause-chain', 1500), { id });
    await nodeStarted(id, 'first');

    const ack = await rig.tf.pause(id, { reason: 'maintenance', by: 'alice' });
    expect(ack).toEqual({ state: 'pausing' });
    const pausing = await rig.tf.getStatus(id);
    expect(pausing.state).toBe('pausing');
    expect(nodeOf(pausing, 'first').state).toBe('running');

    // The node in flight finishes, then the run is paused.
    const paused = await runState(id, 'paused');
    expect(paused.reason).toBe('maintenance');
    expect(nodeOf(paused, 'first').state).toBe('completed');
    expect(nodeOf(paused, 'second').state).toBe('pending');

    // Nothing starts while paused (a stretch of real time, not a timing assertion).
    await delay(2000);
    const still = await rig.tf.getStatus(id);
    expect(still.state).toBe('paused');
    expect(still.nodes.map((n) => n.state)).toEqual(['completed', 'pending', 'pending']);
    expect(still.progress).toMatchObject({ completed: 1, running: 0 });
    expect(rig.recorder.startsOf(id, 'second')).toHaveLength(0);
    expect(rig.recorder.startsOf(id, 'third')).toHaveLength(0);

    expect(await rig.tf.resume(id)).toEqual({ state: 'running' });
    const result = await rig.tf.result(id, { wait: true });
    expect(Object.keys(result)).toEqual(['third']);
    const done = await rig.tf.getStatus(id);
    expect(done.state).toBe('completed');
    expect(done.reason).toBeUndefined();
    expect(done.nodes.map((n) => n.state)).toEqual(['completed', 'completed', 'completed']);
    expect(rig.recorder.startsOf(id)).toHaveLength(3);
  });

  test('resume while still pausing carries on without stopping', async () => {
    const id = 'pause-resume-pausing';
    await rig.tf.startRun(chainSpec('pause-chain', 1500), { id });
    await nodeStarted(id, 'first');
    expect(await rig.tf.pause(id)).toEqual({ state: 'pausing' });
    expect(await rig.tf.resume(id)).toEqual({ state: 'running' });
    await rig.tf.result(id, { wait: true });
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('completed');
    expect(status.nodes.map((n) => n.state)).toEqual(['completed', 'completed', 'completed']);
  });

  test('pause while the last node is in flight: the run rests paused, every node done, and completes once resumed', async () => {
    const id = 'pause-at-end';
    const spec: PipelineSpec = { name: 'pause-at-end', nodes: [{ id: 'only', activity: 'step', input: { sleepMs: 1500 }, heartbeatTimeout: '2s' }] };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'only');
    expect(await rig.tf.pause(id, { reason: 'hold the result' })).toEqual({ state: 'pausing' });
    const paused = await runState(id, 'paused');
    expect(paused.reason).toBe('hold the result');
    expect(paused.nodes.map((n) => n.state)).toEqual(['completed']);
    // It stays open, paused, with nothing left to run (a stretch of real time, not a timing assertion).
    await delay(1000);
    expect((await rig.tf.getStatus(id)).state).toBe('paused');
    expect(await rig.tf.resume(id)).toEqual({ state: 'running' });
    expect(Object.keys(await rig.tf.result(id, { wait: true }))).toEqual(['only']);
    expect((await rig.tf.getStatus(id)).state).toBe('completed');
  });

  test('a run paused with every node done can be cancelled instead', async () => {
    const id = 'pause-at-end-cancel';
    const spec: PipelineSpec = { name: 'pause-at-end', nodes: [{ id: 'only', activity: 'step', input: { sleepMs: 500 }, heartbeatTimeout: '2s' }] };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'only');
    await rig.tf.pause(id);
    await runState(id, 'paused');
    expect(await rig.tf.cancel(id, { reason: 'result not wanted', wait: true })).toEqual({ state: 'cancelled' });
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.nodes.map((n) => n.state)).toEqual(['completed']);
  });

  test('a paused run can be cancelled: pending nodes end cancelled', async () => {
    const id = 'pause-then-cancel';
    await rig.tf.startRun(chainSpec('pause-chain', 500), { id });
    await nodeStarted(id, 'first');
    await rig.tf.pause(id);
    await runState(id, 'paused');

    const ack = await rig.tf.cancel(id, { reason: 'not needed', wait: true });
    expect(ack).toEqual({ state: 'cancelled' });
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.reason).toBe('not needed');
    expect(status.nodes.map((n) => n.state)).toEqual(['completed', 'cancelled', 'cancelled']);
    expect(rig.recorder.startsOf(id, 'second')).toHaveLength(0);
  });
});

describe('refused actions', () => {
  test('pausing a completed run is refused', async () => {
    const id = 'refuse-pause-completed';
    await rig.tf.startRun({ name: 'quick', nodes: [{ id: 'only', activity: 'noop' }] }, { id });
    await rig.tf.result(id, { wait: true });
    const err = await caught(rig.tf.pause(id));
    expect(err).toBeInstanceOf(ActionRefusedError);
    expect((err as Error).message).toMatch(/cannot pause: the run has already ended \(completed\)/);
  });

  test('resuming a running run is refused, and the run carries on', async () => {
    const id = 'refuse-resume-running';
    await rig.tf.startRun(chainSpec('refuse-chain', 1000), { id });
    await nodeStarted(id, 'first');
    const err = await caught(rig.tf.resume(id));
    expect(err).toBeInstanceOf(ActionRefusedError);
    expect((err as Error).message).toContain('cannot resume: the run is running, not paused');
    expect((await rig.tf.getStatus(id)).state).toBe('running');
    await rig.tf.result(id, { wait: true });
  });

  test('pausing a paused run is refused', async () => {
    const id = 'refuse-pause-paused';
    await rig.tf.startRun(chainSpec('refuse-chain', 300), { id });
    await nodeStarted(id, 'first');
    await rig.tf.pause(id);
    await runState(id, 'paused');
    const err = await caught(rig.tf.pause(id));
    expect(err).toBeInstanceOf(ActionRefusedError);
    expect((err as Error).message).toContain('cannot pause: the run is already paused');
    await rig.tf.cancel(id, { wait: true });
  });

  test('cancelling a cancelled run is refused', async () => {
    const id = 'refuse-cancel-cancelled';
    await rig.tf.startRun(chainSpec('refuse-chain', 60_000), { id });
    await nodeStarted(id, 'first');
    await rig.tf.cancel(id, { wait: true });
    const err = await caught(rig.tf.cancel(id));
    expect(err).toBeInstanceOf(ActionRefusedError);
    expect((err as Error).message).toMatch(/cannot cancel: the run has already ended \(cancelled\)/);
  });

  test('while cancelling, pause, resume and another cancel are refused', async () => {
    const id = 'refuse-while-cancelling';
    const spec: PipelineSpec = {
      name: 'refuse-cancelling',
      nodes: [
        // Cleans up for a while after seeing the cancel (within its heartbeatTimeout, since it does
        // not heartbeat while cleaning up), so the run stays `cancelling`.
        { id: 'first', activity: 'step', input: { sleepMs: 60_000, cleanupMs: 2000 }, heartbeatTimeout: '5s' },
        { id: 'second', activity: 'step', needs: ['first'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'first');
    expect(await rig.tf.cancel(id)).toEqual({ state: 'cancelling' });
    expect((await rig.tf.getStatus(id)).state).toBe('cancelling');

    const refusals = await Promise.all([
      caught(rig.tf.pause(id)),
      caught(rig.tf.resume(id)),
      caught(rig.tf.cancel(id)),
    ]);
    for (const err of refusals) expect(err).toBeInstanceOf(ActionRefusedError);
    expect(refusals.map((e) => (e as Error).message)).toEqual([
      `${id}: cannot pause: the run is being cancelled`,
      `${id}: cannot resume: the run is being cancelled`,
      `${id}: cannot cancel: the run is already being cancelled`,
    ]);

    await caught(env.client.workflow.getHandle(id).result());
    expect(rig.recorder.cancelled).toContain(`${id}/first`);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled']);
  });

  test('an unknown run id gives RunNotFoundError for every action', async () => {
    const id = 'no-such-run';
    const attempts: Array<() => Promise<unknown>> = [
      () => rig.tf.pause(id),
      () => rig.tf.resume(id),
      () => rig.tf.cancel(id),
      () => rig.tf.getStatus(id),
      () => rig.tf.result(id),
      () => rig.tf.result(id, { wait: true }),
    ];
    for (const attempt of attempts) {
      const err = await caught(attempt());
      expect(err).toBeInstanceOf(RunNotFoundError);
      expect((err as Error).message).toBe('no run with id "no-such-run"');
    }
  });
});

describe('cancel', () => {
  test('cancel reaches a heartbeating activity; the run ends cancelled, in Temporal too', async () => {
    const id = 'cancel-update';
    await rig.tf.startRun(chainSpec('cancel-chain', 60_000), { id });
    await nodeStarted(id, 'first');

    const ack = await rig.tf.cancel(id, { reason: 'operator says stop' });
    expect(ack).toEqual({ state: 'cancelling' });

    const err = await caught(rig.tf.result(id, { wait: true }));
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err).toMatchObject({ state: 'cancelled' });
    expect((err as Error).message).toContain('operator says stop');

    expect(rig.recorder.cancelled).toContain(`${id}/first`);
    expect(rig.recorder.finished).not.toContain(`${id}/first`);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.reason).toBe('operator says stop');
    expect(status.finishedAt).toBeDefined();
    expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(nodeOf(status, 'first').attempts).toBe(1);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('CANCELLED');
  });

  // A run cancelled through TapflowClient.cancel ends with a Temporal CancelledFailure, whose
  // message Temporal does not keep ("Workflow canceled"): the client must find the reason itself.
  test('result() of a run cancelled with a reason reports that reason', async () => {
    const id = 'cancel-reason';
    await rig.tf.startRun(chainSpec('cancel-chain', 60_000), { id });
    await nodeStarted(id, 'first');
    await rig.tf.cancel(id, { reason: 'operator says stop', wait: true });
    expect((await rig.tf.getStatus(id)).reason).toBe('operator says stop');
    const err = await caught(rig.tf.result(id));
    expect(err).toBeInstanceOf(RunFailedError);
    expect((err as Error).message).toContain('operator says stop');
  });

  // Without a heartbeatTimeout the SDK would throttle heartbeats to one per 30 s; createWorker
  // lowers the throttle so the cancel reaches `wait` within a couple of seconds (see bench/).
  test('cancel reaches the built-in wait activity (no heartbeatTimeout set)', async () => {
    const id = 'cancel-builtin-wait';
    const spec: PipelineSpec = {
      name: 'cancel-wait',
      nodes: [
        { id: 'hold', activity: 'wait', input: { duration: '10m' } },
        { id: 'after', activity: 'noop', needs: ['hold'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await runState(id, 'running');
    await eventually('hold to run', async () =>
      nodeOf(await rig.tf.getStatus(id), 'hold').state === 'running' ? true : undefined,
    );
    await delay(500);
    const ack = await rig.tf.cancel(id, { wait: true });
    expect(ack).toEqual({ state: 'cancelled' });
    const status = await rig.tf.getStatus(id);
    expect(status.nodes.map((n) => [n.id, n.state])).toEqual([
      ['hold', 'cancelled'],
      ['after', 'cancelled'],
    ]);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('CANCELLED');
  });

  test('a cancel from Temporal itself is honoured the same way', async () => {
    const id = 'cancel-temporal';
    await rig.tf.startRun(chainSpec('cancel-chain', 60_000), { id });
    await nodeStarted(id, 'first');

    const handle = env.client.workflow.getHandle(id);
    await handle.cancel();
    const err = await caught(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    expect(rig.recorder.cancelled).toContain(`${id}/first`);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    // Who asked, as Temporal recorded it in the history (the client's identity).
    expect(status.reason).toMatch(/^cancelled through Temporal by \S+/);
    expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const viaClient = await caught(rig.tf.result(id));
    expect(viaClient).toBeInstanceOf(RunFailedError);
    expect(viaClient).toMatchObject({ state: 'cancelled' });
  });
});

describe('cancel, continued', () => {
  test('a Temporal cancel of a paused run ends it cancelled', async () => {
    const id = 'cancel-temporal-paused';
    await rig.tf.startRun(chainSpec('cancel-chain', 300), { id });
    await nodeStarted(id, 'first');
    await rig.tf.pause(id);
    await runState(id, 'paused');
    const handle = env.client.workflow.getHandle(id);
    await handle.cancel();
    const err = await caught(handle.result());
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.nodes.map((n) => n.state)).toEqual(['completed', 'cancelled', 'cancelled']);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  test('status shows a retrying node\'s attempts and last error; cancel ends it during the backoff', async () => {
    const id = 'cancel-during-backoff';
    const spec: PipelineSpec = {
      name: 'backoff',
      nodes: [
        {
          id: 'flaky',
          activity: 'flaky',
          input: { failures: 10 },
          retry: { maximumAttempts: 10, initialInterval: '1h' },
        },
        { id: 'after', activity: 'step', needs: ['flaky'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    // The first attempt fails; the next waits an hour. The live status says so.
    const live = await eventually('the first failure to show', async () => {
      const node = nodeOf(await rig.tf.getStatus(id), 'flaky');
      return node.error ? node : undefined;
    });
    expect(live).toMatchObject({ state: 'running', error: 'flaky failure on attempt 1', errorType: 'Error' });
    expect(live.attempts).toBeGreaterThanOrEqual(1);
    expect(rig.recorder.startsOf(id, 'flaky')).toHaveLength(1);

    await rig.tf.cancel(id, { wait: true });
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled']);
    expect(rig.recorder.startsOf(id, 'flaky')).toHaveLength(1);
  });
});

describe('signals', () => {
  test('pause and resume signals pause and resume; a signal that does not apply is ignored', async () => {
    const id = 'signal-pause-resume';
    await rig.tf.startRun(chainSpec('signal-chain', 1000), { id });
    await nodeStarted(id, 'first');
    const handle = env.client.workflow.getHandle(id);

    // Does not apply to a running run: ignored, the run keeps running.
    await handle.signal(resumeSignal, {});
    await handle.signal(pauseSignal, { reason: 'by signal' });
    const paused = await runState(id, 'paused');
    expect(paused.reason).toBe('by signal');
    expect(nodeOf(paused, 'second').state).toBe('pending');

    // Already paused: ignored, the run stays paused.
    await handle.signal(pauseSignal, { reason: 'again' });
    await delay(1000);
    const still = await rig.tf.getStatus(id);
    expect(still.state).toBe('paused');
    expect(still.reason).toBe('by signal');
    expect(rig.recorder.startsOf(id, 'second')).toHaveLength(0);

    await handle.signal(resumeSignal, {});
    await rig.tf.result(id, { wait: true });
    const done = await rig.tf.getStatus(id);
    expect(done.state).toBe('completed');
    expect(done.nodes.map((n) => n.state)).toEqual(['completed', 'completed', 'completed']);
  });

  test('the cancel signal cancels the nodes in flight and ends the run cancelled', async () => {
    const id = 'signal-cancel';
    await rig.tf.startRun(chainSpec('signal-chain', 60_000), { id });
    await nodeStarted(id, 'first');
    const handle = env.client.workflow.getHandle(id);

    await handle.signal(cancelSignal, { reason: 'signalled stop' });
    const err = await caught(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    // The run asks Temporal to cancel it, so Temporal shows it Canceled, as tapflow does (the
    // reason is the run's: Temporal's Canceled carries none).
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    expect(rig.recorder.cancelled).toContain(`${id}/first`);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('cancelled');
    expect(status.reason).toBe('signalled stop');
    expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const viaClient = await caught(rig.tf.result(id));
    expect(viaClient).toBeInstanceOf(RunFailedError);
    expect(viaClient).toMatchObject({ state: 'cancelled' });
  });
});
