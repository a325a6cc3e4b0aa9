/**
 * tapflow: pausable, durable pipelines on Temporal.
 *
 * - Specs: {@link PipelineSpec}, {@link validateSpec}, the builders {@link chain}, {@link group},
 *   {@link dag}, {@link step}, {@link pipeline}.
 * - Running: {@link TapflowClient} to start, inspect and control runs; {@link createWorker} to
 *   host the pipeline workflow and your activities.
 * - The HTTP API: {@link buildApi} (Fastify), with tokens from {@link StoreTokenVerifier}.
 * - Activities: {@link ActivityCall} is the one argument every activity receives;
 *   {@link permanentFailure} fails a node without retry.
 */
export * from './pipeline';
export { parseSpecText, SpecSyntaxError } from './pipeline/parse';
export { TapflowClient } from './client';
export type { StartRunOptions, StartedRun, RunSummary, ListRunsOptions, ConnectOptions } from './client';
export type { BulkControlOptions, BulkControlResult, BulkOutcome, BulkRunOutcome } from './bulk-control';
export { checkIdempotencyKey, requestHash, MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency';
export * from './errors';
export { createWorker, WORKFLOW_BUNDLE_PATH, type CreateWorkerOptions } from './worker';
export { buildApi, apiRoutes, DEFAULT_BODY_LIMIT, type ApiOptions, type ApiRoute } from './api/server';
export { createApiToken, StoreTokenVerifier, parseGrants, formatGrants } from './api/tokens';
export { openEventStream, readEventStream, type StreamEvent, type OpenEventStreamOptions } from './api/sse-client';
export type { AttemptEventData, ActionEventData, EndEventData } from './api/stream-events';
export { allows, readablePipelines, API_ACTIONS, type ApiAction, type Grant, type Principal, type TokenVerifier, type PermissionHook, type PermissionRequest } from './api/permissions';
export { loadTemporalSettings, type TemporalSettings } from './connection';
export { loadActivityModules, ActivityModuleError } from './activities/load-modules';
export { permanentFailure, PERMANENT_ERROR_TYPE, needsReview, NEEDS_REVIEW_ERROR_TYPE } from './activities/failures';
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
  retryUpdate,
  skipUpdate,
  editUpdate,
  rerunUpdate,
  sendEventUpdate,
  sendEventSignal,
  type NodeRequest,
  type RetryRequest,
  type SkipRequest,
  type EditRequest,
  type RerunRequest,
  type EventRequest,
  type NodeAck,
  type RerunAck,
  type EventAck,
  type ControlAck,
  type ControlRequest,
  type PipelineRunInput,
  type PipelineRunResult,
} from './workflows/definitions';
export { NODE_FAILED, INVALID_SPEC, RUN_CANCELLED, RUN_TIMED_OUT, NEEDS_REVIEW, DEADLINE_EXCEEDED, EVENT_TIMED_OUT } from './workflows/errors';
