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
import type { NotifySpec } from './notify';

/** A duration: milliseconds as a number, or a string such as `"500ms"`, `"30s"`, `"2m"`, `"1h30m"`. */
export type DurationSpec = number | string;

/**
 * Which kind of step a node is:
 * - `activity` (the default): calls a function a worker hosts;
 * - `sleep`: waits a duration or until a time, durably;
 * - `event`: waits for a named event sent to the run (an approval, a webhook's payload);
 * - `pipeline`: runs another spec as a child run;
 * - `map`: runs an activity or a child pipeline over every item of an upstream array.
 */
export type NodeKind = 'activity' | 'sleep' | 'event' | 'pipeline' | 'map';

/** Every node kind, the default first. */
export const NODE_KINDS: readonly NodeKind[] = ['activity', 'sleep', 'event', 'pipeline', 'map'];

/**
 * What a run does when a node fails for good (its retries are spent, or it threw a
 * non-retryable error):
 * - `fail` (the default): nodes in flight are cancelled, the rest is skipped, the run fails;
 * - `hold`: the node waits for an operator and the run becomes `held`; the rest of the graph
 *   that does not depend on the node goes on. `tapflow retry`, `skip` or `cancel` decide.
 *
 * An activity that throws the needs-review error (`needsReview()` from `tapflow/worker`) holds
 * its node whatever this says: it asked for a person.
 */
export type OnFailure = 'fail' | 'hold';

/**
 * What an `event` node does when its `timeout` passes before the event arrives:
 * `fail` (the default; the node fails, and `onFailure` applies), `skip` (the node is skipped
 * with output `null` and its dependents go on), or `default` (the node completes with its
 * `default` as output).
 */
export type OnEventTimeout = 'fail' | 'skip' | 'default';

/**
 * What happens to a `pipeline` node's child run when the parent run closes without having
 * ended it (Temporal's parent-close policy): `cancel` (the default: the child is asked to
 * cancel and records its end), `terminate` (stopped at once, no cleanup), `abandon` (it runs on).
 */
export type ParentClosePolicy = 'cancel' | 'terminate' | 'abandon';

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
   * `permanentFailure` from `tapflow/worker`.
   */
  nonRetryableErrorTypes?: string[];
}

/**
 * When a node runs once its needs have ended (each need completed, was skipped, or failed):
 * - `all_success` (the default): every need completed, or was skipped by an operator or an
 *   event's timeout (their output stands in); a need skipped by its condition, skipped by these
 *   rules, or failed skips the node.
 * - `none_failed`: no need failed and at least one completed: the join after a branch.
 * - `one_success`: as soon as one need has completed, without waiting for the others.
 * - `all_done`: once every need has ended, however.
 * A node these rules can no longer run is `skipped` with the cause `upstream`.
 */
export type TriggerRule = 'all_success' | 'none_failed' | 'one_success' | 'all_done';

/** Every trigger rule, the default first. */
export const TRIGGER_RULES: readonly TriggerRule[] = ['all_success', 'none_failed', 'one_success', 'all_done'];

/**
 * A `pipeline` node that runs its child pipeline again, each round a child run of its own, until
 * `until` holds or `max` rounds have run (then the node fails and `onFailure` applies).
 */
export interface RepeatSpec {
  /**
   * A CEL condition checked after each round, over `output` (the round's output), `round` (its
   * number, from 1), `params` and `upstream`. True ends the repeat; the node's output is the
   * last round's.
   */
  until: string;
  /** Most rounds, from 1 to {@link MAX_REPEAT_ROUNDS}. */
  max: number;
}

/** Most rounds a `repeat` may run. */
export const MAX_REPEAT_ROUNDS = 100;

/** Options shared by every node of a pipeline unless the node overrides them. */
export interface NodeDefaults {
  retry?: RetrySpec;
  /**
   * Longest one attempt of a node may take (Temporal's start-to-close timeout). Default: `"10m"`.
   * On an `event` node: the longest it waits for its event (see `onTimeout`). Default: no limit.
   */
  timeout?: DurationSpec;
  /**
   * Longest gap between two heartbeats of a running attempt before it is considered lost.
   * Unset by default: set it for long activities so a lost worker is noticed quickly.
   */
  heartbeatTimeout?: DurationSpec;
  /** Task queue the node's activity (or child run) is scheduled on. Default: the run's task queue. */
  taskQueue?: string;
  /** What a failure of the node does to the run. Default: `fail`. */
  onFailure?: OnFailure;
  /**
   * `activity` nodes: run the activity as a Temporal local activity, on the worker that runs the
   * run, inside its workflow task: a step costs a few milliseconds and one history event instead
   * of a round trip through the server. For short steps (under a few seconds). A local step
   * cannot heartbeat (no `heartbeatTimeout`) and has no task queue of its own (no `taskQueue`: a
   * step in another language runs on its own worker); its retries run on the same worker; its
   * default timeout is {@link DEFAULT_LOCAL_TIMEOUT}. Steps done since the run's last workflow
   * task completed run again when that worker dies (docs/local-steps.md). Default: `false`.
   */
  local?: boolean;
}

/**
 * One step of a pipeline. Which fields apply depends on `kind`; the validator refuses fields
 * that do not apply to the node's kind.
 */
export interface NodeSpec extends NodeDefaults {
  /** Unique within the pipeline: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
  id: string;
  /** What the node is; default `activity`. */
  kind?: NodeKind;
  /** `activity` and `map` nodes: the name of the activity a worker hosts (its export name). */
  activity?: string;
  /** Ids of the nodes that must complete (or be skipped with an output) before this one starts. */
  needs?: string[];
  /**
   * `activity`, `pipeline` and `map` nodes: the input, passed to the activity as `input`. Any
   * string in it may hold `${{ expression }}` (CEL over `params` and `upstream`; in a repeated
   * node also `previous` and `round`): a string that is exactly one expression becomes its value
   * with its type, inside longer text it becomes text, and `$${{` writes a literal `${{`.
   * Resolved when the node starts; the status and the store show the resolved input.
   */
  input?: unknown;
  /**
   * A CEL condition over `params` and `upstream` (the outputs of the nodes in `needs`), checked
   * when the node would start. False: the node is `skipped` with the cause `condition` and output
   * `null`, and what needs it follows its `trigger`.
   */
  when?: string;
  /** When the node runs once its needs have ended. Default: `all_success`. */
  trigger?: TriggerRule;
  /** `pipeline` nodes: run the child pipeline again until a condition holds. */
  repeat?: RepeatSpec;
  /** Free text shown in status and the Web UI. */
  description?: string;
  /**
   * Longest the node may take from its first start to its end, retries included, counting only
   * time the run is not paused. When it passes, the node fails with type
   * `TapflowDeadlineExceeded` (and `onFailure` applies). Default: no limit.
   */
  deadline?: DurationSpec;
  /** `sleep` nodes: how long to wait (paused time does not count). */
  duration?: DurationSpec;
  /** `sleep` nodes: wait until this time (ISO-8601 with `Z` or an offset) instead. */
  until?: string;
  /** `event` nodes: the name of the event to wait for (`tapflow send ID EVENT`). */
  event?: string;
  /** `event` nodes: what to do when `timeout` passes first. Default: `fail`. */
  onTimeout?: OnEventTimeout;
  /** `event` nodes: the output when `onTimeout` is `default`. */
  default?: unknown;
  /**
   * `pipeline` nodes: the child pipeline's spec (or, for `map`, the spec each item runs). In a
   * file, a string is a path to another spec file, relative to this one; the command line
   * inlines it before validating. The child is given `{ input, params, upstream }` (and, in a
   * map, `item` and `index`) as its run input.
   */
  pipeline?: PipelineSpec | string;
  /** `pipeline` and `map` nodes: what happens to child runs when this run closes. Default: `cancel`. */
  parentClose?: ParentClosePolicy;
  /**
   * `map` nodes: where the items are: the id of a node in `needs` whose output is an array, a
   * dotted path into that output (`"list.files"`), or one expression that gives the array
   * (`"${{ upstream.list.files.filter(f, f.size > 0) }}"`).
   */
  over?: string;
  /** `map` nodes: most items in flight at once. Default: the pipeline's `maxParallel`. */
  maxParallel?: number;
  /**
   * `map` nodes that run an activity: how many items one activity task runs, one after another
   * (at most {@link MAX_MAP_BATCH_SIZE}). Default: 1, each item its own activity with its own
   * retries. For many short items, a batch of 50 to 200 costs Temporal a few events per batch
   * instead of per item, which is many times faster.
   *
   * A batch heartbeats after each item with the outputs so far; a retried batch (the node's
   * `retry` applies to the batch) starts after the last item it reported, so an item runs again
   * only when its worker was lost before reporting it. `timeout` stays per item: the batch may
   * take `batchSize` times it, and it times out when one item passes `heartbeatTimeout`
   * (default: the item `timeout`). An item's function should not send heartbeat details of its
   * own: they would replace the batch's and a retry would start the batch over.
   */
  batchSize?: number;
  /**
   * `activity`, `map` and `pipeline` nodes: at most `limit` nodes with this key are in flight at
   * once, across every run (a GPU, a rate-limited API). A node whose turn comes while the key's
   * slots are taken waits (`running`, `waitingFor: "concurrency <key>"`), and holds its slot from
   * the start of its work to its end. The key is a name or a template over `params`.
   */
  concurrency?: ConcurrencySpec;
}

/** Most items one `map` batch may take (the size of a map shard: a batch never spans two). */
export const MAX_MAP_BATCH_SIZE = 1000;

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
  /**
   * Longest a run may take, counting only time it is not paused: the paused clock stops while
   * the run is paused. When it passes, nodes in flight are cancelled and the run fails with type
   * `TapflowDeadlineExceeded`. Default: no limit. (`tapflow start --timeout` is wall-clock.)
   */
  deadline?: DurationSpec;
  /**
   * How deep `pipeline` nodes may nest: a child of this run is depth 1, its child depth 2, and so
   * on. Only the top-level spec's value counts. Default: {@link DEFAULT_MAX_DEPTH}.
   */
  maxDepth?: number;
  /**
   * Webhooks told of this pipeline's run events (held, failed, completed, cancelled, terminated,
   * queued longer than a duration): a signed POST each, retried and recorded by the workers
   * that deliver notifications. Keys are the deployment's, never the spec's (see `secret`).
   * Default: none (the deployment's own webhooks still hear every run).
   */
  notify?: NotifySpec[];
  /**
   * At most `limit` runs with the same key are past their start at once, across every run of
   * every pipeline that names the key: the others wait in the state `queued` (no node started),
   * in priority order, then first come, and start as a slot frees. A child pipeline with its
   * own `concurrency` is a run too and takes a slot of its key (with its parent's key and a
   * limit the parent already fills, it would wait for ever). Default: no limit.
   */
  concurrency?: ConcurrencySpec;
}

/** A concurrency limit: see {@link PipelineSpec.concurrency}. */
export interface ConcurrencySpec {
  /**
   * What the limit counts over: a constant (`"reports"`), or a `${{ }}` template over `params`
   * (`"${{ params.tenant }}"`, `"tenant-${{ params.tenant }}"`), resolved when the run starts.
   */
  key: string;
  /** How many at once, from 1. */
  limit: number;
}

/** The most a concurrency limit may allow, and the longest key (resolved). */
export const MAX_CONCURRENCY_LIMIT = 10_000;
export const MAX_CONCURRENCY_KEY_LENGTH = 200;

/** Default `maxParallel`. */
export const DEFAULT_MAX_PARALLEL = 8;
/** Default start-to-close timeout of one attempt. */
export const DEFAULT_NODE_TIMEOUT = '10m';
/**
 * Default start-to-close timeout of one attempt of a local step: it runs inside the run's
 * workflow task, so a step longer than this is not what local steps are for.
 */
export const DEFAULT_LOCAL_TIMEOUT = '1m';
/** Default attempts of a node, the first included. */
export const DEFAULT_MAXIMUM_ATTEMPTS = 3;
/**
 * Most nodes a single run accepts: the spec travels in the workflow's argument (and again at each
 * continue-as-new), every node's record is carried across executions, and the status query lists
 * them all, so the run's size must stay well inside Temporal's payload and history limits.
 */
export const MAX_NODES = 5000;
/** Default nesting limit of child pipelines: three levels below the top-level run. */
export const DEFAULT_MAX_DEPTH = 3;
/**
 * Highest `maxDepth` a spec may set. Validation recurses into child specs, so an unbounded limit
 * would let a deeply nested spec overflow the stack instead of being refused.
 */
export const MAX_PIPELINE_DEPTH = 100;

/** The single argument an activity node's function receives. */
export interface ActivityCall<Input = unknown, Params = unknown> {
  /** The node's static `input` from the spec (`undefined` when the spec has none). */
  input: Input;
  /** The run's input, given when the run was started (`undefined` when none). */
  params: Params;
  /** Output of every node in `needs`, by node id. */
  upstream: Record<string, unknown>;
  /**
   * Identifies this node in this run. `key` (`<runId>/<nodeId>`, and `/<index>` for a map item)
   * is stable across retries: use it as the idempotency key of the node's side effects.
   * `earlierAttempts` counts attempts of earlier rounds (an operator's retry or rerun starts a
   * new round); the worker adds it to Temporal's attempt number so attempts number on.
   */
  node: { runId: string; nodeId: string; key: string; earlierAttempts?: number };
  /** `map` nodes: the item this call handles. */
  item?: unknown;
  /** `map` nodes: the item's position in the upstream array, from 0. */
  index?: number;
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

/**
 * The activity every tapflow worker registers to run a batch of a `map` node's items (see
 * `workflows/map-batch-call.ts`). Reserved: no node may call it.
 */
export const MAP_BATCH_ACTIVITY = 'tapflowMapBatch';

/**
 * The local activities every tapflow worker registers for a run's cancel: asking Temporal to
 * cancel the run (a workflow cannot ask that of itself), and reading who cancelled it through
 * Temporal, and why, from its history (see `workflows/cancel-calls.ts`). Reserved.
 */
export const CANCEL_RUN_ACTIVITY = 'tapflowCancelRun';
/** See {@link CANCEL_RUN_ACTIVITY}. */
export const CANCEL_REASON_ACTIVITY = 'tapflowCancelReason';
/** The activity that reads a registered pipeline's latest version, for a schedule that follows it. */
export const LATEST_PIPELINE_ACTIVITY = 'tapflowLatestPipeline';
/** The local activity a run asks its key's coordinator for a slot with (signal-with-start). */
export const ACQUIRE_SLOT_ACTIVITY = 'tapflowAcquireSlot';
/** The local activity a coordinator asks which of its holders' runs have ended with. */
export const CLOSED_RUNS_ACTIVITY = 'tapflowClosedRuns';
/** The activity (it does nothing) a run doing local steps ends its workflow task with (see `workflows/local-steps.ts`). */
export const END_TASK_ACTIVITY = 'tapflowEndTask';

/** Activity names tapflow's workers keep for themselves: no node may call one. */
export const RESERVED_ACTIVITIES: ReadonlyMap<string, string> = new Map([
  [RECORD_ACTIVITY, 'tapflow records runs with it'],
  [MAP_BATCH_ACTIVITY, 'tapflow runs map batches with it'],
  [CANCEL_RUN_ACTIVITY, 'tapflow cancels runs with it'],
  [CANCEL_REASON_ACTIVITY, 'tapflow reads cancel requests with it'],
  [LATEST_PIPELINE_ACTIVITY, 'tapflow schedules the latest version of a pipeline with it'],
  [ACQUIRE_SLOT_ACTIVITY, 'tapflow asks for concurrency slots with it'],
  [CLOSED_RUNS_ACTIVITY, 'tapflow frees the concurrency slots of ended runs with it'],
  [END_TASK_ACTIVITY, 'tapflow ends workflow tasks between local steps with it'],
]);

/** What an activity reports with `call.report`. */
export interface ReportedPaths {
  products?: readonly string[];
  plots?: readonly string[];
}
