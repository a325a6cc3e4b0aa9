/**
 * Quiets the heartbeats of activities run as local steps (`local: true`). A local activity has
 * nowhere to send a heartbeat: the SDK drops it, and its core logs a warning for every one. An
 * activity written for ordinary nodes (a long one that heartbeats, like the built-in `wait`) may
 * also run as a local step, so on a local attempt its heartbeats are dropped here, before the
 * core sees them. A cancel still reaches a local step at once, without heartbeats.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** The worker's activity interceptor that drops local attempts' heartbeats. */
export function localStepHeartbeats(): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    if (ctx.info.isLocal) {
      // `heartbeat` calls this; it is the only way in to the core's heartbeat.
      Object.defineProperty(ctx, 'heartbeatFn', { value: () => undefined });
    }
    return {};
  };
}
