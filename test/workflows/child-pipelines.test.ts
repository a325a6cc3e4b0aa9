/**
 * `pipeline` nodes: a child run with its own id and status, its result as the node's output,
 * its failure in the parent's status naming the child's node, pause/resume/cancel cascading, the
 * nesting limit, and `TapflowClient.children`. On a dev server (updates, signals to children).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState, RunStatus } from '../../src/core/states';
import { devServerEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('children'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

function runState(id: string, state: RunState): Promise<RunStatus> {
  return eventually(`${id} to be ${state}`, async () => {
    const status = await rig.tf.getStatus(id);
    return status.state === state ? status : undefined;
  });
}

/** A child of two steps; the first works `firstMs`. */
function childSpec(firstMs = 0, name = 'child'): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'c1', activity: 'step', input: { sleepMs: firstMs, tag: 'c1' }, heartbeatTimeout: '2s' },
      { id: 'c2', activity: 'step', needs: ['c1'], input: { tag: 'c2' } },
    ],
  };
}

describe('pipeline nodes', () => {
  test("the child runs under its own id; its result is the node's output; dependents get it", async () => {
    const id = 'child-ok';
    const spec: PipelineSpec = {
      name: 'parent',
      nodes: [
        { id: 'prep', activity: 'step', input: { tag: 'prep' } },
        { id: 'sub', kind: 'pipeline', needs: ['prep'], input: { lang: 'en' }, pipeline: childSpec() },
        { id: 'after', activity: 'step', needs: ['sub'] },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { run: 1 } });
    const result = await rig.tf.result(id, { wait: true });
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'sub')).toMatchObject({ state: 'completed', kind: 'pipeline', childRunId: 'child-ok/sub', activity: 'pipeline:child' });

    // The child is a run of its own, with its own status.
    const child = await rig.tf.getStatus('child-ok/sub');
    expect(child.pipeline).toBe('child');
    expect(child.state).toBe('completed');
    // The child's input is what an activity node would get: input, params, upstream.
    const childResult = (await rig.tf.result('child-ok/sub')) as { c2: { params: unknown } };
    expect(childResult.c2.params).toEqual({
      input: { lang: 'en' },
      params: { run: 1 },
      upstream: { prep: expect.objectContaining({ nodeId: 'prep' }) },
    });
    // The parent's dependent received the child's result (its leaves' outputs).
    const after = result.after as { upstream: { sub: Record<string, unknown> } };
    expect(Object.keys(after.upstream.sub)).toEqual(['c2']);

    const children = await rig.tf.children(id);
    expect(children).toEqual([expect.objectContaining({ node: 'sub', workflowId: 'child-ok/sub', pipeline: 'child', nodeState: 'completed' })]);
  });

  test("a child's failure fails the parent, naming the child run and the child's node", async () => {
    const id = 'child-fails';
    const failing: PipelineSpec = {
      name: 'failing-child',
      nodes: [{ id: 'boom', activity: 'fail', input: { message: 'disk full', nonRetryable: true } }],
    };
    await rig.tf.startRun({ name: 'parent', nodes: [{ id: 'sub', kind: 'pipeline', pipeline: failing }] }, { id });
    await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/child run child-fails\/sub: node "boom" failed after 1 attempt: disk full/);
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(nodeOf(status, 'sub')).toMatchObject({ state: 'failed', errorType: 'TapflowNodeFailed' });
    expect(nodeOf(status, 'sub').error).toContain('node "boom" failed');
  });

  test('a failing child with onFailure hold holds the parent; retry starts a new child run', async () => {
    const id = 'child-held';
    const flakyChild: PipelineSpec = { name: 'flaky-child', nodes: [{ id: 'f', activity: 'fail', input: { message: 'no', nonRetryable: true } }] };
    await rig.tf.startRun({ name: 'parent', nodes: [{ id: 'sub', kind: 'pipeline', onFailure: 'hold', pipeline: flakyChild }] }, { id });
    const held = await runState(id, 'held');
    expect(nodeOf(held, 'sub')).toMatchObject({ held: true, childRunId: 'child-held/sub' });
    await rig.tf.retry(id, 'sub');
    // The second round is a new child run; it fails again, so the parent is held again.
    const again = await eventually('a second child', async () => {
      const s = await rig.tf.getStatus(id);
      return s.state === 'held' && nodeOf(s, 'sub').childRunId === 'child-held/sub.2' ? s : undefined;
    });
    expect(nodeOf(again, 'sub').attempts).toBe(2);
    await rig.tf.skip(id, 'sub', { output: { done: 'by hand' } });
    expect(await rig.tf.result(id, { wait: true })).toEqual({ sub: { done: 'by hand' } });
  });

  test('pause and resume cascade to the child; cancel cancels it', async () => {
    const id = 'child-cascade';
    await rig.tf.startRun({ name: 'parent', nodes: [{ id: 'sub', kind: 'pipeline', pipeline: childSpec(1500) }] }, { id });
    await eventually('c1 to start', () => (rig.recorder.startsOf('child-cascade/sub', 'c1').length > 0 ? true : undefined));

    // The parent does not wait for its child to finish to be paused: the child pauses itself.
    expect((await rig.tf.pause(id, { reason: 'maintenance', by: 'ops' })).state).toBe('paused');
    const childPaused = await runState('child-cascade/sub', 'paused');
    expect(nodeOf(childPaused, 'c1').state).toBe('completed');
    expect(nodeOf(childPaused, 'c2').state).toBe('pending');
    expect(childPaused.reason).toBe('maintenance');

    await rig.tf.resume(id, { by: 'ops' });
    await runState('child-cascade/sub', 'completed');
    await runState(id, 'completed');

    const id2 = 'child-cancel';
    await rig.tf.startRun({ name: 'parent', nodes: [{ id: 'sub', kind: 'pipeline', pipeline: childSpec(30_000) }] }, { id: id2 });
    await eventually('c1 to start', () => (rig.recorder.startsOf('child-cancel/sub', 'c1').length > 0 ? true : undefined));
    await rig.tf.cancel(id2, { reason: 'not needed', wait: true });
    expect((await rig.tf.getStatus(id2)).state).toBe('cancelled');
    const child = await rig.tf.getStatus('child-cancel/sub');
    expect(child.state).toBe('cancelled');
    expect(rig.recorder.cancelled).toContain('child-cancel/sub/c1');
  });

  test.each([
    ['cancel', 'CANCELLED'],
    ['terminate', 'TERMINATED'],
    ['abandon', 'COMPLETED'],
  ] as const)('parentClose %s: when the parent is terminated, the child ends %s', async (policy, childStatus) => {
    const id = `child-close-${policy}`;
    const spec: PipelineSpec = {
      name: 'parent',
      nodes: [{ id: 'sub', kind: 'pipeline', parentClose: policy, pipeline: childSpec(2000) }],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('c1 to start', () => (rig.recorder.startsOf(`${id}/sub`, 'c1').length > 0 ? true : undefined));
    await env.client.workflow.getHandle(id).terminate('closing the parent');
    const child = env.client.workflow.getHandle(`${id}/sub`);
    await child.result().catch(() => undefined);
    expect((await child.describe()).status.name).toBe(childStatus);
  });

  test('a child cancelled from outside fails its node (the run cannot go on without its output)', async () => {
    const id = 'child-cancelled-outside';
    await rig.tf.startRun({ name: 'parent', nodes: [{ id: 'sub', kind: 'pipeline', pipeline: childSpec(30_000) }] }, { id });
    await eventually('c1 to start', () => (rig.recorder.startsOf(`${id}/sub`, 'c1').length > 0 ? true : undefined));
    await env.client.workflow.getHandle(`${id}/sub`).cancel();
    await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/node "sub" failed after 1 attempt: was cancelled, though the run was not/);
    expect(nodeOf(await rig.tf.getStatus(id), 'sub')).toMatchObject({ state: 'failed', errorType: 'TapflowNodeCancelled' });
  });
});
