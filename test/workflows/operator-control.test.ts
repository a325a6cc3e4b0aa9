/**
 * An operator's node actions on live runs, through TapflowClient: a node held on failure (by
 * `onFailure: "hold"`, by the start option, by an activity's `needsReview`), then retried or
 * skipped; an input edited while paused; a rerun from a middle node of a held run; event nodes
 * and the events sent to them; and the refusals. On a real dev server, since these are updates
 * (as in control.test.ts); nothing here depends on skipped time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ActionRefusedError } from '../../src/core/errors';
import { planRerun } from '../../src/core/operator-rules';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState, RunStatus } from '../../src/core/states';
import { sendEventSignal } from '../../src/workflows/definitions';
import { NEEDS_REVIEW } from '../../src/core/failure-types';
import { devServerEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('operator'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/** Waits until the test activity of `nodeId` has started in run `id`. */
function nodeStarted(id: string, nodeId: string): Promise<true> {
  return eventually(`${id}/${nodeId} to start`, () => (rig.recorder.startsOf(id, nodeId).length > 0 ? true : undefined));
}

/** Waits until the run's status satisfies `ok` (and says `what`), and returns it. */
function statusWhere(id: string, what: string, ok: (s: RunStatus) => boolean): Promise<RunStatus> {
  return eventually(`${id}: ${what}`, async () => {
    const status = await rig.tf.getStatus(id);
    return ok(status) ? status : undefined;
  });
}

/** Waits until the run reports `state`, and returns its status. */
function runState(id: string, state: RunState): Promise<RunStatus> {
  return statusWhere(id, `to be ${state}`, (s) => s.state === state);
}

/** The rejection of `promise`, which must reject. */
async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

/** Expects `promise` to be refused by the run `id` with exactly `reason`. */
async function expectRefused(id: string, promise: Promise<unknown>, reason: string): Promise<void> {
  const err = await caught(promise);
  expect(err).toBeInstanceOf(ActionRefusedError);
  expect((err as ActionRefusedError).reason).toBe(reason);
  expect((err as Error).message).toBe(`${id}: ${reason}`);
}

describe('hold on failure', () => {
  test('a node with onFailure hold is held; the rest goes on; retry with an input completes the run', async () => {
    const id = 'hold-retry';
    const spec: PipelineSpec = {
      name: 'hold-retry',
      nodes: [
        {
          id: 'bad',
          activity: 'flaky',
          input: { failures: 99 },
          onFailure: 'hold',
          retry: { maximumAttempts: 2, initialInterval: '100ms' },
        },
        { id: 'after', activity: 'step', needs: ['bad'] },
        { id: 'side', activity: 'step' },
        { id: 'side2', activity: 'step', needs: ['side'] },
      ],
    };
    await rig.tf.startRun(spec, { id });

    // Held, and the independent branch completes while it is.
    const held = await statusWhere(id, 'held with side2 done', (s) => s.state === 'held' && nodeOf(s, 'side2').state === 'completed');
    expect(held.reason).toBe('node "bad" is held: flaky failure on attempt 2');
    expect(nodeOf(held, 'bad')).toMatchObject({
      state: 'failed',
      held: true,
      attempts: 2,
      error: 'flaky failure on attempt 2',
      errorType: 'Error',
    });
    expect(nodeOf(held, 'after').state).toBe('pending');
    expect(nodeOf(held, 'side').state).toBe('completed');
    expect(held.finishedAt).toBeUndefined();
    expect(rig.recorder.startsOf(id, 'after')).toHaveLength(0);
    expect(rig.recorder.startsOf(id, 'bad').map((s) => s.attempt)).toEqual([1, 2]);
    // Held is not ended: Temporal still runs it.
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');

    // Retry with an input that lets the activity succeed.
    const ack = await rig.tf.retry(id, 'bad', { input: { failures: 0 }, by: 'alice', reason: 'fixed the input' });
    expect(ack).toEqual({ state: 'running', node: 'bad', nodeState: 'pending' });

    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({
      after: { nodeId: 'after', input: undefined, params: undefined, upstream: { bad: { attempt: 1 } } },
      side2: expect.objectContaining({ nodeId: 'side2' }),
    });
    const done = await rig.tf.getStatus(id);
    expect(done.state).toBe('completed');
    expect(done.reason).toBeUndefined();
    // Attempts number on across the operator's retry: the retry's first attempt is the third.
    expect(nodeOf(done, 'bad')).toMatchObject({ state: 'completed', attempts: 3, earlierAttempts: 2, inputEdited: true });
    expect(nodeOf(done, 'bad').held).toBeUndefined();
    expect(nodeOf(done, 'bad').error).toBeUndefined();
    // The worker was told of the earlier attempts (Temporal's own count starts again at 1).
    expect(rig.recorder.startsOf(id, 'bad').map((s) => [s.attempt, s.earlierAttempts])).toEqual([
      [1, undefined],
      [2, undefined],
      [1, 2],
    ]);
  });

  test('an activity that asks for review is held without onFailure hold; skip with an output feeds its dependents', async () => {
    const id = 'needs-review-skip';
    const spec: PipelineSpec = {
      name: 'needs-review',
      nodes: [
        { id: 'caption', activity: 'review', input: { review: 'caption scored 0.41; check it by hand' } },
        { id: 'publish', activity: 'step', needs: ['caption'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const held = await runState(id, 'held');
    expect(held.reason).toBe('node "caption" is held: caption scored 0.41; check it by hand');
    // Not retried: needsReview is non-retryable, though the default allows 3 attempts.
    expect(nodeOf(held, 'caption')).toMatchObject({
      state: 'failed',
      held: true,
      attempts: 1,
      errorType: NEEDS_REVIEW,
      error: 'caption scored 0.41; check it by hand',
    });
    expect(nodeOf(held, 'publish').state).toBe('pending');

    const ack = await rig.tf.skip(id, 'caption', { output: { caption: 'a cat on a mat' }, by: 'bob' });
    expect(ack).toEqual({ state: 'running', node: 'caption', nodeState: 'skipped' });

    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({
      publish: expect.objectContaining({ nodeId: 'publish', upstream: { caption: { caption: 'a cat on a mat' } } }),
    });
    const done = await rig.tf.getStatus(id);
    expect(done.state).toBe('completed');
    expect(nodeOf(done, 'caption')).toMatchObject({ state: 'skipped', attempts: 1 });
    expect(nodeOf(done, 'caption').held).toBeUndefined();
    expect(rig.recorder.startsOf(id, 'caption')).toHaveLength(1);
  });

  test('the start option onFailure hold holds a node of a spec that does not say so', async () => {
    const id = 'hold-by-start-option';
    const spec: PipelineSpec = {
      name: 'hold-option',
      nodes: [
        { id: 'bad', activity: 'fail', input: { message: 'bad row 17', type: 'BadInput', nonRetryable: true } },
        { id: 'after', activity: 'step', needs: ['bad'] },
      ],
    };
    await rig.tf.startRun(spec, { id, onFailure: 'hold' });
    const held = await runState(id, 'held');
    expect(nodeOf(held, 'bad')).toMatchObject({ state: 'failed', held: true, attempts: 1, errorType: 'BadInput', error: 'bad row 17' });

    // Skipped without an output: the dependent gets null.
    expect(await rig.tf.skip(id, 'bad')).toEqual({ state: 'running', node: 'bad', nodeState: 'skipped' });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ after: expect.objectContaining({ upstream: { bad: null } }) });
  });
});

describe('refusals', () => {
  test('a held run refuses resume, retry of a node that is not held, skip of a completed node, edit while not paused', async () => {
    const id = 'refusals-held';
    const spec: PipelineSpec = {
      name: 'refusals',
      nodes: [
        { id: 'ok', activity: 'step' },
        { id: 'bad', activity: 'fail', needs: ['ok'], input: { message: 'no', nonRetryable: true }, onFailure: 'hold' },
        { id: 'after', activity: 'step', needs: ['bad'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await runState(id, 'held');

    await expectRefused(
      id,
      rig.tf.resume(id),
      'cannot resume: the run is held, not paused; retry or skip the held node (tapflow retry|skip ID NODE)',
    );
    await expectRefused(id, rig.tf.retry(id, 'ok'), 'cannot retry: node "ok" is completed, not held; use "tapflow rerun ID --from ok"');
    await expectRefused(id, rig.tf.retry(id, 'after'), 'cannot retry: node "after" is pending, not held');
    await expectRefused(id, rig.tf.skip(id, 'ok', { output: 1 }), 'cannot skip: node "ok" is completed; skip applies to a held or pending node');
    await expectRefused(
      id,
      rig.tf.edit(id, 'after', { input: { x: 1 } }),
      'cannot edit: the run is held; pause it first (tapflow pause ID) so the node cannot start while you edit',
    );
    await expectRefused(id, rig.tf.retry(id, 'nope'), 'cannot retry: the run has no node "nope" (nodes: ok, bad, after)');

    // Nothing changed.
    const still = await rig.tf.getStatus(id);
    expect(still.state).toBe('held');
    expect(still.nodes.map((n) => [n.id, n.state, n.held ?? false])).toEqual([
      ['ok', 'completed', false],
      ['bad', 'failed', true],
      ['after', 'pending', false],
    ]);
    expect(nodeOf(still, 'after').inputEdited).toBeUndefined();
    expect(rig.recorder.startsOf(id, 'ok')).toHaveLength(1);

    // A held run can be cancelled; the held node stays failed.
    await rig.tf.cancel(id, { wait: true });
    const ended = await rig.tf.getStatus(id);
    expect(ended.state).toBe('cancelled');
    expect(ended.nodes.map((n) => [n.id, n.state, n.held ?? false])).toEqual([
      ['ok', 'completed', false],
      ['bad', 'failed', false],
      ['after', 'cancelled', false],
    ]);
    // And an ended run refuses the node actions.
    const err = await caught(rig.tf.retry(id, 'bad'));
    expect(err).toBeInstanceOf(ActionRefusedError);
    expect((err as Error).message).toMatch(/cannot retry: the run has already ended/);
  });

  test('a running run refuses an edit, and a retry or skip of a running node', async () => {
    const id = 'refusals-running';
    const spec: PipelineSpec = {
      name: 'refusals-running',
      nodes: [
        { id: 'first', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
        { id: 'second', activity: 'step', needs: ['first'], input: { width: 64 } },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'first');
    await expectRefused(
      id,
      rig.tf.edit(id, 'second', { input: { width: 128 } }),
      'cannot edit: the run is running; pause it first (tapflow pause ID) so the node cannot start while you edit',
    );
    await expectRefused(id, rig.tf.edit(id, 'first', { input: 1 }), 'cannot edit: node "first" is running; only a pending or held node\'s input can change');
    await expectRefused(id, rig.tf.retry(id, 'first'), 'cannot retry: node "first" is running, not held');
    await expectRefused(id, rig.tf.skip(id, 'first'), 'cannot skip: node "first" is running; skip applies to a held or pending node');
    expect(nodeOf(await rig.tf.getStatus(id), 'second').inputEdited).toBeUndefined();
    await rig.tf.cancel(id, { wait: true });
  });
});

describe('edit', () => {
  test('a pending node edited while paused runs with the edited input', async () => {
    const id = 'edit-while-paused';
    const spec: PipelineSpec = {
      name: 'edit-chain',
      nodes: [
        { id: 'first', activity: 'step', input: { sleepMs: 1500 }, heartbeatTimeout: '2s' },
        { id: 'second', activity: 'step', needs: ['first'], input: { width: 64 } },
        { id: 'third', activity: 'step', needs: ['second'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'first');
    await rig.tf.pause(id);
    const paused = await runState(id, 'paused');
    expect(nodeOf(paused, 'first').state).toBe('completed');
    expect(nodeOf(paused, 'second').state).toBe('pending');

    const ack = await rig.tf.edit(id, 'second', { input: { width: 128 }, by: 'carol' });
    expect(ack).toEqual({ state: 'paused', node: 'second', nodeState: 'pending' });
    const edited = await rig.tf.getStatus(id);
    expect(nodeOf(edited, 'second').inputEdited).toBe(true);
    expect(rig.recorder.startsOf(id, 'second')).toHaveLength(0);

    await rig.tf.resume(id);
    const result = await rig.tf.result(id, { wait: true });
    // third echoes what second returned, and second echoes the input it was called with.
    expect(result).toEqual({
      third: expect.objectContaining({ upstream: { second: expect.objectContaining({ input: { width: 128 } }) } }),
    });
    const done = await rig.tf.getStatus(id);
    expect(nodeOf(done, 'second')).toMatchObject({ state: 'completed', inputEdited: true, attempts: 1 });
  });
});

describe('rerun in a live run', () => {
  test('from a middle node of a held run: it and its downstream run again, the rest is kept, as planned', async () => {
    const id = 'rerun-live';
    const spec: PipelineSpec = {
      name: 'rerun-live',
      nodes: [
        { id: 'a', activity: 'step', input: { n: 'a' } },
        { id: 'x', activity: 'step', input: { n: 'x' } },
        { id: 'b', activity: 'step', needs: ['a'], input: { n: 'b' } },
        { id: 'c', activity: 'step', needs: ['b'], input: { n: 'c' } },
        {
          id: 'h',
          activity: 'flaky',
          needs: ['c'],
          input: { failures: 99 },
          onFailure: 'hold',
          retry: { maximumAttempts: 1 },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const before = await statusWhere(id, 'held with x done', (s) => s.state === 'held' && nodeOf(s, 'x').state === 'completed');
    expect(before.nodes.map((n) => [n.id, n.state])).toEqual([
      ['a', 'completed'],
      ['x', 'completed'],
      ['b', 'completed'],
      ['c', 'completed'],
      ['h', 'failed'],
    ]);

    // What `tapflow rerun --dry-run` would show, from the status just before.
    const plan = planRerun(before, 'b');
    expect(plan).toEqual({ from: 'b', rerun: ['b', 'c', 'h'], reused: ['a', 'x'], unaffected: [] });

    const ack = await rig.tf.rerun(id, 'b', { by: 'dave' });
    expect(typeof plan === 'string' ? plan : { rerun: plan.rerun, reused: plan.reused }).toEqual({ rerun: ack.rerun, reused: ack.reused });
    expect(ack.state).toBe('running');

    // The rerun set goes round again; h fails again and is held again.
    const again = await statusWhere(id, 'h held again', (s) => s.state === 'held' && nodeOf(s, 'h').attempts === 2);
    expect(nodeOf(again, 'a')).toMatchObject({ state: 'completed', attempts: 1 });
    expect(nodeOf(again, 'x')).toMatchObject({ state: 'completed', attempts: 1 });
    expect(nodeOf(again, 'a').earlierAttempts).toBeUndefined();
    expect(nodeOf(again, 'b')).toMatchObject({ state: 'completed', attempts: 2, earlierAttempts: 1 });
    expect(nodeOf(again, 'c')).toMatchObject({ state: 'completed', attempts: 2, earlierAttempts: 1 });
    expect(nodeOf(again, 'h')).toMatchObject({ state: 'failed', held: true, attempts: 2, earlierAttempts: 1 });

    // The worker saw a second start of each node of the set, told of its earlier attempt; a and x ran once.
    const starts = (node: string) => rig.recorder.startsOf(id, node).map((s) => [s.attempt, s.earlierAttempts]);
    expect(starts('a')).toEqual([[1, undefined]]);
    expect(starts('x')).toEqual([[1, undefined]]);
    expect(starts('b')).toEqual([
      [1, undefined],
      [1, 1],
    ]);
    expect(starts('c')).toEqual([
      [1, undefined],
      [1, 1],
    ]);
    expect(starts('h')).toEqual([
      [1, undefined],
      [1, 1],
    ]);

    await rig.tf.skip(id, 'h', { output: 'by hand' });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ x: expect.objectContaining({ nodeId: 'x' }), h: 'by hand' });
  });

  test('refused while a node of the set is in flight', async () => {
    const id = 'rerun-in-flight';
    const spec: PipelineSpec = {
      name: 'rerun-in-flight',
      nodes: [
        { id: 'a', activity: 'step' },
        { id: 'b', activity: 'step', needs: ['a'], input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
        { id: 'c', activity: 'step', needs: ['b'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await nodeStarted(id, 'b');
    await expectRefused(
      id,
      rig.tf.rerun(id, 'a'),
      'cannot rerun from "a": "b" is in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
    await expectRefused(
      id,
      rig.tf.rerun(id, 'b'),
      'cannot rerun from "b": "b" is in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
    const status = await rig.tf.getStatus(id);
    expect(status.nodes.map((n) => [n.id, n.state])).toEqual([
      ['a', 'completed'],
      ['b', 'running'],
      ['c', 'pending'],
    ]);
    expect(rig.recorder.startsOf(id, 'a')).toHaveLength(1);
    await rig.tf.cancel(id, { wait: true });
  });
});

describe('event nodes', () => {
  test('an event node waits for its event; sendEvent completes it with the data; an unknown event is refused', async () => {
    const id = 'event-send';
    const spec: PipelineSpec = {
      name: 'event-send',
      nodes: [
        { id: 'gate', kind: 'event', event: 'approval' },
        { id: 'publish', activity: 'step', needs: ['gate'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const waiting = await statusWhere(id, 'gate waiting', (s) => nodeOf(s, 'gate').state === 'running');
    expect(waiting.state).toBe('running');
    expect(nodeOf(waiting, 'gate')).toMatchObject({ kind: 'event', activity: 'event:approval', waitingFor: 'approval' });
    expect(nodeOf(waiting, 'publish').state).toBe('pending');

    await expectRefused(id, rig.tf.sendEvent(id, 'nope', { data: 1 }), 'no node of this run waits for event "nope"; waiting: gate (approval)');

    const ack = await rig.tf.sendEvent(id, 'approval', { data: { approvedBy: 'erin' } });
    expect(ack).toEqual({ state: 'running', delivered: ['gate'], kept: [] });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ publish: expect.objectContaining({ upstream: { gate: { approvedBy: 'erin' } } }) });
    const done = await rig.tf.getStatus(id);
    expect(nodeOf(done, 'gate')).toMatchObject({ state: 'completed', attempts: 1 });
    expect(nodeOf(done, 'gate').waitingFor).toBeUndefined();
    // Once nothing waits for it, the event is refused.
    const err = await caught(rig.tf.sendEvent(id, 'approval'));
    expect(err).toBeInstanceOf(ActionRefusedError);
  });

  test('an event sent before its node starts is kept and taken when the node starts', async () => {
    const id = 'event-kept';
    const spec: PipelineSpec = {
      name: 'event-kept',
      nodes: [
        { id: 'go', kind: 'event', event: 'go' },
        { id: 'gate', kind: 'event', event: 'approval', needs: ['go'] },
        { id: 'publish', activity: 'step', needs: ['gate'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await statusWhere(id, 'go waiting', (s) => nodeOf(s, 'go').state === 'running');

    expect(await rig.tf.sendEvent(id, 'approval', { data: 'yes' })).toEqual({ state: 'running', delivered: [], kept: ['gate'] });
    const kept = await rig.tf.getStatus(id);
    expect(nodeOf(kept, 'gate').state).toBe('pending');

    // Without data, the output is null.
    expect(await rig.tf.sendEvent(id, 'go')).toEqual({ state: 'running', delivered: ['go'], kept: [] });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ publish: expect.objectContaining({ upstream: { gate: 'yes' } }) });
    const done = await rig.tf.getStatus(id);
    expect(done.nodes.map((n) => [n.id, n.state])).toEqual([
      ['go', 'completed'],
      ['gate', 'completed'],
      ['publish', 'completed'],
    ]);
  });

  test('a waiting event node does not hold up a pause; the event completes it while paused, and its dependent starts on resume', async () => {
    const id = 'event-paused';
    const spec: PipelineSpec = {
      name: 'event-paused',
      nodes: [
        { id: 'gate', kind: 'event', event: 'approval' },
        { id: 'publish', activity: 'step', needs: ['gate'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await statusWhere(id, 'gate waiting', (s) => nodeOf(s, 'gate').state === 'running');
    expect(await rig.tf.pause(id)).toEqual({ state: 'paused' });
    expect(await rig.tf.sendEvent(id, 'approval', { data: 7 })).toEqual({ state: 'paused', delivered: ['gate'], kept: [] });
    const paused = await rig.tf.getStatus(id);
    expect(paused.state).toBe('paused');
    expect(paused.nodes.map((n) => [n.id, n.state])).toEqual([
      ['gate', 'completed'],
      ['publish', 'pending'],
    ]);
    expect(rig.recorder.startsOf(id, 'publish')).toHaveLength(0);
    await rig.tf.resume(id);
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ publish: expect.objectContaining({ upstream: { gate: 7 } }) });
  });

  test('the send signal delivers too; a signal for an event nobody waits for is ignored', async () => {
    const id = 'event-signal';
    const spec: PipelineSpec = {
      name: 'event-signal',
      nodes: [
        { id: 'gate', kind: 'event', event: 'approval' },
        { id: 'publish', activity: 'step', needs: ['gate'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await statusWhere(id, 'gate waiting', (s) => nodeOf(s, 'gate').state === 'running');
    const handle = env.client.workflow.getHandle(id);
    await handle.signal(sendEventSignal, { event: 'nope', data: 'ignored' });
    await handle.signal(sendEventSignal, { event: 'approval', data: { via: 'webhook' } });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ publish: expect.objectContaining({ upstream: { gate: { via: 'webhook' } } }) });
    expect(nodeOf(await rig.tf.getStatus(id), 'gate').state).toBe('completed');
  });
});
