/**
 * Nodes that wait rather than work: `sleep` (a duration on the paused clock, or until a time)
 * and `event` (a named event sent to the run, with an optional timeout on the paused clock).
 * They do not hold up a pause (the run is `paused` with them waiting, and their clocks stop), do
 * not take a `maxParallel` slot, and survive continue-as-new: the next execution starts them
 * again from the active time they first started at.
 */
import { CancellationScope, sleep } from '@temporalio/workflow';
import { formatDuration, parseDuration } from '../core/duration';
import type { NodeSpec } from '../core/types';
import type { ActiveClock } from './active-clock';
import { EVENT_TIMED_OUT } from '../core/failure-types';
import type { NodeOutcome } from './node-activity';

/** A node waiting: how to end it early. */
export interface Waiter {
  /** Ends the wait as cancelled (the run is cancelled, failed or timed out). */
  cancel(): void;
  /** Ends the wait as failed (the node passed its deadline). */
  fail(error: string, errorType: string): void;
  /** Event nodes: the event arrived; `data` is the node's output. */
  deliver?(data: unknown): void;
}

/** What a waiting node needs from the workflow. */
export interface WaitHost {
  clock: ActiveClock;
  /** Where a `sleep ... until` timer runs: the scope the run's nodes run in. */
  scope: CancellationScope;
  /** Reports how the node ended (exactly once). */
  finish(id: string, outcome: NodeOutcome): void;
}

/**
 * Starts a waiting node.
 *
 * @param activeStart the active time (ms) the node first started at; a node started again after
 *   continue-as-new keeps its first one, so its wait is not reset.
 * @param delivered an event that arrived before the node started.
 */
export function startWaiting(
  host: WaitHost,
  id: string,
  spec: NodeSpec,
  activeStart: number,
  delivered?: { data: unknown },
): Waiter {
  let done = false;
  const cleanups: Array<() => void> = [];
  const end = (outcome: NodeOutcome): void => {
    if (done) return;
    done = true;
    for (const cleanup of cleanups) cleanup();
    host.finish(id, outcome);
  };
  const waiter: Waiter = {
    cancel: () => end({ kind: 'cancelled', attempts: 1 }),
    fail: (error, errorType) => end({ kind: 'failed', error, errorType, attempts: 1 }),
  };

  if (spec.kind === 'sleep') {
    const woke = (): void => end({ kind: 'completed', output: { wokeAt: new Date().toISOString() }, attempts: 1 });
    if (spec.duration !== undefined) {
      cleanups.push(host.clock.at(activeStart + (parseDuration(spec.duration) ?? 0), woke));
    } else {
      // A time of day is on the wall clock: if the run is paused then, the node still wakes,
      // and what needs it starts on resume.
      const scope = new CancellationScope({ cancellable: true, parent: host.scope });
      cleanups.push(() => scope.cancel());
      void scope.run(() => sleep(Math.max(Date.parse(spec.until ?? '') - Date.now(), 1))).then(woke, () => undefined);
    }
    return waiter;
  }

  waiter.deliver = (data) => end({ kind: 'completed', output: data, attempts: 1 });
  if (delivered) {
    waiter.deliver(delivered.data);
    return waiter;
  }
  const timeout = spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
  if (timeout !== undefined) {
    cleanups.push(
      host.clock.at(activeStart + timeout, () => {
        const onTimeout = spec.onTimeout ?? 'fail';
        if (onTimeout === 'default') end({ kind: 'completed', output: spec.default ?? null, attempts: 1 });
        else if (onTimeout === 'skip') end({ kind: 'skipped', output: null });
        else {
          const waited = typeof spec.timeout === 'string' ? spec.timeout : formatDuration(timeout);
          end({ kind: 'failed', error: `no "${spec.event}" event within ${waited}`, errorType: EVENT_TIMED_OUT, attempts: 1 });
        }
      }),
    );
  }
  return waiter;
}
