/**
 * The workflow's side of the run store: describes each write (the run's row, a control action)
 * and hands it to the worker. The run's live changes go through the store sink (no history
 * event, no row in the Web UI's timeline; see `record-call.ts`); its final record and the
 * control actions it takes go through the worker's {@link RECORD_ACTIVITY}, durably. Activity
 * writes are fired without waiting, so a pipeline goes on while the store is away (the calls
 * wait in Temporal and retry), and the workflow awaits them all with {@link StoreReporter.settle}
 * before it ends or continues as new, so the store never misses a run's final state.
 *
 * Runs that carry the lean-bookkeeping patch write their run records (the final one, and the
 * one before a continue-as-new) as local activities: the worker running the workflow writes at
 * once, inside the workflow task, and the history gains one marker instead of an activity's three
 * events and the workflow task its completion brings. The write is as durable: a worker that dies
 * before the task completes leaves no marker, and the next worker's replay writes again (each
 * write is idempotent by its sequence number). Control actions stay activities: a local one
 * would hold the workflow task, and with it the answer to the update (a pause's acknowledgement),
 * until the store had written.
 */
import {
  CancellationScope,
  log,
  proxySinks,
  scheduleActivity,
  scheduleLocalActivity,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { NodeStatus } from '../core/states';
import type { ControlActionWrite, LiveRunWrite } from '../core/record-writes';
import { RECORD_ACTIVITY, RECORD_REJECTED, STORE_SINK, type RecordCall, type RecordResult, type TapflowStoreSinks } from './record-call';

/**
 * Retries without end (Temporal's default with no `maximumAttempts`), backing off to a minute
 * between tries: a store outage only delays the records.
 */
const RECORD_OPTIONS: Omit<ActivityOptions, 'taskQueue'> = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: [RECORD_REJECTED],
  },
};

/**
 * The same retries for a local write. A store away for longer than a minute makes the worker
 * back off with a timer between attempts (`localRetryThreshold`), so the workflow task does not
 * stay open meanwhile.
 */
const LOCAL_RECORD_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: RECORD_OPTIONS.startToCloseTimeout,
  retry: RECORD_OPTIONS.retry,
  localRetryThreshold: '1m',
};

/** A run write as the workflow describes it: `seq` is the reporter's to number. */
export type RunReport = Omit<LiveRunWrite, 'seq'>;

const sink = proxySinks<TapflowStoreSinks>()[STORE_SINK];

/** See the module comment. One per workflow execution. */
export class StoreReporter {
  private readonly pending = new Set<Promise<void>>();
  private readonly options: ActivityOptions;
  private seq: number;
  /** Numbers the record activities' ids within this execution. */
  private calls = 0;

  /**
   * @param enabled false for runs whose history predates the store (see the `patched` call in
   *   the workflow): then nothing is recorded and no command is added.
   * @param taskQueue where the record activity runs: the workflow's own task queue.
   * @param seq the last sequence number used, carried across continue-as-new.
   * @param live whether writes other than the final one go through the store sink ({@link
   *   STORE_SINK}: no history event, not durable) rather than the record activity; false for
   *   runs recorded before (see the `patched` call in the workflow).
   * @param local whether the run's durable records are local activities (runs with the
   *   lean-bookkeeping patch) rather than activities on `taskQueue`.
   */
  constructor(
    readonly enabled: boolean,
    taskQueue: string,
    seq = 0,
    readonly live = false,
    private readonly local = false,
  ) {
    this.options = { ...RECORD_OPTIONS, taskQueue };
    this.seq = seq;
  }

  /** The last sequence number given to a run write; carry it across continue-as-new. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Records the run's row. Each write gets the next sequence number, so a write delivered late
   * never undoes a later one. A live reporter sends every write but the final one (the one with
   * `reconcile`) through the sink.
   *
   * @param options.reconcile every node's status, on the final write only: the store adds the
   *   attempt rows it is missing so its counts match the run's. Such a write is durable.
   * @param options.durable write through the record activity even when live.
   * A write may carry `nodeChanges` only when it goes through the sink (a live one): a durable
   * write goes to the store as it is, so it carries every node in `nodes`.
   */
  run(write: RunReport, options: { reconcile?: NodeStatus[]; durable?: boolean } = {}): void {
    if (!this.enabled) return;
    this.seq += 1;
    if (this.live && !options.durable && !options.reconcile) {
      sink.run({ ...write, seq: this.seq });
      return;
    }
    const durable: RunReport = { ...write };
    delete durable.nodeChanges;
    const call: RecordCall = { kind: 'run', run: { ...durable, seq: this.seq } };
    if (options.reconcile) call.reconcile = options.reconcile;
    this.send(call, `record run ${write.state}`, this.local);
  }

  /**
   * Takes the sequence number of a live write that is not sent: one made while replaying (the
   * sink is not called on replay, so it is not built). The writes after it must number as they
   * did when the task first ran, or a later write would carry a lower number than one the store
   * already has, and be refused as stale.
   */
  skipLive(): void {
    if (this.enabled && this.live) this.seq += 1;
  }

  /** Records a control action the run took or ignored. */
  control(action: ControlActionWrite): void {
    if (!this.enabled) return;
    this.send({ kind: 'control', action }, `record ${action.action}`, false);
  }

  /** Waits until every write sent so far has landed (or been refused for good). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private send(call: RecordCall, summary: string, local: boolean): void {
    // Not cancellable: a cancelled run still records that it was cancelled. The id has a ':',
    // which node ids cannot, so it never collides with a node's activity id.
    this.calls += 1;
    const activityId = `tapflow:record:${this.calls}`;
    const done = CancellationScope.nonCancellable(() =>
      local
        ? scheduleLocalActivity<RecordResult>(RECORD_ACTIVITY, [call], { ...LOCAL_RECORD_OPTIONS, summary })
        : scheduleActivity<RecordResult>(RECORD_ACTIVITY, [call], { ...this.options, activityId, summary }),
    ).then(
      () => undefined,
      (err: unknown) => {
        // Only a write the store refuses for good ends here; the run goes on without it.
        log.error('run store refused a record', { summary, error: (err as Error)?.message });
      },
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}
