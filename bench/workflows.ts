/**
 * The workflows the benchmark's worker hosts: tapflow's generic pipeline workflow, and the
 * hand-written baselines it is measured against in the same run. Bundled by bench/run.mjs with
 * `bundleWorkflowCode`, so engine and baselines run on one worker, one server, one bundle.
 *
 * The baselines call the same registered (and wrapped) `noop` activity with the same options
 * tapflow gives a node by default (see `activityOptionsFor` in src/workflows/node-activity.ts):
 * start-to-close 10 minutes, 3 attempts from 1 s doubling, wait for cancellation to complete.
 * Each call carries an argument of the same shape a node gets, so payload sizes match.
 */
import {
  ActivityCancellationType,
  condition,
  defineSignal,
  defineUpdate,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { isNodeEnvelope } from '../src/core/envelope';
import type { ActivityCall } from '../src/core/types';

// mapShardWorkflow runs the shards of a `map` node (bench/map.mjs).
export { mapShardWorkflow, pipelineWorkflow } from '../src/workflows';

/** The subset of tapflow's built-in activities the baselines call. */
interface BenchActivities {
  noop(call: ActivityCall): Promise<unknown>;
  /** Registered by bench/map.mjs: returns a null per item of `call.item`, heartbeating after each. */
  noopBatch(call: ActivityCall): Promise<unknown>;
  /** Registered by bench/cancel.mjs (bench/cancel-probe.mjs): heartbeats every `call.input.heartbeatMs` until cancelled. */
  heartbeatUntilCancelled(call: ActivityCall<{ heartbeatMs: number }>): Promise<unknown>;
}

/** The options of every baseline's activity calls: tapflow's defaults for a node. */
const BASELINE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: 10 * 60 * 1000,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2 },
};

const { noop, noopBatch } = proxyActivities<BenchActivities>(BASELINE_OPTIONS);

/**
 * The same `noop` as a local activity, with the options tapflow gives a local step by default
 * where they have a counterpart here (start-to-close, 3 attempts from 1 s doubling, wait for
 * cancellation to complete); it keeps the SDK's own `localRetryThreshold`, which a `noop` that
 * never fails never reaches.
 */
const { noop: localNoop } = proxyLocalActivities<BenchActivities>({
  startToCloseTimeout: 10 * 60 * 1000,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2 },
});

/** Node ids as the benchmark names them in its specs (`n0000`, `n0001`, ...). */
function nodeId(i: number): string {
  return `n${String(i).padStart(4, '0')}`;
}

function callFor(i: number, upstream: Record<string, unknown>): ActivityCall {
  const runId = workflowInfo().workflowId;
  const id = nodeId(i);
  return { input: undefined, params: undefined, upstream, node: { runId, nodeId: id, key: `${runId}/${id}` } };
}

/** Calls `noop` `n` times in sequence, each call given the previous call's output. */
export async function baselineChainWorkflow(n: number): Promise<unknown> {
  let previous: unknown = null;
  for (let i = 0; i < n; i++) {
    const upstream = i === 0 ? {} : { [nodeId(i - 1)]: previous };
    previous = await noop(callFor(i, upstream));
  }
  return previous;
}

/**
 * The baseline of a chain of local steps (`defaults: { local: true }`): calls `noop` `n` times in
 * sequence as a local activity, each call given the previous call's output. Written as a team
 * would write it: nothing ends the workflow task between calls, so the SDK keeps it open (and
 * heartbeats it) until the chain is done.
 */
export async function baselineLocalChainWorkflow(n: number): Promise<unknown> {
  let previous: unknown = null;
  for (let i = 0; i < n; i++) {
    const upstream = i === 0 ? {} : { [nodeId(i - 1)]: previous };
    previous = await localNoop(callFor(i, upstream));
  }
  return previous;
}

/** Calls `noop` `n` times, never more than `maxParallel` at once, starting the next as one ends. */
export async function baselineWideWorkflow(n: number, maxParallel: number): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await noop(callFor(i, {}));
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxParallel, n) }, lane));
  return done;
}

/** A node of {@link baselineStagesWorkflow}: its id and the ids whose outputs it is given. */
export interface StageNode {
  id: string;
  needs: string[];
}

/**
 * The baseline of bench/load.mjs: runs the stages in order, the nodes of a stage at once
 * (`Promise.all`), each a `noop` call given its needs' outputs as `upstream`, keyed by node id as
 * tapflow keys them (the envelope unwrapped, as tapflow passes outputs on). Every node of a stage
 * needs only nodes of earlier stages, so a DAG whose nodes each need the whole previous stage (the
 * benchmark's) runs in the same order as tapflow runs it. Resolves to the last stage's outputs,
 * as tapflow resolves to its leaves'. `startToCloseMs` replaces the calls' start-to-close timeout
 * of 10 minutes (bench/load.mjs --node-timeout-s, which sets the engine's `defaults.timeout` alike).
 */
export async function baselineStagesWorkflow(stages: StageNode[][], startToCloseMs?: number): Promise<Record<string, unknown>> {
  const runId = workflowInfo().workflowId;
  // The same options with another start-to-close timeout (bench/load.mjs --node-timeout-s), as the engine's spec then sets.
  const callNoop = startToCloseMs === undefined ? noop : proxyActivities<BenchActivities>({ ...BASELINE_OPTIONS, startToCloseTimeout: startToCloseMs }).noop;
  const outputs: Record<string, unknown> = {};
  const run = async ({ id, needs }: StageNode): Promise<void> => {
    const upstream = Object.fromEntries(needs.map((need) => [need, outputs[need]]));
    const call: ActivityCall = { input: undefined, params: undefined, upstream, node: { runId, nodeId: id, key: `${runId}/${id}` } };
    outputs[id] = unwrapOutput(await callNoop(call));
  };
  for (const stage of stages) await Promise.all(stage.map(run));
  return Object.fromEntries((stages.at(-1) ?? []).map(({ id }) => [id, outputs[id]]));
}

/** A no-op update: the baseline of a control round trip. */
export const pingUpdate = defineUpdate<number, [number]>('ping');
/** Ends {@link trivialUpdateWorkflow}. */
export const finishSignal = defineSignal('finish');

/**
 * Does nothing but answer {@link pingUpdate} until it is told to finish. Given `parkedQueue`, it
 * first schedules one `noop` on that task queue, which no worker polls, and leaves it in flight:
 * the baseline of a control round trip to a run with a node in flight (bench/run.mjs parks a
 * tapflow node the same way).
 */
export async function trivialUpdateWorkflow(parkedQueue?: string): Promise<number> {
  if (parkedQueue !== undefined) {
    const { noop: parked } = proxyActivities<BenchActivities>({ ...BASELINE_OPTIONS, taskQueue: parkedQueue });
    // Never settles while the queue has no worker; the workflow ends with it still in flight.
    void parked(callFor(0, {})).catch(() => undefined);
  }
  let pings = 0;
  let finished = false;
  setHandler(pingUpdate, (x) => {
    pings++;
    return x;
  });
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return pings;
}

/**
 * The baseline of bench/cancel.mjs: calls `heartbeatUntilCancelled` (which heartbeats every
 * `heartbeatMs` and returns only when cancelled) with the options tapflow gives a node that sets
 * `heartbeatTimeout`: start-to-close 10 minutes, 3 attempts from 1 s doubling, wait for
 * cancellation to complete, and a heartbeat timeout of `heartbeatTimeoutMs`. A Temporal cancel of
 * the workflow (`handle.cancel()`) cancels the call; the workflow then ends cancelled once the
 * activity has acknowledged it, as a tapflow run does.
 *
 * @throws CancelledFailure (the workflow ends cancelled) when it is cancelled.
 */
export async function baselineCancelWorkflow(heartbeatMs: number, heartbeatTimeoutMs: number): Promise<unknown> {
  const { heartbeatUntilCancelled } = proxyActivities<BenchActivities>({
    startToCloseTimeout: 10 * 60 * 1000,
    heartbeatTimeout: heartbeatTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2 },
  });
  return heartbeatUntilCancelled({ ...callFor(0, {}), input: { heartbeatMs } });
}

/** What an item's activity returned, without the envelope tapflow's worker wraps outputs in. */
function unwrapOutput(result: unknown): unknown {
  return isNodeEnvelope(result) ? result.output : result;
}

/** The call a map item gets (as `map-items.ts` builds it): item `index` of node `each`. */
function itemCall(item: unknown, index: number): ActivityCall {
  const runId = workflowInfo().workflowId;
  return { input: undefined, params: undefined, upstream: {}, item, index, node: { runId, nodeId: 'each', key: `${runId}/each/${index}` } };
}

/**
 * Runs `units` units of work, never more than `concurrency` at once, starting the next as one
 * ends; resolves to their results in unit order.
 */
async function inLanes<T>(units: number, concurrency: number, run: (u: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < units) {
      const u = next++;
      results[u] = await run(u);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, units) }, lane));
  return results;
}

/**
 * A hand-written map's parent: splits items `0..n-1` into shards of `shardSize` and runs each as
 * the child workflow `childType(offset, count, concurrency, ...extra)`, by tapflow's split rule
 * (see `map-node.ts`): at most `maxParallel` shards at once, each with
 * `max(1, floor(maxParallel / shards running))` units in flight. Concatenates the outputs.
 */
async function runBaselineShards(childType: string, n: number, maxParallel: number, shardSize: number, extra: unknown[]): Promise<unknown[]> {
  const shardCount = Math.ceil(n / shardSize);
  const running = Math.max(1, Math.min(shardCount, maxParallel));
  const concurrency = Math.max(1, Math.floor(maxParallel / running));
  const parentId = workflowInfo().workflowId;
  const outputs = await inLanes(shardCount, running, (k) => {
    const offset = k * shardSize;
    return executeChild<(...a: unknown[]) => Promise<unknown[]>>(childType, {
      workflowId: `${parentId}/shard-${k}`,
      args: [offset, Math.min(shardSize, n - offset), concurrency, ...extra],
    });
  });
  return outputs.flat();
}

/**
 * The baseline of a `map` node: what a team would write on plain Temporal to run `noop` once per
 * item over `n` items, with the parent/child shape of tapflow's map (shards of `shardSize` items
 * as child workflows, {@link baselineMapShardWorkflow}). Resolves to the `n` outputs in order.
 */
export async function baselineMapWorkflow(n: number, maxParallel: number, shardSize = 1000): Promise<unknown[]> {
  return runBaselineShards('baselineMapShardWorkflow', n, maxParallel, shardSize, []);
}

/**
 * One shard of {@link baselineMapWorkflow}: calls `noop` for items `offset..offset+count-1`, at most
 * `concurrency` in flight, and resolves to their outputs in item order.
 */
export async function baselineMapShardWorkflow(offset: number, count: number, concurrency: number): Promise<unknown[]> {
  return inLanes(count, concurrency, async (i) => unwrapOutput(await noop(itemCall(offset + i, offset + i))));
}

/**
 * The baseline of a `map` node with `batchSize`: the same parent/child shape as
 * {@link baselineMapWorkflow}, each child ({@link baselineBatchedMapShardWorkflow}) calling the
 * plain activity `noopBatch` once per `batchSize` items.
 */
export async function baselineBatchedMapWorkflow(n: number, maxParallel: number, batchSize: number, shardSize = 1000): Promise<unknown[]> {
  return runBaselineShards('baselineBatchedMapShardWorkflow', n, maxParallel, shardSize, [batchSize]);
}

/**
 * One shard of {@link baselineBatchedMapWorkflow}: calls `noopBatch` over consecutive slices of
 * `batchSize` of its `count` items, at most `concurrency` batches in flight (a batch counts as one,
 * as in tapflow), and resolves to the items' outputs in order.
 */
export async function baselineBatchedMapShardWorkflow(offset: number, count: number, concurrency: number, batchSize: number): Promise<unknown[]> {
  const size = Math.max(1, batchSize);
  const batches = await inLanes(Math.ceil(count / size), concurrency, async (b) => {
    const first = offset + b * size;
    const items = Array.from({ length: Math.min(size, offset + count - first) }, (_, j) => first + j);
    return unwrapOutput(await noopBatch(itemCall(items, first))) as unknown[];
  });
  return batches.flat();
}
