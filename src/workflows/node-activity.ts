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
  type ActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { parseDuration } from '../core/duration';
import { isNodeEnvelope, isNodeFailureDetails } from '../core/envelope';
import { DEFAULT_MAXIMUM_ATTEMPTS, DEFAULT_NODE_TIMEOUT, type ActivityCall, type NodeSpec, type PipelineSpec } from '../core/types';

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
  const retry = { ...d.retry, ...node.retry };
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
    retry: {
      maximumAttempts: retry.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS,
      initialInterval: parseDuration(retry.initialInterval ?? '1s'),
      backoffCoefficient: retry.backoffCoefficient ?? 2,
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  };
  if (retry.maximumInterval !== undefined && options.retry) {
    options.retry.maximumInterval = parseDuration(retry.maximumInterval);
  }
  if (heartbeat !== undefined) options.heartbeatTimeout = parseDuration(heartbeat);
  return options;
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
  options: ActivityOptions,
  onOutcome: (outcome: NodeOutcome) => void,
): Promise<void> {
  // Attempts of earlier rounds (an operator's retry or rerun) come first; the worker numbers on.
  const earlier = call.node.earlierAttempts ?? 0;
  return scheduleActivity<unknown>(node.activity ?? '', [call], options).then(
    (result) => onOutcome(completedOutcome(result, earlier)),
    (err: unknown) => onOutcome(failedOutcome(err, options.retry?.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS, earlier)),
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
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause;
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
  return undefined;
}

/** A timeout type as the status shows it: `start-to-close`, `heartbeat`, ... */
export function timeoutName(type: string | undefined): string {
  return type ? type.toLowerCase().replace(/_/g, '-') : 'timeout';
}
