/**
 * Activities every tapflow worker hosts, whatever modules it is given.
 */
import { Context, sleep } from '@temporalio/activity';
import type { ActivityCall } from '../core/types';
import { parseDuration } from '../core/duration';

/** Does nothing and returns its input: a placeholder node, and the benchmarks' unit of work. */
export async function noop(call: ActivityCall): Promise<unknown> {
  return call?.input ?? null;
}

/**
 * Waits `input.duration` (default `"1s"`), heartbeating every second so a cancel or a lost
 * worker is seen within a heartbeat; returns `{ waitedMs }`. Useful for rate limits and demos.
 *
 * @throws CancelledFailure when the node is cancelled while waiting.
 */
export async function wait(call: ActivityCall<{ duration?: string | number } | undefined>): Promise<{ waitedMs: number }> {
  const total = parseDuration(call?.input?.duration ?? '1s') ?? 1000;
  const ctx = Context.current();
  const started = Date.now();
  for (;;) {
    const left = total - (Date.now() - started);
    if (left <= 0) break;
    ctx.heartbeat({ waitedMs: Date.now() - started });
    // Rejects with CancelledFailure as soon as the cancel arrives with a heartbeat response.
    await sleep(Math.min(left, 1000));
  }
  return { waitedMs: Date.now() - started };
}

/** The built-in activities by name. */
export const builtinActivities = { noop, wait } as const;
