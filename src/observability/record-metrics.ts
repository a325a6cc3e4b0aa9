/**
 * The run-level metrics the worker's record activity feeds (`activities/record.ts`): runs ended
 * by final state, and the pause latency, from a pause request (its `requested_at` in the store's
 * `control_actions`) to the run's row being written `paused`.
 *
 * Both count a write once: a duplicate delivery, which changes nothing in the store, counts
 * nothing. The pause's control action and the `paused` run write are separate record calls
 * that may land in either order, so the pause is looked up after the `paused` write, in the
 * background (never delaying the record), and again until it has landed.
 */
import type { Logger } from 'pino';
import type { Queryable } from '../store/pool';
import { latestPauseOrResume } from '../store/sql/latest-pause-or-resume';
import type { WriteOutcome } from '../store/types';
import type { RecordCall } from '../workflows/record-call';
import { FINAL_RUN_STATES } from '../core/states';
import type { WorkerMetrics } from './metrics';

/** What the record activity tells its observer after each write. */
export interface RecordObserver {
  /**
   * `call` was handled: `outcome` is what the store did with a run write (`unchanged` for a
   * duplicate), or `no-store` when the worker has none. Never throws.
   */
  written(call: RecordCall, outcome: WriteOutcome | 'no-store'): void;
}

/** Options of {@link RecordMetrics}. */
export interface RecordMetricsOptions {
  /** The store the pause requests are read from. Default: none (no pause latency). */
  store?: Queryable;
  /** Where a failed lookup is reported (at debug). Default: nowhere. */
  logger?: Logger;
  /** How long to wait for the pause's control action to land, in ms. Default: 10,000. */
  lookupTimeoutMs?: number;
  /** Between lookups, in ms. Default: 100. */
  lookupIntervalMs?: number;
}

/** Pause requests already observed by this worker, at most this many remembered. */
const REMEMBERED_PAUSES = 10_000;

/** Feeds {@link WorkerMetrics} from the record activity's writes; see the module comment. */
export class RecordMetrics implements RecordObserver {
  private readonly observed = new Set<string>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly metrics: WorkerMetrics,
    private readonly options: RecordMetricsOptions = {},
  ) {}

  /** See {@link RecordObserver.written}. */
  written(call: RecordCall, outcome: WriteOutcome | 'no-store'): void {
    if (call.kind !== 'run' || outcome === 'unchanged') return;
    const { state, workflowId } = call.run;
    if (call.reconcile && FINAL_RUN_STATES.has(state)) this.metrics.runsEnded.inc({ state });
    if (state === 'paused' && this.options.store) {
      const lookup = this.observePause(this.options.store, workflowId, Date.now()).catch((err: unknown) =>
        this.options.logger?.debug({ err, workflowId }, 'pause latency not observed: the store could not be read'),
      );
      this.pending.add(lookup);
      void lookup.finally(() => this.pending.delete(lookup));
    }
  }

  /** Resolves once every pause lookup started so far has ended. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /**
   * Observes `pausedAt` minus the request time of the pause that paused the run: the run's
   * latest pause or resume, once it is a pause. Gives up after the lookup timeout (the run was
   * resumed meanwhile, or its control action never lands).
   */
  private async observePause(store: Queryable, workflowId: string, pausedAt: number): Promise<void> {
    const deadline = pausedAt + (this.options.lookupTimeoutMs ?? 10_000);
    for (;;) {
      const last = await latestPauseOrResume(store, workflowId);
      if (last?.action === 'pause') {
        const key = `${workflowId}\u0000${last.requestId}`;
        if (this.observed.has(key)) return;
        this.remember(key);
        // Workflow time and this machine's clock may differ a little; a latency is never negative.
        this.metrics.pauseLatency.observe(Math.max(0, pausedAt - last.requestedAt.getTime()) / 1000);
        return;
      }
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.lookupIntervalMs ?? 100));
    }
  }

  private remember(key: string): void {
    this.observed.add(key);
    if (this.observed.size > REMEMBERED_PAUSES) {
      const oldest = this.observed.values().next().value;
      if (oldest !== undefined) this.observed.delete(oldest);
    }
  }
}
