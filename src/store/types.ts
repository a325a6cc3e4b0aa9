/**
 * The run store's records and the inputs of its statements.
 *
 * Terminology
 * - **store**: the PostgreSQL database (schema `tapflow`) that keeps every run, node attempt and
 *   control action for as long as the team wants, long after Temporal's retention has dropped a run.
 * - **run**: one execution of a pipeline; its Temporal workflow id is its key ({@link RunRecord}).
 *   A run keeps its workflow id across continue-as-new; `firstRunId` is the Temporal run id of
 *   its first execution.
 * - **run attempt**: a run can be run again as a whole (its `attempt`, starting at 1).
 *   A write for a higher attempt replaces what the run's previous attempt left.
 * - **node attempt**: one try of one node's activity ({@link NodeAttemptRecord}), keyed by
 *   (workflow id, node id, attempt number). Temporal's activity attempt starts at 1.
 * - **control action**: a pause, resume or cancel (later retry, skip, ...) asked of a run, with
 *   who asked, when and why ({@link ControlActionRecord}).
 * - **duplicate delivery**: the same write arriving twice (an activity retried after it wrote, a
 *   message redelivered). Every write here is keyed so a duplicate changes nothing.
 * - **write**: the statements take plain objects ({@link RunWrite}, {@link AttemptStart},
 *   {@link AttemptEnd}, {@link ControlActionWrite}); a field left `undefined` is "not known by
 *   this writer" and keeps what the store has.
 * - **event**: each insert or change of a row is announced with `NOTIFY` on
 *   {@link STORE_EVENTS_CHANNEL} with a small JSON payload ({@link StoreEvent}).
 *
 * Times are `Date`s in records; inputs take a `Date` or an ISO-8601 string.
 */
import type { NodeStatus, RunState } from '../core/states';
import type { ControlActionName, TimeInput } from '../core/record-writes';

export type { ControlActionName, ControlActionWrite, RunWrite, TimeInput } from '../core/record-writes';

/** The `NOTIFY` channel every store change is announced on. */
export const STORE_EVENTS_CHANNEL = 'tapflow_events';

/** The PostgreSQL schema that holds the store's tables, so the store can share a database. */
export const STORE_SCHEMA = 'tapflow';


/**
 * How a node attempt ended, or `running` while it has not.
 * - `completed`: the activity returned; `output` (or `outputRef`) holds what it returned.
 * - `failed`: the activity threw; `errorType` and `errorMessage` say what.
 * - `cancelled`: the attempt was cancelled (the run was cancelled, or the node was).
 * - `timed_out`: Temporal timed the attempt out (start-to-close or heartbeat timeout, which is
 *   also how a lost worker shows).
 */
export type AttemptOutcome = 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';

/** Every attempt outcome; the `node_attempts.outcome` check constraint allows exactly these. */
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['running', 'completed', 'failed', 'cancelled', 'timed_out'];

/** One run, as the store keeps it (table `tapflow.runs`). */
export interface RunRecord {
  /** The run id: its Temporal workflow id. Key. */
  workflowId: string;
  /** The Temporal run id of the run's first execution (continue-as-new makes more). */
  firstRunId: string | null;
  /** The pipeline's name (the spec's `name`). */
  pipeline: string;
  /** The pipeline spec the run was started with. */
  spec: unknown;
  /** The run's input (`params` of every activity call), as given at start. */
  params: unknown;
  /** The run's result, `{ [leafId]: output }`, once it has completed. */
  result: unknown;
  /** Paths of the files the run's activities produced. Empty when none. */
  products: string[];
  /** Paths of the plots the run's activities drew. Empty when none. */
  plots: string[];
  /** Free labels to find the run by. Empty when none. */
  tags: string[];
  /** Working groups the run belongs to. Empty when none. */
  groups: string[];
  /** Who started the run (`--user`, or the OS user). */
  userName: string | null;
  /** Where the run ran or is meant to run (e.g. an observatory site). */
  site: string | null;
  /** A reference to what the run is about (e.g. event numbers). */
  event: unknown;
  /** The run's priority, also given to Temporal as its task priority. */
  priority: number | null;
  /** Longest the run may take, in milliseconds. */
  timeoutMs: number | null;
  /** How many times the whole run may be tried again after it fails. */
  retries: number | null;
  /** Which try of the whole run this is, from 1. */
  attempt: number;
  /**
   * Order of the writes within one run attempt: a write carrying a lower `seq` than the stored
   * one is stale and leaves the run as it is. 0 when the writer does not number its writes.
   */
  seq: number;
  /** The run's state. */
  state: RunState;
  /** Why the run was paused, cancelled, held or failed, when it was. */
  reason: string | null;
  /** Nodes completed. */
  progressCompleted: number;
  /** Nodes skipped (done in the percentage, not in `progressCompleted`); 0 before migration 9. */
  progressSkipped: number;
  /** Nodes in all. */
  progressTotal: number;
  /**
   * The Temporal run id of the execution that last wrote the row: after a reset, the new
   * execution's. `null` when its writer did not say (rows from before migration 9).
   */
  executionRunId: string | null;
  /** When that execution started; a write from a later-started execution replaces the row. */
  executionStartedAt: Date | null;
  /**
   * Every node's status as the workflow last reported it (at each state change and at the end);
   * `null` until the first report.
   */
  nodes: NodeStatus[] | null;
  /**
   * The idempotency key the run was started with (`tapflow start --idempotency-key`), unique
   * within its pipeline; `null` when none.
   */
  idempotencyKey: string | null;
  /** The run this one reruns (`tapflow rerun` of an ended run); `null` when none. */
  rerunOf: string | null;
  /**
   * The registered version of its pipeline the run was started from (`tapflow start NAME[@VERSION]`);
   * `null` for a run started from a spec (and rows from before migration 10).
   */
  pipelineVersion: number | null;
  /** The schedule that started the run; `null` for a run started otherwise (and rows from before migration 11). */
  scheduleId: string | null;
  /** When the run was asked for. */
  createdAt: Date;
  /** When the run's current attempt started executing. */
  startedAt: Date | null;
  /** When the run's current attempt reached a final state. */
  finishedAt: Date | null;
  /** When the row last changed (set by the database). */
  updatedAt: Date;
}

/** What a write did: added a row, changed one, or found it already as written (a duplicate or stale write). */
export type WriteOutcome = 'inserted' | 'updated' | 'unchanged';

/** One attempt of one node of a run (table `tapflow.node_attempts`). */
export interface NodeAttemptRecord {
  workflowId: string;
  /** The node's id in the pipeline spec. */
  nodeId: string;
  /** Temporal's activity attempt number, from 1. */
  attempt: number;
  /** The activity the node calls. */
  activity: string;
  /** How the attempt ended, or `running`. */
  outcome: AttemptOutcome;
  /** When the attempt started; `null` if its end was recorded before its start. */
  startedAt: Date | null;
  /** When the attempt ended. */
  finishedAt: Date | null;
  /** The error's type (an `ApplicationFailure` type or an error's `name`) when it failed. */
  errorType: string | null;
  /** The error's message when it failed. */
  errorMessage: string | null;
  /** What the activity returned, when kept inline. `null` both when there is none and when it returned `null`. */
  output: unknown;
  /** Where the output is kept when it was too large to keep inline (a path or URL the writer chose). */
  outputRef: string | null;
  /** The identity of the worker that ran the attempt. */
  worker: string | null;
  /**
   * `worker` when the worker that ran the attempt wrote the row; `reconciled` when the end-of-run
   * reconciliation added it from the workflow's counts because the worker's write never came.
   */
  source: 'worker' | 'reconciled';
  /** When the row last changed. */
  updatedAt: Date;
}

/** The start of a node attempt (see `upsertAttemptStart`). */
export interface AttemptStart {
  workflowId: string;
  nodeId: string;
  attempt: number;
  activity: string;
  /** Default: the database's `now()`. */
  startedAt?: TimeInput;
  worker?: string;
}

/** The end of a node attempt (see `upsertAttemptEnd`). */
export interface AttemptEnd {
  workflowId: string;
  nodeId: string;
  attempt: number;
  activity: string;
  outcome: Exclude<AttemptOutcome, 'running'>;
  /** Default: the database's `now()`. */
  finishedAt?: TimeInput;
  /** Filled in only when the start was not recorded. */
  startedAt?: TimeInput;
  errorType?: string;
  errorMessage?: string;
  /** The activity's return value, kept as JSON. Leave `undefined` for none (or when `outputRef` is set). */
  output?: unknown;
  /** Where a large output is kept instead of inline. */
  outputRef?: string;
  worker?: string;
}

/** A control action asked of a run (table `tapflow.control_actions`). */
export interface ControlActionRecord {
  /** Order of insertion across the store. */
  id: number;
  workflowId: string;
  /** The idempotency key of the request (e.g. Temporal's update id); unique within a run. */
  requestId: string;
  action: ControlActionName;
  /** The node the action is about, for node-level actions (retry, skip). */
  nodeId: string | null;
  /** Who asked (`--user`, or the OS user). */
  requestedBy: string | null;
  /** Why, as given with `--reason`. */
  reason: string | null;
  /** When it was asked. */
  requestedAt: Date;
  /** Whether the run took the action; `null` when not known. */
  accepted: boolean | null;
  /** Why the run refused it, when it did. */
  refusal: string | null;
  /** The action's particulars (a retry's input, a skip's output, an event's data, a rerun's nodes). */
  details: unknown;
}

/** Filters of `searchRuns`; every filter given must match (AND). */
export interface RunSearch {
  pipeline?: string;
  /**
   * Only runs of these pipelines (none for an empty list): how the API keeps a token that may read
   * some pipelines to their runs, in the statement so that paging stays exact.
   */
  pipelines?: readonly string[];
  /** One state, or any of several. */
  state?: RunState | readonly RunState[];
  /** Runs carrying this tag, or all of these tags. */
  tag?: string | readonly string[];
  userName?: string;
  /**
   * Runs started from this registered version of their pipeline (`tapflow start NAME@N`). A version
   * number belongs to one pipeline, so give `pipeline` with it; alone it matches that version of
   * every pipeline.
   */
  pipelineVersion?: number;
  /** Runs a Temporal Schedule with this id started. */
  scheduleId?: string;
  /** Runs in this group, or in all of these groups. */
  group?: string | readonly string[];
  /** Created at or after this time. */
  createdFrom?: TimeInput;
  /** Created before this time. */
  createdTo?: TimeInput;
  /**
   * The next page: runs strictly older than this one in the search's order (newest first); pass
   * the last record of the previous page.
   */
  after?: Pick<RunRecord, 'createdAt' | 'workflowId'>;
  /** Most runs returned. Default: {@link DEFAULT_SEARCH_LIMIT}; at most {@link MAX_SEARCH_LIMIT}. */
  limit?: number;
}

/** Default number of runs `searchRuns` returns. */
export const DEFAULT_SEARCH_LIMIT = 50;
/** Most runs one `searchRuns` call returns. */
export const MAX_SEARCH_LIMIT = 1000;

/**
 * The payload of a `NOTIFY` on {@link STORE_EVENTS_CHANNEL}: which row changed, and enough to
 * decide whether to read it. `seq` is the row's number in the store-wide change sequence (its
 * `change_seq`, from migration 6): a later change of any row has a higher one. `oversized` events (ids too long for PostgreSQL's 8000-byte payload
 * limit) carry only `table` and `op`: read what you follow again.
 */
export type StoreEvent =
  | {
      table: 'runs';
      op: 'insert' | 'update';
      workflowId: string;
      pipeline: string;
      state: RunState;
      completed: number;
      /** Nodes skipped (from migration 9). */
      skipped?: number;
      total: number;
      seq: number;
    }
  | {
      table: 'node_attempts';
      op: 'insert' | 'update';
      workflowId: string;
      nodeId: string;
      attempt: number;
      outcome: AttemptOutcome;
      seq: number;
      /** The rest of the row but its output (from migration 6). Times are ISO-8601. */
      activity?: string;
      startedAt?: string | null;
      finishedAt?: string | null;
      errorType?: string | null;
      errorMessage?: string | null;
      worker?: string | null;
      /** True when a field above was cut short to fit the payload: read the row for all of it. */
      truncated?: boolean;
    }
  | { table: 'control_actions'; op: 'insert' | 'update'; workflowId: string; id: number; action: ControlActionName; seq: number }
  | { table: 'runs' | 'node_attempts' | 'control_actions'; op: 'insert' | 'update'; oversized: true };


/**
 * A run's history as the store keeps it: its row, every node attempt and every control action.
 * What `tapflow history` prints and `GET /api/runs/:id/history` returns.
 */
export interface RunHistory {
  workflowId: string;
  /** The run's row; `null` when the store has attempts or actions of the run but no row. */
  run: RunRecord | null;
  /** Every node attempt, in the order they started. */
  attempts: NodeAttemptRecord[];
  /** Every control action, oldest first. */
  controlActions: ControlActionRecord[];
}
