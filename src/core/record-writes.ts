/**
 * What a run asks the store to record: the shapes the pipeline workflow hands the record
 * activity, and the store's statements take. Declared here, below both, so workflow code can
 * describe a write without importing the store.
 */
import type { ControlAction, NodeStatus, OperatorAction, RunState } from './states';

/** A time as a `Date` or an ISO-8601 string. */
export type TimeInput = Date | string;

/**
 * A control action's name: the three a run takes today, the node-level ones planned, or any
 * other lower-case name (letters, digits and `_`) a later version adds.
 */
export type ControlActionName = ControlAction | OperatorAction | (string & {});

/**
 * A run's live write as the workflow hands it to its worker: every node's status in `nodes`, or
 * in `nodeChanges` only those of the nodes that changed since the run's previous live write, to
 * be laid over the list the worker keeps of the run's nodes (see `store/live-node-statuses.ts`).
 * A run's writes of nodes grow with its nodes only on a whole list, not on every change.
 */
export interface LiveRunWrite extends RunWrite {
  nodeChanges?: NodeStatus[];
}

/**
 * A write of a run (see `upsertRun`). `workflowId`, `pipeline` and `state` are required; any other
 * field left `undefined` keeps what the store has (or its default on the first write).
 */
export interface RunWrite {
  workflowId: string;
  pipeline: string;
  state: RunState;
  firstRunId?: string;
  spec?: unknown;
  params?: unknown;
  result?: unknown;
  products?: readonly string[];
  plots?: readonly string[];
  tags?: readonly string[];
  groups?: readonly string[];
  userName?: string;
  site?: string;
  event?: unknown;
  priority?: number;
  timeoutMs?: number;
  retries?: number;
  /** Which try of the whole run. Default on the first write: 1. */
  attempt?: number;
  /** Order of this write within the run attempt. Default: 0 (unordered). */
  seq?: number;
  /** Why the run is in `state`. A write that changes the state replaces the reason (or clears it). */
  reason?: string;
  progressCompleted?: number;
  /** Nodes skipped (they count as done in the percentage, not in `progressCompleted`). */
  progressSkipped?: number;
  progressTotal?: number;
  /**
   * The Temporal run id of the execution that made this write. With `executionStartedAt` it
   * tells the store which execution is the newest: after a reset the run goes on in a new
   * execution whose writes restart from a lower `seq`, and must still win.
   */
  executionRunId?: string;
  /** When the execution that made this write started (Temporal's run start time). */
  executionStartedAt?: TimeInput;
  /** Every node's status; replaces the stored list (a current write only, like `result`). */
  nodes?: readonly NodeStatus[];
  /**
   * The idempotency key the run was started with. Keeps its first value. Not recorded when
   * another run of the pipeline already holds it (the rest of the write is).
   */
  idempotencyKey?: string;
  /**
   * Outputs of nodes no attempt row holds (sleep, event, skipped nodes), by node id; merged into
   * the stored ones (a later output of a node replaces its earlier one).
   */
  outputs?: Record<string, unknown>;
  /** The run this one reruns. Keeps its first value. */
  rerunOf?: string;
  /** The registered version of the pipeline the run was started from (started by name). Keeps its first value. */
  pipelineVersion?: number;
  /** The schedule that started the run. Keeps its first value. */
  scheduleId?: string;
  /** Default on the first write: the database's `now()`. Never changed afterwards. */
  createdAt?: TimeInput;
  startedAt?: TimeInput;
  finishedAt?: TimeInput;
}

/** A control action to record (see `insertControlAction`). */
export interface ControlActionWrite {
  workflowId: string;
  /** Idempotency key, unique within the run: the same key twice records one row. */
  requestId: string;
  action: ControlActionName;
  nodeId?: string;
  requestedBy?: string;
  reason?: string;
  /** Default: the database's `now()`. */
  requestedAt?: TimeInput;
  accepted?: boolean;
  refusal?: string;
  /** The action's particulars, any JSON. */
  details?: unknown;
}
