/**
 * The worker's side of a batched `map` node (`batchSize` > 1): one activity task runs several
 * items of the node's activity, one after another, so Temporal records a few events per batch
 * instead of per item.
 *
 * After each item it heartbeats the outputs so far; a retried batch starts after the last item
 * that reached the server. Each item is recorded in the store as an attempt of its own
 * (`<node>[<index>]`), exactly as an unbatched item is.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { isNodeEnvelope } from '../core/envelope';
import type { ActivityCall } from '../core/types';
import type { AttemptRecorder } from '../store/attempt-recorder';
import { isMapBatchCheckpoint, type MapBatchCall, type MapBatchCheckpoint, type MapItemFailureDetails } from '../workflows/map-batch-call';
import { attemptKeyOf, recordAttempt } from './attempt-interceptor';

/** A node activity as the worker hosts it (wrapped by `wrapNodeActivity`). */
export type HostedActivity = (call: unknown) => Promise<unknown>;

/**
 * Builds the batch activity over the worker's node activities. With a `recorder`, every item's
 * attempt is recorded.
 */
export function createMapBatchActivity(
  activities: Readonly<Record<string, HostedActivity>>,
  recorder?: AttemptRecorder,
): (batch: MapBatchCall) => Promise<unknown[]> {
  return async function tapflowMapBatch(batch: MapBatchCall): Promise<unknown[]> {
    const ctx = Context.current();
    const fn = Object.hasOwn(activities, batch.activity) ? activities[batch.activity] : undefined;
    if (!fn) {
      // Retryable, as Temporal treats an unregistered activity: a worker that has it may come.
      throw ApplicationFailure.retryable(
        `activity "${batch.activity}" is not registered on this worker (task queue ${ctx.info.taskQueue})`,
        'NotFoundError',
      );
    }
    const checkpoint: unknown = ctx.info.heartbeatDetails;
    const outputs = isMapBatchCheckpoint(checkpoint) ? checkpoint.outputs.slice(0, batch.items.length) : [];
    for (let i = outputs.length; i < batch.items.length; i++) {
      // A cancel arrives with a heartbeat's response; stop before the next item.
      if (ctx.cancellationSignal.aborted) await ctx.cancelled;
      const index = batch.offset + i;
      const call: ActivityCall = {
        input: batch.input,
        params: batch.params,
        upstream: batch.upstream,
        item: batch.items[i],
        index,
        node: { runId: batch.runId, nodeId: batch.nodeId, key: `${batch.runId}/${batch.nodeId}/${index}` },
      };
      let result: unknown;
      try {
        result = recorder ? await recordAttempt(recorder, attemptKeyOf(call, ctx.info), () => fn(call)) : await fn(call);
      } catch (err) {
        throw withItemIndex(err, index);
      }
      outputs.push(isNodeEnvelope(result) ? result.output : result);
      const details: MapBatchCheckpoint = { tapflowMapBatch: 1, outputs };
      ctx.heartbeat(details);
    }
    return outputs;
  };
}

/** The item's failure, naming the item (the wrapper has already made it an `ApplicationFailure`). */
function withItemIndex(err: unknown, index: number): unknown {
  if (err instanceof CancelledFailure || !(err instanceof ApplicationFailure)) return err;
  const detail: MapItemFailureDetails = { tapflowMapItem: index };
  return ApplicationFailure.create({
    message: err.message,
    type: err.type ?? undefined,
    nonRetryable: err.nonRetryable ?? undefined,
    details: [...(err.details ?? []), detail],
    nextRetryDelay: err.nextRetryDelay ?? undefined,
    category: err.category ?? undefined,
    cause: err.cause,
  });
}
