/**
 * An activity interceptor that measures every node attempt on this worker: its duration by
 * activity and outcome (`tapflow_node_duration_seconds`), and each retry
 * (`tapflow_node_retries_total`: an attempt after the first of Temporal's retries; a new round an
 * operator starts with `tapflow retry` begins at attempt 1 again). The record activity is not a
 * node and is left out; a batched map's activity (`tapflowMapBatch`) counts as one attempt.
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { RESERVED_ACTIVITIES } from '../core/types';
import type { AttemptOutcome, WorkerMetrics } from './metrics';

/** Builds the worker's `interceptors.activity` entry for `metrics`. */
export function nodeMetricsInterceptor(metrics: WorkerMetrics): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        // tapflow's own bookkeeping is not a node: it is not counted with them.
        if (RESERVED_ACTIVITIES.has(activity)) return next(input);
        if (ctx.info.attempt > 1) metrics.nodeRetries.inc({ activity });
        const end = metrics.nodeDuration.startTimer({ activity });
        let outcome: AttemptOutcome = 'failed';
        try {
          const result: unknown = await next(input);
          outcome = 'completed';
          return result;
        } catch (err) {
          if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) outcome = 'cancelled';
          throw err;
        } finally {
          end({ outcome });
        }
      },
    },
  });
}
