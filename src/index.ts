/**
 * tapflow: pausable, durable pipelines on Temporal.
 *
 * - Specs: {@link PipelineSpec}, {@link validateSpec}, the builders {@link chain}, {@link group},
 *   {@link dag}, {@link step}, {@link pipeline}.
 * - Running: {@link TapflowClient} to start, inspect and control runs; {@link createWorker} to
 *   host the pipeline workflow and your activities.
 * - Activities: {@link ActivityCall} is the one argument every activity receives;
 *   {@link permanentFailure} fails a node without retry.
 */
export * from './pipeline';
export { parseSpecText, SpecSyntaxError } from './pipeline/parse';
export { TapflowClient } from './client';
export type { StartRunOptions, StartedRun, RunSummary, ListRunsOptions, ConnectOptions } from './client';
export * from './errors';
export { createWorker, WORKFLOW_BUNDLE_PATH, type CreateWorkerOptions } from './worker';
export { loadTemporalSettings, type TemporalSettings } from './connection';
export { loadActivityModules, ActivityModuleError } from './activities/load-modules';
export { permanentFailure, PERMANENT_ERROR_TYPE } from './activities/failures';
export { builtinActivities } from './activities/builtin';
export {
  DEFAULT_TASK_QUEUE,
  PIPELINE_WORKFLOW_TYPE,
  SEARCH_ATTRIBUTES,
  statusQuery,
  pauseUpdate,
  resumeUpdate,
  cancelUpdate,
  pauseSignal,
  resumeSignal,
  cancelSignal,
  type ControlAck,
  type ControlRequest,
  type PipelineRunInput,
  type PipelineRunResult,
} from './workflows/definitions';
export { NODE_FAILED, INVALID_SPEC, RUN_CANCELLED } from './workflows/errors';
