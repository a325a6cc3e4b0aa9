// What the chaos suite's scenario modules (chaos/concurrency.mjs, chaos/local-steps.mjs) share:
// starting runs while the server may be restarting, waiting for a condition, and a time in words.
import { setTimeout as delay } from 'node:timers/promises';

/** Starts `n` runs of `spec` with ids `<prefix>-<i>` (from `from`); resolves to their ids. */
export async function startRuns(ctx, spec, prefix, n, from = 0) {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(from + i).padStart(2, '0')}`);
  for (const id of ids) await retrying(() => ctx.tf.startRun(spec, { id, taskQueue: ctx.taskQueue }));
  return ids;
}

/** `fn`, tried again every 500 ms for up to 60 s (the server may be restarting). */
export async function retrying(fn) {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err?.name === 'RunAlreadyExistsError') return undefined;
      if (Date.now() > until) throw err;
      await delay(500);
    }
  }
}

/** Waits up to `ms` for `check()` to be truthy; resolves to its value, or undefined. */
export async function until(check, ms, every = 100) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v) return v;
    await delay(every);
  }
  return undefined;
}

/** A time in ms as seconds to one decimal, or `-` when there is none. */
export const secs = (ms) => (ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
