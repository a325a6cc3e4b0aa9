/**
 * A map over 100,000 items works, and no history passes 10,000 events: the parent's, and every
 * one of its 100 shards'. On a dev server whose task processing is not capped at its default 20
 * reads a second per shard (the setting the benchmark lifts too, see BENCHMARKS.md); nothing here
 * asserts a time.
 *
 * In every run (`npm test`): the items in batches of 100 (`batchSize`), 1,000 activity tasks in
 * all, which takes about a minute on the 2-core CI machine. With `npm run test:scale`
 * (TAPFLOW_SCALE_TESTS=1) also one activity per item, 100,000 activity tasks: about 14 minutes
 * here (~120 items a second, the dev server's CPU the limit), too long for every run;
 * `map.test.ts` checks that split and bound on a 2,500-item map in every run.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import { temporalCliPath } from '../../src/devstack/temporal-binaries';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
} from '../../src/workflows/definitions';
import { MAP_SHARD_SIZE } from '../../src/workflows/map-shard-workflow';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const ITEMS = 100_000;
const RUN = process.env.TAPFLOW_SCALE_TESTS === '1';
const HISTORY_BOUND = 10_000;

let env: TestWorkflowEnvironment;
let rig: TestRig;

describe('map at scale', () => {
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
        extraArgs: ['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=10000'],
      },
    });
    rig = await startRig(env, uniqueTaskQueue('map-scale'), {
      workerOptions: { maxConcurrentActivityTaskExecutions: 200, maxConcurrentWorkflowTaskExecutions: 40 },
    });
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
    await env?.teardown();
  });

  /** Events in the run's (last) history, as Temporal describes it: the history itself can pass gRPC's 4 MB. */
  async function historyLength(id: string): Promise<number> {
    return (await env.client.workflow.getHandle(id).describe()).historyLength;
  }

  function scaleSpec(extra: { batchSize?: number }): PipelineSpec {
    return {
      name: 'map-scale',
      nodes: [
        { id: 'list', activity: 'range', input: { n: ITEMS } },
        { id: 'each', kind: 'map', needs: ['list'], over: 'list.items', activity: 'square', maxParallel: 100, retry: { maximumAttempts: 3 }, ...extra },
      ],
    };
  }

  /** Runs the map as `id`, checks its outputs, and returns the event counts of its shards' histories and its own. */
  async function runAndMeasure(id: string, spec: PipelineSpec): Promise<{ shards: number[]; parent: number }> {
    await rig.tf.startRun(spec, { id });
    const result = (await rig.tf.result(id, { wait: true })) as { each: number[] };
    expect(result.each).toHaveLength(ITEMS);
    for (const i of [0, 1, 99, 100, 999, 1000, 54_321, ITEMS - 1]) expect(result.each[i]).toBe(i * i);
    const count = Math.ceil(ITEMS / MAP_SHARD_SIZE);
    expect(count).toBe(100);
    const shards: number[] = [];
    for (let k = 0; k < count; k++) shards.push(await historyLength(`${id}/each/shard-${k}`));
    return { shards, parent: await historyLength(id) };
  }

  test(`a map over ${ITEMS.toLocaleString('en')} items in batches of 100 completes, its outputs in order, every history under ${HISTORY_BOUND.toLocaleString('en')} events`, async () => {
    const { shards, parent } = await runAndMeasure('map-100k-batched', scaleSpec({ batchSize: 100 }));
    expect(Math.max(...shards)).toBeLessThan(HISTORY_BOUND);
    expect(parent).toBeLessThan(HISTORY_BOUND);
    // Every item ran: the test activity counts calls, and each of the 100,000 was called.
    expect(rig.recorder.startsOf('map-100k-batched', 'each')).toHaveLength(ITEMS);
  }, 600_000);

  (RUN ? test : test.skip)(`a map over ${ITEMS.toLocaleString('en')} items, one activity each, keeps every history under ${HISTORY_BOUND.toLocaleString('en')} events`, async () => {
    const { shards, parent } = await runAndMeasure('map-100k', scaleSpec({}));
    expect(Math.max(...shards)).toBeLessThan(HISTORY_BOUND);
    expect(parent).toBeLessThan(HISTORY_BOUND);
    // The whole map is far past the bound: one history would have been.
    expect(shards.reduce((a, b) => a + b, 0)).toBeGreaterThan(HISTORY_BOUND * 10);
  }, 1_200_000);
});
