/**
 * What the pipeline workflow asks the worker to write to the run store, through one activity,
 * {@link RECORD_ACTIVITY}. Workflow code never touches the database; it describes the write and
 * a worker activity does it (see docs/design/run-store.md).
 */
import type { NodeStatus } from '../core/states';
import type { ControlActionWrite, RunWrite } from '../core/record-writes';

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
