/**
 * The pipeline spec: the JSON/YAML document (or builder output) that describes a pipeline.
 *
 * Terminology
 * - **pipeline**: a named graph of nodes (a DAG), described by a {@link PipelineSpec}.
 * - **node**: one step of a pipeline ({@link NodeSpec}). A node `needs` other nodes; it starts as
 *   soon as every node it needs has completed, limited by the run's `maxParallel`.
 * - **activity**: a plain async function hosted by a worker; an `activity` node names one.
 * - **run**: one execution of a pipeline, i.e. one Temporal workflow execution of the generic
 *   pipeline workflow. The workflow id is the run id.
 * - **leaf**: a node nothing depends on. A run's result is `{ [leafId]: output }`.
 * - **level**: the length of the longest `needs` path from a node back to a root; nodes of one
 *   level never depend on each other, so they may run in parallel.
 *
 * Calling convention: an activity node's function is called with one argument,
 * {@link ActivityCall}, and its return value is the node's output.
 *
 * This module is imported by workflow code: it must stay pure (no Node built-ins, no I/O).
 */

/** A duration: milliseconds as a number, or a string such as `"500ms"`, `"30s"`, `"2m"`, `"1h30m"`. */
export type DurationSpec = number | string;

/** Which kind of step a node is. Only `activity` runs today; the others are reserved names. */
export type NodeKind = 'activity';

/**
 * Retry policy of an activity node. Temporal retries the activity on the server side with
 * exponential backoff: the n-th retry waits `initialInterval * backoffCoefficient^(n-1)`,
 * capped at `maximumInterval`.
 */
export interface RetrySpec {
  /** Attempts in all, the first one included. `1` means no retry. Default: 3. */
  maximumAttempts?: number;
  /** Wait before the first retry. Default: `"1s"`. */
  initialInterval?: DurationSpec;
  /** Multiplier of the wait after each retry, at least 1. Default: 2. */
  backoffCoefficient?: number;
  /** Upper bound of the wait between retries. Default: 100 x `initialInterval`. */
  maximumInterval?: DurationSpec;
  /**
   * Error types that are never retried (an error's type is its `name`, or the `type` of an
   * `ApplicationFailure`). An activity may also throw a non-retryable error itself; see
   * `permanentFailure` in the package exports.
   */
  nonRetryableErrorTypes?: string[];
}

/** Options shared by every node of a pipeline unless the node overrides them. */
export interface NodeDefaults {
  retry?: RetrySpec;
  /** Longest one attempt of a node may take (Temporal's start-to-close timeout). Default: `"10m"`. */
  timeout?: DurationSpec;
  /**
   * Longest gap between two heartbeats of a running attempt before it is considered lost.
   * Unset by default: set it for long activities so a lost worker is noticed quickly.
   */
  heartbeatTimeout?: DurationSpec;
  /** Task queue the node's activity is scheduled on. Default: the run's task queue. */
  taskQueue?: string;
}

/** One step of a pipeline. */
export interface NodeSpec extends NodeDefaults {
  /** Unique within the pipeline: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
  id: string;
  /** Default and only kind today: `activity`. */
  kind?: NodeKind;
  /** Name of the activity a worker hosts (the export name of the function). */
  activity: string;
  /** Ids of the nodes that must complete before this one starts. Default: none. */
  needs?: string[];
  /** Static input, passed to the activity as `input`. */
  input?: unknown;
  /** Free text shown in status and the Web UI. */
  description?: string;
}

/** A pipeline as written in JSON/YAML or produced by the builders. */
export interface PipelineSpec {
  /** Pipeline name: becomes the `TapflowPipeline` search attribute. */
  name: string;
  /** Free text. */
  description?: string;
  /** Most nodes in flight at once. Default: {@link DEFAULT_MAX_PARALLEL}. */
  maxParallel?: number;
  /** Options applied to every node unless it sets its own. */
  defaults?: NodeDefaults;
  /** The nodes, in any order; ties between ready nodes are broken by this order. */
  nodes: NodeSpec[];
}

/** Default `maxParallel`. */
export const DEFAULT_MAX_PARALLEL = 8;
/** Default start-to-close timeout of one attempt. */
export const DEFAULT_NODE_TIMEOUT = '10m';
/** Default attempts of a node, the first included. */
export const DEFAULT_MAXIMUM_ATTEMPTS = 3;
/** Most nodes a single run accepts; see the README section "How far one run goes". */
export const MAX_NODES = 5000;

/** The single argument an activity node's function receives. */
export interface ActivityCall<Input = unknown, Params = unknown> {
  /** The node's static `input` from the spec (`undefined` when the spec has none). */
  input: Input;
  /** The run's input, given when the run was started (`undefined` when none). */
  params: Params;
  /** Output of every node in `needs`, by node id. */
  upstream: Record<string, unknown>;
  /** Identifies this node in this run; stable across retries, so use it as an idempotency key. */
  node: { runId: string; nodeId: string; key: string };
  /**
   * Reports paths of files this node produced (`products`) or plots it drew (`plots`); they are
   * kept on the run's record in the store once the node completes. Call it as often as you
   * like; a path reported twice is kept once. Added by the tapflow worker (it never travels
   * through Temporal); absent when the function is called some other way.
   */
  report?: (paths: ReportedPaths) => void;
}

/**
 * The activity every tapflow worker registers to write the run store (see
 * `workflows/record-call.ts`). Reserved: no node may call it.
 */
export const RECORD_ACTIVITY = 'tapflowRecord';

/** What an activity reports with `call.report`. */
export interface ReportedPaths {
  products?: readonly string[];
  plots?: readonly string[];
}
