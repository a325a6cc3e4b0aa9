/**
 * What the pipeline workflow asks the worker to write to the run store, through one activity,
 * {@link RECORD_ACTIVITY}. Workflow code never touches the database; it describes the write and
 * a worker activity does it (see docs/design/run-store.md).
 */
import type { NodeStatus } from '../core/states';
import type { ControlActionWrite, LiveRunWrite, RunWrite } from '../core/record-writes';
import type { Sinks } from '@temporalio/workflow';

export { RECORD_ACTIVITY } from '../core/types';

/** Failure type of a write the store refuses for good (bad data); it is not retried. */
export const RECORD_REJECTED = 'TapflowRecordRejected';

/**
 * One write to the store.
 * - `run`: the run's row (at start, at each state change, at the end). A final write carries
 *   `reconcile`: every node's status, so the store can add the attempt rows a dead worker never
 *   wrote, and its attempt counts match the workflow's.
 * - `control`: one control action the run took (or, for a signal, ignored).
 */
export type RecordCall =
  | { kind: 'run'; run: RunWrite; reconcile?: NodeStatus[] }
  | { kind: 'control'; action: ControlActionWrite };

/** What the activity did: `false` when the worker has no store (nothing was written). */
export interface RecordResult {
  recorded: boolean;
  /** Attempt rows the reconciliation added or closed. */
  reconciled?: number;
}

/**
 * The sink a run's live changes leave the workflow through (see `store/run-write-queue.ts`): a
 * sink call is made by the worker after the workflow task, and costs no history event and no
 * workflow task, so a run's timeline and history show its nodes, not its bookkeeping. A sink is
 * not durable (a worker that dies right after a task may lose that task's call), which is why
 * each run's final record still goes through {@link RECORD_ACTIVITY}, and every live write
 * carries the run's whole current state, so the next one makes up for a lost one.
 */
export const STORE_SINK = 'tapflowStore';

/** The sink's functions, as the worker injects them (`worker.ts`). */
export interface TapflowStoreSinks extends Sinks {
  [STORE_SINK]: {
    /** A live write of the run's row. */
    run(write: LiveRunWrite): void;
  };
}
