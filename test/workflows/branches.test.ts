/**
 * Branches, joins and data wiring on the time-skipping server: `when` conditions, each trigger
 * rule, skips passing on down a chain, failures that reach a join, `${{ }}` inputs, an `over`
 * expression, and bounded repeats that end by their condition or by their `max`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EXPRESSION_FAILED, NODE_FAILED, REPEAT_EXHAUSTED } from '../../src/core/failure-types';
import type { NodeStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import type { StepOutput } from '../helpers/activities';
import { eventually } from '../helpers/poll';
import { runFailure } from '../helpers/run-failure';
import { timeSkippingEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await timeSkippingEnv();
  rig = await startRig(env, uniqueTaskQueue('branches'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/** Each node's id, state and skip cause. */
async function states(id: string): Promise<Array<[string, string, string | undefined]>> {
  const status = await rig.tf.getStatus(id);
  return status.nodes.map((n) => [n.id, n.state, n.skipCause]);
}

async function node(id: string, nodeId: string): Promise<NodeStatus> {
  const status = await rig.tf.getStatus(id);
  const found = status.nodes.find((n) => n.id === nodeId);
  if (!found) throw new Error(`no node ${nodeId}`);
  return found;
}

/** The media pipeline: a probe decides which branch runs, and the join publishes either. */
function media(kind: string): PipelineSpec {
  return {
    name: 'media',
    nodes: [
      { id: 'probe', activity: 'noop', input: { kind, codec: 'h264', path: '${{ params.path }}' } },
      {
        id: 'video',
        activity: 'step',
        needs: ['probe'],
        when: 'upstream.probe.kind == "video"',
        input: { src: '${{ params.path }}', codec: '${{ upstream.probe.codec }}', label: 'clip ${{ params.id }}', n: '${{ params.id + 1 }}' },
      },
      { id: 'image', activity: 'step', needs: ['probe'], when: 'upstream.probe.kind == "image"' },
      { id: 'publish', activity: 'step', needs: ['video', 'image'], trigger: 'none_failed' },
    ],
  };
}

describe('when', () => {
  test('a false condition skips its node (cause condition, output null); the join after the branch runs', async () => {
    const id = 'branches-video';
    await rig.tf.startRun(media('video'), { id, input: { path: 'clips/a.mp4', id: 7 } });
    const result = await rig.tf.result(id, { wait: true });
    expect(await states(id)).toEqual([
      ['probe', 'completed', undefined],
      ['video', 'completed', undefined],
      ['image', 'skipped', 'condition'],
      ['publish', 'completed', undefined],
    ]);
    const image = await node(id, 'image');
    expect(image.skipReason).toBe('condition false');
    // The status carries the spec's condition and a trigger that is not the default, for the views.
    expect(image.when).toBe('upstream.probe.kind == "image"');
    expect((await node(id, 'publish')).trigger).toBe('none_failed');
    expect((await node(id, 'probe')).trigger).toBeUndefined();
    expect(image.startedAt).toBeUndefined();
    // The input is resolved: typed where the string is one expression, text inside longer text.
    const resolved = { src: 'clips/a.mp4', codec: 'h264', label: 'clip 7', n: 8 };
    expect((await node(id, 'video')).input).toEqual(resolved);
    const publish = result.publish as StepOutput;
    expect(publish.upstream.image).toBeNull();
    expect((publish.upstream.video as StepOutput).input).toEqual(resolved);
    const status = await rig.tf.getStatus(id);
    expect(status.progress).toMatchObject({ completed: 3, skipped: 1, total: 4, percent: 100 });
  });

  test('the other branch runs for an image', async () => {
    const id = 'branches-image';
    await rig.tf.startRun(media('image'), { id, input: { path: 'pics/a.png', id: 1 } });
    await rig.tf.result(id, { wait: true });
    expect(await states(id)).toEqual([
      ['probe', 'completed', undefined],
      ['video', 'skipped', 'condition'],
      ['image', 'completed', undefined],
      ['publish', 'completed', undefined],
    ]);
    // A node skipped before it started never resolved its input.
    expect((await node(id, 'video')).input).toBeUndefined();
  });

  test('a skip passes on down a chain by the default rule, and the run completes', async () => {
    const id = 'branches-chain';
    const spec: PipelineSpec = {
      name: 'chain',
      nodes: [
        { id: 'a', activity: 'noop', when: 'params.go' },
        { id: 'b', activity: 'noop', needs: ['a'] },
        { id: 'c', activity: 'noop', needs: ['b'] },
        { id: 'd', activity: 'noop', input: 'ran' },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { go: false } });
    const result = await rig.tf.result(id, { wait: true });
    expect(result).toEqual({ c: null, d: 'ran' });
    expect(await states(id)).toEqual([
      ['a', 'skipped', 'condition'],
      ['b', 'skipped', 'upstream'],
      ['c', 'skipped', 'upstream'],
      ['d', 'completed', undefined],
    ]);
    expect((await node(id, 'c')).skipReason).toBe('need "b" was skipped');
    expect(rig.recorder.startsOf(id, 'b')).toEqual([]);
  });

  test('a condition that fails on the data fails its node with where and why', async () => {
    const id = 'branches-when-error';
    const spec: PipelineSpec = {
      name: 'when-error',
      nodes: [
        { id: 'a', activity: 'noop', input: { kind: 'video' } },
        { id: 'b', activity: 'noop', needs: ['a'], when: 'upstream.a.size > 3' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await runFailure(env.client, id);
    expect(failure.type).toBe(NODE_FAILED);
    const b = await node(id, 'b');
    expect(b.state).toBe('failed');
    expect(b.errorType).toBe(EXPRESSION_FAILED);
    expect(b.error).toMatch(/^when: upstream\.a\.size > 3: .*size/);
    expect(failure.message).toContain('node "b" failed: when: upstream.a.size > 3');
  });
});

describe('trigger rules', () => {
  test('one_success runs as soon as one need completed, without waiting for the others', async () => {
    const id = 'branches-one-success';
    const spec: PipelineSpec = {
      name: 'race',
      nodes: [
        { id: 'slow', kind: 'sleep', duration: '1h' },
        { id: 'fast', activity: 'noop', input: 'fast' },
        { id: 'first', activity: 'noop', needs: ['slow', 'fast'], trigger: 'one_success', input: '${{ upstream.fast }}' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true });
    const slow = await node(id, 'slow');
    const first = await node(id, 'first');
    expect(first.state).toBe('completed');
    expect(first.input).toBe('fast');
    expect(Date.parse(first.finishedAt as string)).toBeLessThan(Date.parse(slow.finishedAt as string));
  });

  test('all_done runs after a failed need; the run goes on and then fails naming the failed node', async () => {
    const id = 'branches-all-done';
    const spec: PipelineSpec = {
      name: 'cleanup',
      nodes: [
        { id: 'work', activity: 'fail', input: { message: 'disk full', nonRetryable: true } },
        { id: 'other', activity: 'noop', input: 'other' },
        { id: 'after', activity: 'noop', needs: ['work'], input: 'never' },
        { id: 'cleanup', activity: 'step', needs: ['work', 'other'], trigger: 'all_done' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await runFailure(env.client, id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toBe('node "work" failed after 1 attempt: disk full');
    expect(await states(id)).toEqual([
      ['work', 'failed', undefined],
      ['other', 'completed', undefined],
      ['after', 'skipped', 'upstream'],
      ['cleanup', 'completed', undefined],
    ]);
    expect((await node(id, 'after')).skipReason).toBe('need "work" failed');
    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(status.reason).toBe('node "work" failed after 1 attempt: disk full');
  });

  test('none_failed is ruled out by a failure: the run fails at once, as without trigger rules', async () => {
    const id = 'branches-none-failed';
    const spec: PipelineSpec = {
      name: 'none-failed',
      nodes: [
        { id: 'work', activity: 'fail', input: { message: 'bad', nonRetryable: true } },
        { id: 'long', activity: 'step', input: { sleepMs: 60_000, heartbeatEveryMs: 100 } },
        { id: 'join', activity: 'noop', needs: ['work'], trigger: 'none_failed' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await runFailure(env.client, id);
    expect(failure.message).toContain('node "work" failed');
    expect(await states(id)).toEqual([
      ['work', 'failed', undefined],
      ['long', 'cancelled', undefined],
      ['join', 'skipped', 'upstream'],
    ]);
  });

  test('none_failed skips a join whose needs were all skipped', async () => {
    const id = 'branches-none-completed';
    const spec: PipelineSpec = {
      name: 'nothing',
      nodes: [
        { id: 'a', activity: 'noop', when: 'false' },
        { id: 'b', activity: 'noop', when: 'false' },
        { id: 'join', activity: 'noop', needs: ['a', 'b'], trigger: 'none_failed' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true });
    expect(await states(id)).toEqual([
      ['a', 'skipped', 'condition'],
      ['b', 'skipped', 'condition'],
      ['join', 'skipped', 'upstream'],
    ]);
    expect((await node(id, 'join')).skipReason).toBe('no need completed');
  });
});

describe('rerun preview', () => {
  test('a live run says which branch a rerun would take, judged on its own outputs', async () => {
    const id = 'branches-rerun-preview';
    const spec: PipelineSpec = {
      ...media('video'),
      nodes: [...media('video').nodes, { id: 'gate', kind: 'event', event: 'go', needs: ['publish'] }],
    };
    await rig.tf.startRun(spec, { id, input: { path: 'a.mp4', id: 1 } });
    await eventually('the gate to wait', async () => ((await node(id, 'gate')).state === 'running' ? true : undefined));
    expect(await rig.tf.rerunPreview(id, 'video')).toEqual([{ node: 'video', when: 'upstream.probe.kind == "video"', verdict: 'run' }]);
    expect(await rig.tf.rerunPreview(id, 'probe')).toEqual([
      { node: 'video', when: 'upstream.probe.kind == "video"', verdict: 'later', detail: 'probe' },
      { node: 'image', when: 'upstream.probe.kind == "image"', verdict: 'later', detail: 'probe' },
    ]);
    await expect(rig.tf.rerunPreview(id, 'nope')).rejects.toThrow(/nope/);
    await rig.tf.sendEvent(id, 'go', { data: {} });
    await rig.tf.result(id, { wait: true });
  });
});

describe('an operator\'s input with templates', () => {
  test('an edit may hold templates, resolved when the node starts; a bad one is refused with where', async () => {
    const id = 'branches-edit-template';
    // The spec itself uses no expressions: the edit alone brings them in.
    const spec: PipelineSpec = {
      name: 'edit-template',
      nodes: [
        { id: 'wait', kind: 'event', event: 'go' },
        { id: 'b', activity: 'noop', needs: ['wait'], input: 'plain' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('the event node to wait', async () => ((await node(id, 'wait')).state === 'running' ? true : undefined));
    await rig.tf.pause(id);
    await eventually('paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
    await expect(rig.tf.edit(id, 'b', { input: { x: '${{ nope }}' } })).rejects.toThrow(/input\.x: unknown variable "nope"/);
    await expect(rig.tf.edit(id, 'b', { input: { x: '${{ upstream.other }}' } })).rejects.toThrow(/"other" is not in the node's needs/);
    await rig.tf.edit(id, 'b', { input: { doubled: '${{ upstream.wait.n * 2 }}', note: 'n is ${{ upstream.wait.n }}' } });
    await rig.tf.resume(id);
    await rig.tf.sendEvent(id, 'go', { data: { n: 4 } });
    const result = await rig.tf.result(id, { wait: true });
    expect(result.b).toEqual({ doubled: 8, note: 'n is 4' });
    expect(await node(id, 'b')).toMatchObject({ inputEdited: true, input: { doubled: 8, note: 'n is 4' } });
  });
});

describe('data wiring', () => {
  test('$${{ writes a literal ${{, and an over expression picks the items', async () => {
    const id = 'branches-over';
    const spec: PipelineSpec = {
      name: 'over',
      nodes: [
        { id: 'r', activity: 'range', input: { n: 6 } },
        { id: 'sq', kind: 'map', needs: ['r'], over: '${{ upstream.r.items.filter(i, i % 2 == 0) }}', activity: 'square' },
        { id: 'lit', activity: 'noop', input: { text: 'costs $${{ params.x }} and ${{ params.x }}' } },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { x: 3 } });
    const result = await rig.tf.result(id, { wait: true });
    expect(result.sq).toEqual([0, 4, 16]);
    expect(result.lit).toEqual({ text: 'costs ${{ params.x }} and 3' });
  });
});

describe('repeat', () => {
  /** A child that hands back what it was given, with a verdict on it. */
  const reviseSpec: PipelineSpec = {
    name: 'revise',
    nodes: [{ id: 'draft', activity: 'noop', input: '${{ params.input }}' }],
  };

  test('a repeat runs rounds until its condition holds, each round a child run with the previous output', async () => {
    const id = 'branches-repeat';
    const spec: PipelineSpec = {
      name: 'review',
      nodes: [
        {
          id: 'write',
          kind: 'pipeline',
          pipeline: reviseSpec,
          input: { round: '${{ round }}', notes: '${{ previous == null ? "" : previous.draft.notes + "+" }}' },
          repeat: { until: 'output.draft.round >= 3', max: 5 },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });
    expect(result.write).toEqual({ draft: { round: 3, notes: '++' } });
    const write = await node(id, 'write');
    expect(write).toMatchObject({ state: 'completed', round: 3, childRunId: `${id}/write~3`, input: { round: 3, notes: '++' } });
    // Each round is a run of its own.
    for (const child of [`${id}/write`, `${id}/write~2`, `${id}/write~3`]) {
      expect((await rig.tf.getStatus(child)).state).toBe('completed');
    }
  });

  test('a repeat that reaches its max fails its node', async () => {
    const id = 'branches-repeat-max';
    const spec: PipelineSpec = {
      name: 'review-max',
      nodes: [
        {
          id: 'write',
          kind: 'pipeline',
          pipeline: reviseSpec,
          input: { round: '${{ round }}' },
          repeat: { until: 'output.draft.round > 10', max: 2 },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const failure = await runFailure(env.client, id);
    expect(failure.message).toContain('ran its 2 rounds without "output.draft.round > 10" holding');
    const write = await node(id, 'write');
    expect(write).toMatchObject({ state: 'failed', errorType: REPEAT_EXHAUSTED, round: 2 });
  });
});
