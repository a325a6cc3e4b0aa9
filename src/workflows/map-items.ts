/**
 * How a map shard runs its units of work: one item as an activity, one item as a child
 * pipeline, or a batch of items as one activity task ({@link MAP_BATCH_ACTIVITY}); and how a
 * unit's failure names the item that failed.
 */
import type { PipelineRunArgs } from './run-args';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
  scheduleActivity,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { isNodeEnvelope } from '../core/envelope';
import type { PipelineSpec } from '../core/types';
import { PIPELINE_WORKFLOW_TYPE } from './definitions';
import { NODE_FAILED } from '../core/failure-types';
import { MAP_BATCH_ACTIVITY, isMapBatchCheckpoint, isMapItemFailureDetails, type MapBatchCall } from './map-batch-call';
import type { MapShardInput } from './map-shard-workflow';
import { timeoutName } from './node-activity';

/** Runs item `index` (of the whole map) as one call of the node's activity; resolves to its output. */
export async function runActivityItem(shard: MapShardInput, item: unknown, index: number): Promise<unknown> {
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

/** Runs item `index` as a child pipeline `<shard>/<index>`; resolves to the child's result. */
export async function runChildItem(shard: MapShardInput, shardId: string, item: unknown, index: number): Promise<unknown> {
  const input: PipelineRunArgs = {
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

/**
 * Runs `items` (the first being item `offset` of the whole map) as one batch activity, with id
 * `<node>[<first>..<last>]`; resolves to their outputs in order.
 */
export async function runActivityBatch(shard: MapShardInput, items: unknown[], offset: number): Promise<unknown[]> {
  const batch: MapBatchCall = {
    activity: shard.activity ?? '',
    runId: shard.runId,
    nodeId: shard.nodeId,
    input: shard.input,
    params: shard.params,
    upstream: shard.upstream,
    items,
    offset,
  };
  const id = `${shard.nodeId}[${offset}..${offset + items.length - 1}]`;
  const options: ActivityOptions = { ...batchOptions(shard.activityOptions ?? {}, items.length), activityId: id, summary: id };
  return scheduleActivity<unknown[]>(MAP_BATCH_ACTIVITY, [batch], options);
}

/**
 * A batch's activity options from the node's: its `timeout` is per item, so the batch may take
 * that many times it, and it must report an item at least once per item timeout (unless the
 * node sets its own `heartbeatTimeout`).
 */
export function batchOptions(node: ActivityOptions, items: number): ActivityOptions {
  const perItem = node.startToCloseTimeout;
  if (typeof perItem !== 'number') return node;
  return { ...node, startToCloseTimeout: perItem * items, heartbeatTimeout: node.heartbeatTimeout ?? perItem };
}

/**
 * The shard's failure for a unit that failed for good: a non-retryable error whose message
 * names the item (`item 17 failed: ...`), keeping the item's error type. `index` is the unit's
 * first item; a batch's failure names the item within it that failed.
 */
export function itemFailure(err: unknown, index: number): ApplicationFailure {
  let cause: unknown = err;
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) cause = err.cause ?? err;
  if (cause instanceof TimeoutFailure) {
    // A batch that stopped reporting: the item after the last one it reported is the one stuck.
    const done = isMapBatchCheckpoint(cause.lastHeartbeatDetails) ? cause.lastHeartbeatDetails.outputs.length : 0;
    return failure(index + done, `timed out (${timeoutName(cause.timeoutType)})`, 'Timeout');
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? (cause.type ?? NODE_FAILED) : NODE_FAILED;
  const detail = cause instanceof ApplicationFailure ? cause.details?.find(isMapItemFailureDetails) : undefined;
  return failure(detail?.tapflowMapItem ?? index, message, type);
}

function failure(item: number, message: string, type: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `item ${item} failed: ${message}`, type, nonRetryable: true, details: [{ index: item }] });
}
