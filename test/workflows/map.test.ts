/**
 * `map` nodes on a dev server: outputs in item order, the concurrency limit across shards, a
 * dotted `over` path, an item's failure (failing or holding the node), a map over a child
 * pipeline, pause reaching the shards, and the history bound of a map split into shards.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState, RunStatus } from '../../src/core/states';
import { MAP_SHARD_SIZE } from '../../src/workflows/map-shard-workflow';
import { devServerEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('map'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

function runState(id: string, state: RunState): Promise<RunStatus> {
  return eventually(
    `${id} to be ${state}`,
    async () => {
      const status = await rig.tf.getStatus(id);
      return status.state === state ? status : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

function mapSpec(n: number, extra: Partial<PipelineSpec['nodes'][number]> = {}, maxParallel = 4): PipelineSpec {
  return {
    name: 'squares',
    nodes: [
      { id: 'list', activity: 'range', input: { n } },
      { id: 'each', kind: 'map', needs: ['list'], over: 'list.items', activity: 'square', maxParallel, ...extra },
    ],
  };
}

async function historyLength(id: string): Promise<number> {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  return history.events?.length ?? 0;
}

describe('map nodes', () => {
  test('outputs come back in item order, at most maxParallel items in flight', async () => {
    const id = 'map-order';
    await rig.tf.startRun(mapSpec(25, { input: { sleepMs: 20 } }, 3), { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toEqual(Array.from({ length: 25 }, (_, i) => i * i));
    expect(rig.recorder.maxConcurrency(id)).toBeLessThanOrEqual(3);
    expect(rig.recorder.maxConcurrency(id)).toBeGreaterThan(1);
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'each')).toMatchObject({ state: 'completed', kind: 'map', items: { total: 25, done: 25 } });
  });

  test("an item's failure fails the node with the item's index; with onFailure hold it is held", async () => {
    await rig.tf.startRun(mapSpec(10, { input: { failAt: 7 }, retry: { maximumAttempts: 1 } }), { id: 'map-fail' });
    await expect(rig.tf.result('map-fail', { wait: true })).rejects.toThrow(/item 7 failed: cannot square 7/);

    await rig.tf.startRun(mapSpec(10, { input: { failAt: 7 }, retry: { maximumAttempts: 1 }, onFailure: 'hold' }), { id: 'map-held' });
    const held = await runState('map-held', 'held');
    expect(nodeOf(held, 'each')).toMatchObject({ held: true, errorType: 'BadItem' });
    // Retry with an input that fails nowhere: a new round of shards, and the run completes.
    await rig.tf.retry('map-held', 'each', { input: {} });
    const result = (await rig.tf.result('map-held', { wait: true })) as { each: number[] };
    expect(result.each[7]).toBe(49);
  });

  test('a map over a child pipeline runs one child run per item', async () => {
    const id = 'map-children';
    const spec: PipelineSpec = {
      name: 'per-item',
      nodes: [
        { id: 'list', activity: 'range', input: { n: 3 } },
        {
          id: 'each',
          kind: 'map',
          needs: ['list'],
          over: 'list.items',
          pipeline: { name: 'one-item', nodes: [{ id: 's', activity: 'step' }] },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: Array<{ s: { params: { item: number; index: number } } }> };
    expect(result.each.map((r) => r.s.params.item)).toEqual([0, 1, 2]);
    expect(result.each.map((r) => r.s.params.index)).toEqual([0, 1, 2]);
  });

  test('pause reaches the shards: nothing starts until resumed', async () => {
    const id = 'map-pause';
    await rig.tf.startRun(mapSpec(40, { input: { sleepMs: 100 } }, 2), { id });
    await eventually('items to start', () => (rig.recorder.startsOf(id, 'each').length >= 2 ? true : undefined));
    await rig.tf.pause(id, { reason: 'hold on' });
    await runState(id, 'paused');
    // In-flight items finish; then no more start.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = rig.recorder.startsOf(id, 'each').length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(rig.recorder.startsOf(id, 'each').length).toBe(started);
    expect(started).toBeLessThan(40);
    await rig.tf.resume(id);
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toHaveLength(40);
  });

  test(`a map past one shard (${MAP_SHARD_SIZE} items) is split: no history passes 10,000 events`, async () => {
    const id = 'map-split';
    const n = 2 * MAP_SHARD_SIZE + 500;
    await rig.tf.startRun(mapSpec(n, {}, 32), { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toHaveLength(n);
    expect(result.each[n - 1]).toBe((n - 1) * (n - 1));
    const shards = [0, 1, 2].map((k) => `${id}/each/shard-${k}`);
    for (const shard of shards) expect(await historyLength(shard)).toBeLessThan(10_000);
    expect(await historyLength(id)).toBeLessThan(200);
  }, 300_000);
});

describe('batched map nodes (batchSize)', () => {
  test('each activity task runs a batch of items: outputs in order, each item once, a few events per batch', async () => {
    const id = 'map-batched';
    const n = MAP_SHARD_SIZE + 500;
    await rig.tf.startRun(mapSpec(n, { batchSize: 100 }, 8), { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toEqual(Array.from({ length: n }, (_, i) => i * i));
    const indexes = rig.recorder.startsOf(id, 'each').map((s) => s.index);
    expect(new Set(indexes).size).toBe(n);
    expect(indexes).toHaveLength(n);
    // 10 batches in the first shard: tens of events, where one activity per item takes thousands.
    expect(await historyLength(`${id}/each/shard-0`)).toBeLessThan(100);
    expect(await historyLength(`${id}/each/shard-1`)).toBeLessThan(100);
  }, 120_000);

  test('a batch retried after an item fails starts at that item, not over', async () => {
    const id = 'map-batch-retry';
    await rig.tf.startRun(mapSpec(10, { batchSize: 10, input: { flakyAt: 6 }, retry: { maximumAttempts: 2, initialInterval: '100ms' } }), { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
    const starts = rig.recorder.startsOf(id, 'each').map((s) => [s.index, s.attempt]);
    expect(starts).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => [i, 1]),
      ...[6, 7, 8, 9].map((i) => [i, 2]),
    ]);
  });

  test('a retry of a held map runs only the shards its failed round did not finish', async () => {
    const id = 'map-held-reuse';
    const n = 2 * MAP_SHARD_SIZE + 10;
    // One shard at a time: shards 0 and 1 finish, then item 2005 (in shard 2) fails once.
    const each = { batchSize: 100, input: { flakyAt: 2005 }, retry: { maximumAttempts: 1 }, onFailure: 'hold' as const };
    await rig.tf.startRun(mapSpec(n, each, 1), { id });
    const held = await runState(id, 'held');
    expect(nodeOf(held, 'each')).toMatchObject({ held: true, errorType: 'Flaky', items: { total: n, done: 2 * MAP_SHARD_SIZE } });
    await rig.tf.retry(id, 'each');
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toEqual(Array.from({ length: n }, (_, i) => i * i));
    const calls = new Map<number, number>();
    for (const s of rig.recorder.startsOf(id, 'each')) calls.set(s.index as number, (calls.get(s.index as number) ?? 0) + 1);
    // Shards 0 and 1 ran once; shard 2 ran again in the retry.
    expect([...calls.entries()].filter(([i, c]) => i < 2 * MAP_SHARD_SIZE && c !== 1)).toEqual([]);
    expect(calls.get(2000)).toBe(2);
    expect(calls.get(2005)).toBe(2);
  }, 120_000);

  test("an item that fails for good fails the node with that item's index", async () => {
    const id = 'map-batch-fail';
    await rig.tf.startRun(mapSpec(30, { batchSize: 10, input: { failAt: 17 }, retry: { maximumAttempts: 1 } }), { id });
    await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/item 17 failed: cannot square 17/);
  });

  test('an item stuck past its timeout times the batch out, and the failure names the item', async () => {
    const id = 'map-batch-stuck';
    await rig.tf.startRun(mapSpec(10, { batchSize: 5, timeout: '2s', input: { hangAt: 7 }, retry: { maximumAttempts: 1 } }, 2), { id });
    await expect(rig.tf.result(id, { wait: true })).rejects.toThrow(/item 7 failed: timed out \(heartbeat\)/);
  }, 60_000);
});
