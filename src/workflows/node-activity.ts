/**
 * Runs one activity node from workflow code: builds the activity options from the spec,
 * calls the activity by the calling convention, and turns the outcome into what the run book
 * records.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  isCancellation,
  scheduleActivity,
  scheduleLocalActivity,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { parseDuration } from '../core/duration';
import { isNodeEnvelope, isNodeFailureDetails } from '../core/envelope';
import {
  DEFAULT_LOCAL_TIMEOUT,
  DEFAULT_MAXIMUM_ATTEMPTS,
  DEFAULT_NODE_TIMEOUT,
  type ActivityCall,
  type NodeSpec,
  type PipelineSpec,
  type RetrySpec,
} from '../core/types';

/** How a node attempt ended, as the run book records it. */
export type NodeOutcome =
  | { kind: 'completed'; output: unknown; attempts: number; products?: string[]; plots?: string[] }
  | { kind: 'skipped'; output: unknown }
  | { kind: 'failed'; error: string; errorType?: string; attempts: number }
  | { kind: 'cancelled'; attempts: number };

/**
 * Temporal activity options for a node: the node's settings over the pipeline's defaults over
 * tapflow's defaults. The activity id is the node id, and the node id is its summary in the Web UI.
 */
export function activityOptionsFor(spec: PipelineSpec, node: NodeSpec, taskQueue: string): ActivityOptions {
  const d = spec.defaults ?? {};
  const timeout = parseDuration(node.timeout ?? d.timeout ?? DEFAULT_NODE_TIMEOUT);
  const heartbeat = node.heartbeatTimeout ?? d.heartbeatTimeout;
  const options: ActivityOptions = {
    activityId: node.id,
    summary: node.id,
    taskQueue: node.taskQueue ?? d.taskQueue ?? taskQueue,
    startToCloseTimeout: timeout,
    // Wait for an in-flight attempt to acknowledge a cancel, so a node reported `cancelled`
    // has really stopped (activities see the cancel on their next heartbeat).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicyFor(spec, node),
  };
  if (heartbeat !== undefined) options.heartbeatTimeout = parseDuration(heartbeat);
  return options;
}

/**
 * Retries of a local step that wait longer than this go through a timer rather than inside the
 * open workflow task, so the task completes between them and pause, cancel and status answer.
 */
const LOCAL_RETRY_THRESHOLD = '1s';

/** Whether node `node` of `spec` runs as a local step (its own `local`, else the defaults'). */
export function isLocalStep(spec: PipelineSpec, node: NodeSpec): boolean {
  return (node.kind === undefined || node.kind === 'activity') && (node.local ?? spec.defaults?.local) === true;
}

/** Local activity options for a local step: as {@link activityOptionsFor}, without a task queue or heartbeat. */
export function localActivityOptionsFor(spec: PipelineSpec, node: NodeSpec): LocalActivityOptions {
  return {
    summary: node.id,
    startToCloseTimeout: parseDuration(node.timeout ?? spec.defaults?.timeout ?? DEFAULT_LOCAL_TIMEOUT),
    // In the worker's own process, a cancel reaches the attempt at once; wait for it to stop.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    localRetryThreshold: LOCAL_RETRY_THRESHOLD,
    retry: retryPolicyFor(spec, node),
  };
}

/** How a node's activity is called: through the server, or as a local step. */
export type NodeCallOptions = { local: false; options: ActivityOptions } | { local: true; options: LocalActivityOptions };

/** How node `node` of `spec` is called on a run of task queue `taskQueue`. */
export function callOptionsFor(spec: PipelineSpec, node: NodeSpec, taskQueue: string): NodeCallOptions {
  return isLocalStep(spec, node)
    ? { local: true, options: localActivityOptionsFor(spec, node) }
    : { local: false, options: activityOptionsFor(spec, node, taskQueue) };
}

/** The retry policy of a node: its own retry fields over the defaults' over tapflow's. */
function retryPolicyFor(spec: PipelineSpec, node: NodeSpec): NonNullable<ActivityOptions['retry']> {
  const retry: RetrySpec = { ...spec.defaults?.retry, ...node.retry };
  const policy: NonNullable<ActivityOptions['retry']> = {
    maximumAttempts: retry.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS,
    initialInterval: parseDuration(retry.initialInterval ?? '1s'),
    backoffCoefficient: retry.backoffCoefficient ?? 2,
    nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
  };
  if (retry.maximumInterval !== undefined) policy.maximumInterval = parseDuration(retry.maximumInterval);
  return policy;
}

/**
 * Calls a node's activity and hands how it ended to `onOutcome`. Cancellation of the
 * surrounding scope is reported as `cancelled`, never thrown, so the caller's bookkeeping stays
 * in one place. Written with one `then` and no `async`: the SDK records a stack trace for every
 * promise workflow code makes, and this runs once per node.
 *
 * @returns a promise that settles after `onOutcome` has run; it rejects only on a bug.
 */
export function executeNode(
  node: NodeSpec,
  call: ActivityCall,
  how: NodeCallOptions,
  onOutcome: (outcome: NodeOutcome, ms?: number) => void,
): Promise<void> {
  // Attempts of earlier rounds (an operator's retry or rerun) come first; the worker numbers on.
  const earlier = call.node.earlierAttempts ?? 0;
  const activity = node.activity ?? '';
  const done = how.local ? scheduleLocalActivity<unknown>(activity, [call], how.options) : scheduleActivity<unknown>(activity, [call], how.options);
  return done.then(
    (result) => onOutcome(completedOutcome(result, earlier), isNodeEnvelope(result) ? result.ms : undefined),
    (err: unknown) => onOutcome(failedOutcome(err, how.options.retry?.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS, earlier)),
  );
}

function completedOutcome(result: unknown, earlier: number): NodeOutcome {
  if (isNodeEnvelope(result)) {
    // The worker's envelope already counts earlier rounds.
    const outcome: NodeOutcome = { kind: 'completed', output: result.output, attempts: Math.max(result.attempt, earlier + 1) };
    if (result.products) outcome.products = result.products;
    if (result.plots) outcome.plots = result.plots;
    return outcome;
  }
  return { kind: 'completed', output: result, attempts: earlier + 1 };
}

function failedOutcome(err: unknown, maxAttempts: number, earlier: number): NodeOutcome {
  if (isCancellation(err)) return { kind: 'cancelled', attempts: attemptsOf(err, maxAttempts, earlier) ?? earlier + 1 };
  // An activity's failure comes wrapped in an ActivityFailure; a local activity's comes as it is.
  const local = err instanceof ApplicationFailure || err instanceof TimeoutFailure;
  if (!(err instanceof ActivityFailure) && !local) throw err;
  const cause = local ? err : err.cause;
  const attempts = attemptsOf(err, maxAttempts, earlier) ?? earlier + 1;
  if (cause instanceof ApplicationFailure) {
    return { kind: 'failed', error: cause.message, errorType: cause.type ?? undefined, attempts };
  }
  if (cause instanceof TimeoutFailure) {
    return { kind: 'failed', error: `timed out (${timeoutName(cause.timeoutType)})`, errorType: 'Timeout', attempts };
  }
  return { kind: 'failed', error: cause?.message ?? err.message, errorType: cause?.name, attempts };
}

/**
 * Attempts made in all, from the worker's failure details (which count earlier rounds) or,
 * failing that, the retry state.
 */
function attemptsOf(err: unknown, maxAttempts: number, earlier: number): number | undefined {
  let failure: unknown = err;
  while (failure instanceof Error) {
    if (failure instanceof ApplicationFailure) {
      const detail = failure.details?.find(isNodeFailureDetails);
      if (detail) return detail.attempt;
    }
    failure = (failure as { cause?: unknown }).cause;
  }
  if (err instanceof ActivityFailure && err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED) return earlier + maxAttempts;
  // A local step's timeout comes without a retry state; a timeout is always retried, and a local
  // step has no schedule-to-close limit, so it ends only once every attempt has timed out.
  if (err instanceof TimeoutFailure) return earlier + maxAttempts;
  return undefined;
}

/** A timeout type as the status shows it: `start-to-close`, `heartbeat`, ... */
export function timeoutName(type: string | undefined): string {
  return type ? type.toLowerCase().replace(/_/g, '-') : 'timeout';
}
