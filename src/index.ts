/**
 * `tapflow`: pausable, durable pipelines on Temporal. What a script or an application needs to
 * write pipelines and drive their runs. It loads no native code, no worker, no HTTP server and
 * no database driver; those are the other entry points:
 *
 * - `tapflow/workflows`: the pipeline workflow and its signals, updates and query, for workflow code;
 * - `tapflow/worker`: `createWorker`, and what activities use;
 * - `tapflow/api`: the HTTP API (`buildApi`);
 * - `tapflow/store`: the run store (`openStore`, its records);
 * - `tapflow/testing`: run pipelines in your own tests.
 *
 * Here:
 * - Specs: {@link PipelineSpec}, {@link validateSpec}, {@link parseSpecText}, the builders
 *   {@link chain}, {@link group}, {@link dag}, {@link step}, {@link pipeline}; {@link toMermaid}.
 * - Runs: {@link TapflowClient} starts, inspects and controls them; {@link RunStatus} is what
 *   it reads.
 * - The Temporal contract, for any Temporal client: {@link PIPELINE_WORKFLOW_TYPE},
 *   {@link DEFAULT_TASK_QUEUE}, the update, signal and query definitions, the failure types.
 * - Errors: {@link TapflowError} and its subclasses, told apart by `code`.
 */

// Specs.
export type {
  PipelineSpec,
  NodeSpec,
  NodeDefaults,
  NodeKind,
  RetrySpec,
  DurationSpec,
  OnFailure,
  OnEventTimeout,
  ParentClosePolicy,
  ActivityCall,
  ReportedPaths,
} from './core/types';
export { NODE_KINDS, DEFAULT_MAX_PARALLEL, DEFAULT_NODE_TIMEOUT, DEFAULT_MAXIMUM_ATTEMPTS, MAX_NODES } from './core/types';
export { validateSpec, assertValidSpec, formatProblem, InvalidSpecError, type SpecProblem, type ValidationResult } from './core/validate';
export { parseSpecText, SpecSyntaxError } from './core/parse';
export { chain, group, dag, step, pipeline, type Fragment, type StepOptions } from './core/builders';
export { buildGraph, findCycle, type GraphNode, type PipelineGraph } from './core/graph';
export { toMermaid, type DrawableNode } from './core/mermaid';
export { parseDuration, formatDuration } from './core/duration';

// States and status.
export {
  RUN_STATES,
  NODE_STATES,
  FINAL_RUN_STATES,
  isFinal,
  type RunState,
  type NodeState,
  type RunStatus,
  type NodeStatus,
  type Progress,
  type ControlAction,
  type OperatorAction,
} from './core/states';

// Errors.
export {
  TapflowError,
  isTapflowError,
  ERROR_CODES,
  UsageError,
  RunNotFoundError,
  PipelineNotFoundError,
  ScheduleNotFoundError,
  ScheduleExistsError,
  ActionRefusedError,
  RunAlreadyExistsError,
  IdempotencyConflictError,
  RunNotFinishedError,
  RunFailedError,
  NoWorkerAnsweredError,
  TemporalUnreachableError,
  MissingDependencyError,
  SdkVersionError,
  type TapflowErrorCode,
  type ErrorCodeMeaning,
} from './core/errors';
export { PayloadTooLargeError } from './core/payload-limit';

// The client.
export {
  TapflowClient,
  type TapflowClientOptions,
  type StartRunOptions,
  type StartedRun,
  type RunSummary,
  type ChildRun,
  type ListRunsOptions,
  type ConnectOptions,
  type Queryable,
  type StoreValueCodec,
} from './client';
export {
  PipelineSchedules,
  OVERLAP_POLICIES,
  type OverlapPolicyName,
  type CreateScheduleOptions,
  type ScheduleCreated,
  type ScheduledRun,
  type ScheduleSummaryJson,
  type ScheduleJson,
} from './control/schedules';
export type { BulkControlOptions, BulkControlResult, BulkOutcome, BulkRunOutcome } from './control/bulk-control';
export { loadTemporalSettings, type TemporalSettings } from './control/connection';
export type { RunMetaOptions } from './control/run-meta';
export { openEventStream, readEventStream, type StreamEvent, type OpenEventStreamOptions } from './control/event-stream-client';

// The Temporal contract (also in `tapflow/workflows`, for workflow code).
export * from './workflows/definitions';
export * from './core/failure-types';
