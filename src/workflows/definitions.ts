/**
 * The Temporal contract of a run: the workflow's name, its argument and result, its signals,
 * updates and query, and the search attribute keys it keeps current. Any Temporal client can
 * drive a run with these names (docs/temporal-contract.md); the workflow and tapflow's client
 * import them as values, so each name is written once.
 *
 * No import of `@temporalio/workflow` here: a client loads this module, and a definition is only
 * a name with a type (what the SDK's `defineQuery` and friends return, built the same way).
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type QueryDefinition,
  type SignalDefinition,
  type UpdateDefinition,
} from '@temporalio/common';
import type { DurationSpec, PipelineSpec } from '../core/types';
import type { NodeState, RunState, RunStatus } from '../core/states';
import type { RerunCondition } from '../core/rerun-conditions';

function defineQuery<Ret, Args extends unknown[] = []>(name: string): QueryDefinition<Ret, Args> {
  return { type: 'query', name } as QueryDefinition<Ret, Args>;
}

function defineSignal<Args extends unknown[] = []>(name: string): SignalDefinition<Args> {
  return { type: 'signal', name } as SignalDefinition<Args>;
}

function defineUpdate<Ret, Args extends unknown[] = []>(name: string): UpdateDefinition<Ret, Args> {
  return { type: 'update', name } as UpdateDefinition<Ret, Args>;
}

/** The workflow type every run executes. */
export const PIPELINE_WORKFLOW_TYPE = 'pipelineWorkflow';

/** The task queue workers poll unless told otherwise. */
export const DEFAULT_TASK_QUEUE = 'tapflow';

/**
 * What a run is about and who it is for: kept on the run's record in the store and, for
 * `priority`, `timeout`, `deadline` and `onFailure`, acted on.
 */
export interface RunMeta {
  /** Free labels to find the run by (`tapflow runs search --tag`). */
  tags?: string[];
  /** Working groups the run belongs to. */
  groups?: string[];
  /** Who started it. The command line fills in `--user` or the OS user. */
  user?: string;
  /** Where it runs or is meant to run (e.g. an observatory site). */
  site?: string;
  /** A reference to what the run is about (event numbers, a ticket): any JSON. */
  event?: unknown;
  /**
   * Temporal task priority, 1 (first) to 5 (last); default 3. The client gives it to Temporal
   * when it starts the run, and the run's activities inherit it, so a higher-priority run's
   * nodes are taken first from a backlogged task queue.
   */
  priority?: number;
  /**
   * Longest the whole run may take, as a duration (`"2h"`). When it passes, the nodes in flight
   * are cancelled and the run fails with type `TapflowRunTimedOut`. Default: no limit.
   */
  timeout?: DurationSpec;
  /** When the run was asked for (ISO time); set by the client. Default: the workflow's start. */
  createdAt?: string;
  /**
   * The idempotency key the run was started with (`tapflow start --idempotency-key`), kept on
   * the run's record so a later start with the key finds the run even after Temporal has
   * forgotten it.
   */
  idempotencyKey?: string;
  /**
   * Longest the run may take counting only time it is not paused (overrides the spec's
   * `deadline`). When it passes, the run fails with type `TapflowDeadlineExceeded`.
   */
  deadline?: DurationSpec;
  /** What a failure does to nodes that do not say (`onFailure`); overridden by the spec. */
  onFailure?: 'fail' | 'hold';
  /**
   * The registered version of the pipeline the run was started from (started by name: `tapflow
   * start NAME[@VERSION]`); recorded with the run and shown in its status.
   */
  pipelineVersion?: number;
  /**
   * The Temporal Schedule that started the run (`tapflow schedule create`), recorded with the run
   * (`tapflow runs search --schedule ID`) and shown in its status. A run started by any other
   * schedule of `pipelineWorkflow` is found by Temporal's `TemporalScheduledById` instead.
   */
  scheduleId?: string;
}

/** The priority of a run that gives none (Temporal's default too). */
export const DEFAULT_PRIORITY = 3;

/** The lowest (least urgent) task priority Temporal accepts by default. */
export const LOWEST_PRIORITY = 5;

/**
 * The workflow's argument: what a run is started with. Any other field of the argument is
 * tapflow's own (continue-as-new and rerun state) and not part of the contract.
 */
export interface PipelineRunInput {
  /** A valid spec (the client validates it; the workflow checks it again and fails fast). */
  spec: PipelineSpec;
  /** The run's input: reaches every activity as `params`. */
  params?: unknown;
  /** Tags, user, group, priority, timeout and the rest; see {@link RunMeta}. */
  meta?: RunMeta;
}

/**
 * The workflow type a schedule that follows a pipeline's latest version starts (see
 * `launch-pipeline-workflow.ts`): it looks the version up, then continues as new into
 * {@link PIPELINE_WORKFLOW_TYPE} under the same workflow id.
 */
export const LAUNCH_PIPELINE_WORKFLOW_TYPE = 'launchPipelineWorkflow';

/** The argument of `launchPipelineWorkflow`. */
export interface LaunchPipelineInput {
  /** The registered pipeline's name; its latest version runs. */
  pipeline: string;
  /** The run's input, as `pipelineWorkflow` takes it. */
  params?: unknown;
  /** The run's metadata; `pipelineVersion` is set to the version found. */
  meta?: RunMeta;
}

/** The result of a completed run: each leaf node's output by node id. */
export type PipelineRunResult = Record<string, unknown>;

/** Who asks for a control action and why. */
export interface ControlRequest {
  /** Free text shown in status and recorded. */
  reason?: string;
  /** Who asked (a user name); the command line fills in `--user` or the OS user. */
  by?: string;
  /**
   * Idempotency key of the request, recorded with the action in the store. Default: the
   * update's id (for a signal, an id the run makes up).
   */
  requestId?: string;
}

/** What a control update returns once the run has taken the action. */
export interface ControlAck {
  /** The run's state right after taking the action. */
  state: RunState;
}

/** A request about one node of a run. */
export interface NodeRequest extends ControlRequest {
  /** The node's id. */
  node: string;
}

/** `retry`: run a held node again, with a fresh retry budget. */
export interface RetryRequest extends NodeRequest {
  /** The node's new input; without the field the node keeps its input (`null` is an input). */
  input?: unknown;
}

/** `skip`: mark a held or pending node done without running it. */
export interface SkipRequest extends NodeRequest {
  /** The output its dependents receive. Default: `null`. */
  output?: unknown;
}

/** `edit`: change a pending (or held) node's input while the run is paused. */
export interface EditRequest extends NodeRequest {
  input: unknown;
}

/** `rerun`: run a node and everything downstream of it again, in this run. */
export interface RerunRequest extends ControlRequest {
  from: string;
}

/** `send`: deliver a named event (an approval, a webhook's payload) to the nodes waiting for it. */
export interface EventRequest extends ControlRequest {
  event: string;
  /** The event's data: the output of each node that takes it. Default: `null`. */
  data?: unknown;
}

/** What a node action returns once the run has taken it. */
export interface NodeAck extends ControlAck {
  node: string;
  /** The node's state right after the action. */
  nodeState: NodeState;
}

/** What `rerun` returns: the nodes sent round again and those whose outputs were kept. */
export interface RerunAck extends ControlAck {
  rerun: string[];
  reused: string[];
}

/** What `send` returns: the nodes the event completed, and those that will take it when they start. */
export interface EventAck extends ControlAck {
  delivered: string[];
  kept: string[];
}

/** The run's status: state, progress and every node. Synchronous; changes nothing. */
export const statusQuery = defineQuery<RunStatus>('status');

/**
 * What a rerun from `from` would meet, judged on the run's own outputs: the `when` of each node
 * it would run again (which branch would run). `refused` when the rerun does not apply. Changes
 * nothing. Answered by workers from 0.4.0.
 */
export const rerunPreviewQuery = defineQuery<RerunPreview, [{ from: string }]>('rerunPreview');

/** What {@link rerunPreviewQuery} answers. */
export type RerunPreview = { conditions: RerunCondition[] } | { refused: string };

/** Pause: no node starts; nodes in flight finish. Refused when the run cannot pause. */
export const pauseUpdate = defineUpdate<ControlAck, [ControlRequest]>('pause');
/** Resume a paused (or pausing) run. */
export const resumeUpdate = defineUpdate<ControlAck, [ControlRequest]>('resume');
/**
 * Cancel: nodes in flight are cancelled, cleanup runs, the run ends `cancelled`. Follow an
 * accepted cancel update with a Temporal cancel request (`handle.cancel()`, as
 * `TapflowClient.cancel` does) so Temporal records the run as Canceled; without one the run
 * waits 30 s for it, then ends as a failure of type `TapflowCancelled`.
 */
export const cancelUpdate = defineUpdate<ControlAck, [ControlRequest]>('cancel');

/**
 * The same actions as signals, for senders that cannot wait (an action that does not apply is
 * ignored and logged). A run cancelled by signal ends as a failure of type `TapflowCancelled`
 * in Temporal (its tapflow state is `cancelled`), since no Temporal cancel request follows.
 */
export const pauseSignal = defineSignal<[ControlRequest]>('pause');
/** See {@link resumeUpdate}. */
export const resumeSignal = defineSignal<[ControlRequest]>('resume');
/** See {@link cancelUpdate}. */
export const cancelSignal = defineSignal<[ControlRequest]>('cancel');

/** Retry a held node. Refused when the node is not held or the run has ended. */
export const retryUpdate = defineUpdate<NodeAck, [RetryRequest]>('retry');
/** Skip a held or pending node with an output. */
export const skipUpdate = defineUpdate<NodeAck, [SkipRequest]>('skip');
/** Change a pending or held node's input; the run must be paused (or the node held). */
export const editUpdate = defineUpdate<NodeAck, [EditRequest]>('edit');
/** Rerun a node and its downstream in this run; none of them may be in flight. */
export const rerunUpdate = defineUpdate<RerunAck, [RerunRequest]>('rerun');
/** Deliver an event; refused when no unfinished node of the run waits for it. */
export const sendEventUpdate = defineUpdate<EventAck, [EventRequest]>('send');
/** The same as a signal, for senders that cannot wait (a webhook); an event nobody waits for is logged and recorded as refused. */
export const sendEventSignal = defineSignal<[EventRequest]>('send');

/** Search attribute: the pipeline's name. */
export const PIPELINE_SEARCH_ATTRIBUTE = defineSearchAttributeKey('TapflowPipeline', SearchAttributeType.KEYWORD);
/** Search attribute: the run's state (`running`, `paused`, ...). */
export const STATE_SEARCH_ATTRIBUTE = defineSearchAttributeKey('TapflowState', SearchAttributeType.KEYWORD);
/** Search attribute: whole percent of nodes done, 0 to 100. */
export const PROGRESS_SEARCH_ATTRIBUTE = defineSearchAttributeKey('TapflowProgress', SearchAttributeType.INT);

/**
 * Temporal's own search attribute on a workflow a Schedule started: the schedule's id. Read at the
 * start of a run that does not carry `meta.scheduleId`, so a schedule made with any Temporal client
 * is recorded too.
 */
export const SCHEDULED_BY_SEARCH_ATTRIBUTE = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** The search attributes a namespace must have registered, with their Temporal types. */
export const SEARCH_ATTRIBUTES = {
  TapflowPipeline: 'Keyword',
  TapflowState: 'Keyword',
  TapflowProgress: 'Int',
} as const;
