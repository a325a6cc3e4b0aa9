// The worker's half of bench/cancel.mjs: the activity it cancels, and an activity interceptor that
// notes, for every attempt of a measured activity, when it started, when its cancellation signal
// fired and how it ended. Every part runs in the benchmark's process, so all times share one clock
// (`performance.now()`).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);

/** The bench activity's name, registered on the worker and called by `baselineCancelWorkflow`. */
export const CANCEL_ACTIVITY = 'heartbeatUntilCancelled';

/**
 * The activity: heartbeats, sleeps `input.heartbeatMs` (default 1000), and again, until it is
 * cancelled; `Context.sleep` then rejects with the `CancelledFailure`, which ends the attempt as
 * cancelled. It never returns on its own (its start-to-close timeout would end it).
 *
 * @throws CancelledFailure once the cancel has reached it.
 */
async function heartbeatUntilCancelled(call) {
  const { Context } = require('@temporalio/activity');
  const ctx = Context.current();
  const every = call?.input?.heartbeatMs ?? 1000;
  let beats = 0;
  for (;;) {
    ctx.heartbeat({ beats: ++beats });
    await ctx.sleep(every);
  }
}

/**
 * The bench activity, and what the worker saw of the activities named in `measured` (by default
 * the bench activity and the built-in `wait`). Register `activities` on the worker and
 * `interceptor` in its `interceptors.activity`.
 *
 * @returns `activities` for `createWorker`; `interceptor`, an activity interceptor factory; and
 *   `attempts`: workflow id to `{ activity, attempt, startedAt, cancelSeenAt?, endedAt?, outcome? }`
 *   of that run's latest measured attempt (ms, `performance.now()`); `outcome` is `completed`,
 *   `cancelled` or `failed`.
 */
export function createCancelProbe(measured = [CANCEL_ACTIVITY, 'wait']) {
  const { CancelledFailure } = require('@temporalio/activity');
  const names = new Set(measured);
  const attempts = new Map();
  const interceptor = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, attempt, workflowExecution } = ctx.info;
        if (!names.has(activityType) || !workflowExecution) return next(input);
        const a = { activity: activityType, attempt, startedAt: performance.now() };
        attempts.set(workflowExecution.workflowId, a);
        // The signal the activity's own sleep rejects on: it fires when the cancel, riding on a
        // heartbeat's response, reaches this worker.
        ctx.cancellationSignal.addEventListener('abort', () => (a.cancelSeenAt = performance.now()), { once: true });
        try {
          const result = await next(input);
          a.outcome = 'completed';
          return result;
        } catch (err) {
          a.outcome = err instanceof CancelledFailure ? 'cancelled' : 'failed';
          throw err;
        } finally {
          a.endedAt = performance.now();
        }
      },
    },
  });
  return { activities: { [CANCEL_ACTIVITY]: heartbeatUntilCancelled }, interceptor, attempts };
}
