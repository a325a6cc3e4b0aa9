/**
 * Outputs flowing downstream by the calling convention, the run's result, scheduling as soon
 * as needs are met, and maxParallel; on the time-skipping server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import type { StepOutput } from '../helpers/activities';
import { timeSkippingEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await timeSkippingEnv();
  rig = await startRig(env, uniqueTaskQueue('dataflow'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

describe('calling convention', () => {
  test('each node gets { input, params, upstream } and the result is the leaves\' outputs', async () => {
    const id = 'dataflow-diamond';
    // a -> (b, c) -> d, plus e on its own: the leaves are d and e.
    const spec: PipelineSpec = {
      name: 'diamond',
      nodes: [
        { id: 'a', activity: 'step', input: { n: 1 } },
        { id: 'b', activity: 'step', needs: ['a'], input: { n: 2 } },
        { id: 'c', activity: 'noop', needs: ['a'], input: { n: 3 } },
        { id: 'd', activity: 'step', needs: ['b', 'c'] },
        { id: 'e', activity: 'noop', input: ['static', 'list'] },
      ],
    };
    const params = { lang: 'en', ids: [1, 2] };
    await rig.tf.startRun(spec, { id, input: params });
    const result = await rig.tf.result(id, { wait: true });

    const a: StepOutput = { nodeId: 'a', input: { n: 1 }, params, upstream: {} };
    const b: StepOutput = { nodeId: 'b', input: { n: 2 }, params, upstream: { a } };
    // noop returns its input: c's output is { n: 3 }.
    const d: StepOutput = { nodeId: 'd', input: undefined, params, upstream: { b, c: { n: 3 } } };
    expect(Object.keys(result).sort()).toEqual(['d', 'e']);
    expect(result.d).toEqual(d);
    expect(result.e).toEqual(['static', 'list']);

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('completed');
    expect(status.progress).toMatchObject({ completed: 5, total: 5, running: 0, failed: 0, percent: 100 });
    expect(status.nodes.map((n) => [n.id, n.state, n.attempts])).toEqual([
      ['a', 'completed', 1],
      ['b', 'completed', 1],
      ['c', 'completed', 1],
      ['d', 'completed', 1],
      ['e', 'completed', 1],
    ]);
  });

  test('a run started without input gives params undefined; noop without input outputs null', async () => {
    const id = 'dataflow-no-params';
    const spec: PipelineSpec = {
      name: 'no-params',
      nodes: [
        { id: 'first', activity: 'noop' },
        { id: 'second', activity: 'step', needs: ['first'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });
    const second = result.second as StepOutput;
    expect(second.params).toBeUndefined();
    expect(second.upstream).toEqual({ first: null });
  });
});

describe('scheduling', () => {
  test('a node starts as soon as its own needs complete, not level by level', async () => {
    const id = 'dataflow-eager';
    // `slow` and `fast` are level 0; `next` needs only `fast`, so it must not wait for `slow`.
    const spec: PipelineSpec = {
      name: 'eager',
      nodes: [
        { id: 'slow', activity: 'step', input: { sleepMs: 3000 } },
        { id: 'fast', activity: 'step' },
        { id: 'next', activity: 'step', needs: ['fast'] },
        { id: 'end', activity: 'step', needs: ['slow', 'next'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true });
    const keys = rig.recorder.finished.filter((k) => k.startsWith(`${id}/`));
    expect(keys).toEqual([`${id}/fast`, `${id}/next`, `${id}/slow`, `${id}/end`]);
  });

  test('no more than maxParallel nodes are in flight', async () => {
    const id = 'dataflow-max-parallel';
    const nodes = Array.from({ length: 6 }, (_, i) => ({
      id: `n${i}`,
      activity: 'step',
      input: { sleepMs: 400 },
    }));
    const spec: PipelineSpec = { name: 'max-parallel', maxParallel: 2, nodes };
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });
    expect(Object.keys(result)).toHaveLength(6);
    expect(rig.recorder.startsOf(id)).toHaveLength(6);
    // At most two at once, and the limit is used (two really ran side by side).
    expect(rig.recorder.maxConcurrency(id)).toBe(2);
  });

  test('the default maxParallel lets independent nodes run side by side', async () => {
    const id = 'dataflow-default-parallel';
    const nodes = Array.from({ length: 4 }, (_, i) => ({ id: `n${i}`, activity: 'step', input: { sleepMs: 1000 } }));
    await rig.tf.startRun({ name: 'default-parallel', nodes }, { id });
    await rig.tf.result(id, { wait: true });
    expect(rig.recorder.maxConcurrency(id)).toBe(4);
  });
});

describe('invalid input', () => {
  test('a workflow started directly with an invalid spec fails with TapflowInvalidSpec', async () => {
    // The client refuses invalid specs, so go around it: the workflow must check again.
    const handle = await env.client.workflow.start('pipelineWorkflow', {
      taskQueue: rig.taskQueue,
      workflowId: 'dataflow-invalid',
      args: [{ spec: { name: 'bad', nodes: [{ id: 'a', activity: 'noop', needs: ['missing'] }] } }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toMatchObject({ cause: { type: 'TapflowInvalidSpec' } });
    expect((err as { cause: Error }).cause.message).toContain('nodes[0].needs[0]');
  });
});
