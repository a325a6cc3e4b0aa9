/**
 * One shard of a `map` node: runs the node's activity (or child pipeline) over a slice of the
 * items, at most `concurrency` at once, and returns their outputs in item order. The pipeline
 * workflow splits a map into shards of at most {@link MAP_SHARD_SIZE} items (see `map-node.ts`),
 * so no history grows past ~10,000 events however many items there are; a shard whose history
 * still grows long continues as new between items, carrying the outputs so far. With the node's
 * `batchSize`, each activity task runs a batch of items (see `map-items.ts`), and the shard's
 * history grows by a few events per batch instead of per item.
 *
 * The first item that fails for good fails the shard (the items in flight are cancelled), with
 * the item's index and error. Pause and resume reach a shard as signals from its parent: no item
 * starts while it is paused. Cancel reaches it as Temporal's cancel.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
  type ActivityOptions,
  type ApplicationFailure,
} from '@temporalio/workflow';
import type { PipelineSpec } from '../core/types';
import { pauseSignal, resumeSignal, type RunMeta } from './definitions';
import { itemFailure, runActivityBatch, runActivityItem, runChildItem } from './map-items';

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
  /**
   * Items per activity task (the node's `batchSize`; activity maps only). Default: 1. A batch
   * runs its items one after another, so it counts as one item in flight.
   */
  batchSize?: number;
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
  // The unit of work: one item, or a batch of them (one activity task).
  const size = shard.pipeline ? 1 : Math.max(1, shard.batchSize ?? 1);
  const units = Math.ceil(shard.items.length / size);
  // A continue-as-new happens between units, so the items done are whole units.
  const next = { unit: Math.ceil(outputs.length / size) };
  let failure: ApplicationFailure | undefined;
  let inFlight = 0;
  const scope = new CancellationScope();

  const runUnit = async (u: number): Promise<void> => {
    const first = u * size;
    const index = shard.offset + first;
    try {
      if (size > 1) {
        const results = await runActivityBatch(shard, shard.items.slice(first, first + size), index);
        results.forEach((output, j) => (outputs[first + j] = output));
      } else {
        const item = shard.items[first];
        outputs[first] = shard.pipeline ? await runChildItem(shard, info.workflowId, item, index) : await runActivityItem(shard, item, index);
      }
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
    while (next.unit < units && !failure) {
      await condition(() => !paused && inFlight < shard.concurrency);
      if (failure) break;
      if (workflowInfo().historyLength >= limitEvents) break;
      const u = next.unit++;
      inFlight++;
      const p = runUnit(u).finally(() => {
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
  if (next.unit < units) {
    // Long history: go on in a fresh one, with the outputs so far.
    await continueAsNew<typeof mapShardWorkflow>({ ...shard, done: outputs.slice(0, next.unit * size) });
  }
  return outputs;
}
