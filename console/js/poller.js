/**
 * Reading a view's data again and again while it is open, for what has no event stream (the
 * schedules): one read at a time, the next one a while after the last ended, none once stopped.
 * @module poller
 */

/**
 * Reads something every `everyMs` while a view is open: one read at a time, the next one
 * `everyMs` after the last ended; `now()` reads at once (after an action). The first failure of
 * a run of them goes to `onError`, and `onRecovered` is called when a read works again.
 * @param {() => Promise<void>} read
 * @param {{ everyMs: number, onError: (err: unknown) => void, onRecovered: () => void }} options
 */
export function createPoller(read, { everyMs, onError, onRecovered }) {
  let closed = false;
  let timer;
  let running = false;
  let again = false;
  let failing = false;
  async function tick() {
    clearTimeout(timer);
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await read();
      if (failing && !closed) onRecovered();
      failing = false;
    } catch (err) {
      if (!failing && !closed) onError(err);
      failing = true;
    }
    running = false;
    if (closed) return;
    if (again) {
      again = false;
      void tick();
    } else timer = setTimeout(tick, everyMs);
  }
  void tick();
  return {
    now: () => void tick(),
    stop() {
      closed = true;
      clearTimeout(timer);
    },
    get failing() {
      return failing;
    },
  };
}
