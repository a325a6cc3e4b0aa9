/**
 * One shard of a `map` node: runs the node's activity (or child pipeline) over a slice of the
 * items, at most `concurrency` at once, and returns their outputs in item order. The pipeline
 * workflow splits a map into shards of at most {@link MAP_SHARD_SIZE} items (see `map-node.ts`),
 * so no history grows past ~10,000 events however many items there are; a shard whose history
 * still grows long continues as new between items, carrying the outputs so far.
 *
 * The first item that fails for good fails the shard (the items in flight are cancelled), with
 * the item's index and error. Pause and resume reach a shard as signals from its parent: no item
 * starts while it is paused. Cancel reaches it as Temporal's cancel.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  isCancellation,
  scheduleActivity,
  setHandler,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { isNodeEnvelope } from '../pipeline/envelope';
import type { PipelineSpec } from '../pipeline/types';
import { PIPELINE_WORKFLOW_TYPE, pauseSignal, resumeSignal, type PipelineRunInput, type RunMeta } from './definitions';
import { NODE_FAILED } from './errors';

/** Most items one shard takes. Each item costs about 4 history events, so a shard stays under 10,000. */
export const MAP_SHARD_SIZE = 1000;

/** The workflow type of a map shard. */
export const MAP_SHARD_WORKFLOW_TYPE = 'mapShardWorkflow';

/** What a shard is started with. */
export interface MapShardInput {
  /** The run and node the map belongs to (items' idempotency keys and records use them). */
  runId: string;
  nodeId: string;
  /** The node's activity, or the child spec each item runs. */
  activity?: string;
  pipeline?: PipelineSpec;
  /** Options of each item's activity (the node's retry, timeouts, task queue). */
  activityOptions?: ActivityOptions;
  /** What child pipelines inherit, and how deep they nest. */
  meta?: RunMeta;
  nesting?: { depth: number; maxDepth: number };
  childTaskQueue?: string;
  /** The node's static input, the run's params, and the node's upstream (less the items' source). */
  input: unknown;
  params: unknown;
  upstream: Record<string, unknown>;
  /** This shard's items and the index of the first in the whole map. */
  items: unknown[];
  offset: number;
  /** Most items in flight at once. */
  concurrency: number;
  /** Outputs of the items done before a continue-as-new. */
  done?: unknown[];
  /** Continue-as-new past this many events. Default: 8,000. */
  continueAsNewAfterEvents?: number;
}

/** Runs one shard; see the module comment. */
export async function mapShardWorkflow(shard: MapShardInput): Promise<unknown[]> {
  let paused = false;
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  const info = workflowInfo();
  const outputs: unknown[] = [...(shard.done ?? [])];
  const next = { index: outputs.length };
  let failure: ApplicationFailure | undefined;
  let inFlight = 0;
  const scope = new CancellationScope();

  const runItem = async (i: number): Promise<void> => {
    const index = shard.offset + i;
    const item = shard.items[i];
    try {
      outputs[i] = shard.pipeline ? await runChildItem(shard, info.workflowId, item, index) : await runActivityItem(shard, item, index);
    } catch (err) {
      if (isCancellation(err) && failure) return;
      if (isCancellation(err)) throw err;
      failure ??= itemFailure(err, index);
      scope.cancel();
    }
  };

  const limitEvents = shard.continueAsNewAfterEvents ?? 8000;
  const pending = new Set<Promise<void>>();
  // The first failure cancels the scope: the waits inside it then reject with a cancellation,
  // which is the failure's doing, not a cancel of the shard.
  await scope.run(async () => {
    while (next.index < shard.items.length && !failure) {
      await condition(() => !paused && inFlight < shard.concurrency);
      if (failure) break;
      if (workflowInfo().historyLength >= limitEvents) break;
      const i = next.index++;
      inFlight++;
      const p = runItem(i).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await Promise.all(pending);
  }).catch((err: unknown) => {
    if (!(failure && isCancellation(err))) throw err;
  });
  if (failure) throw failure;
  if (next.index < shard.items.length) {
    // Long history: go on in a fresh one, with the outputs so far.
    await continueAsNew<typeof mapShardWorkflow>({ ...shard, done: outputs.slice(0, next.index) });
  }
  return outputs;
}

async function runActivityItem(shard: MapShardInput, item: unknown, index: number): Promise<unknown> {
  const call = {
    input: shard.input,
    params: shard.params,
    upstream: shard.upstream,
    item,
    index,
    node: { runId: shard.runId, nodeId: shard.nodeId, key: `${shard.runId}/${shard.nodeId}/${index}` },
  };
  const options: ActivityOptions = { ...shard.activityOptions, activityId: `${shard.nodeId}[${index}]`, summary: `${shard.nodeId}[${index}]` };
  const result = await scheduleActivity<unknown>(shard.activity ?? '', [call], options);
  return isNodeEnvelope(result) ? result.output : result;
}

async function runChildItem(shard: MapShardInput, shardId: string, item: unknown, index: number): Promise<unknown> {
  const input: PipelineRunInput = {
    spec: shard.pipeline as PipelineSpec,
    params: { input: shard.input, params: shard.params, upstream: shard.upstream, item, index },
    meta: shard.meta ?? {},
    ...(shard.nesting ? { nesting: shard.nesting } : {}),
  };
  const handle = await startChild(PIPELINE_WORKFLOW_TYPE, {
    workflowId: `${shardId}/${index}`,
    taskQueue: shard.childTaskQueue ?? workflowInfo().taskQueue,
    args: [input],
  });
  return handle.result();
}

function itemFailure(err: unknown, index: number): ApplicationFailure {
  let cause: unknown = err;
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) cause = err.cause ?? err;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? (cause.type ?? NODE_FAILED) : NODE_FAILED;
  return ApplicationFailure.create({ message: `item ${index} failed: ${message}`, type, nonRetryable: true, details: [{ index }] });
}
