/**
 * What a map shard and the worker's batch activity exchange when a `map` node has a `batchSize`:
 * the activity's reserved name, its argument, the checkpoint it heartbeats and the detail that
 * names a failed item. Imported by workflow code and by the worker: pure.
 */

export { MAP_BATCH_ACTIVITY } from '../core/types';

/** One batch: consecutive items of one map node, run one after another by one activity task. */
export interface MapBatchCall {
  /** The node's activity, run once per item. */
  activity: string;
  /** The run and node the map belongs to (each item's `call.node`). */
  runId: string;
  nodeId: string;
  /** The node's static input, the run's params and the node's upstream (less the items' source). */
  input: unknown;
  params: unknown;
  upstream: Record<string, unknown>;
  /** The batch's items, and the index of the first in the whole map. */
  items: unknown[];
  offset: number;
}

/** Heartbeat details of a batch: the outputs of its first items, in order. */
export interface MapBatchCheckpoint {
  tapflowMapBatch: 1;
  outputs: unknown[];
}

/** Whether `value` is a batch checkpoint (an item's own heartbeat details are not). */
export function isMapBatchCheckpoint(value: unknown): value is MapBatchCheckpoint {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<MapBatchCheckpoint>).tapflowMapBatch === 1 &&
    Array.isArray((value as Partial<MapBatchCheckpoint>).outputs)
  );
}

/** A failure detail the batch activity adds: the index (in the whole map) of the item that failed. */
export interface MapItemFailureDetails {
  tapflowMapItem: number;
}

/** Whether `value` is a {@link MapItemFailureDetails}. */
export function isMapItemFailureDetails(value: unknown): value is MapItemFailureDetails {
  return typeof value === 'object' && value !== null && typeof (value as Partial<MapItemFailureDetails>).tapflowMapItem === 'number';
}
