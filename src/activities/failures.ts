/**
 * How an activity says an error is permanent. Any other error is transient: Temporal retries
 * the node by its retry policy. A permanent one fails the node (and the run) at once.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { NEEDS_REVIEW } from '../core/failure-types';

/** The error type of {@link needsReview}. */
export const NEEDS_REVIEW_ERROR_TYPE = NEEDS_REVIEW;

/** The error type of {@link permanentFailure}. */
export const PERMANENT_ERROR_TYPE = 'PermanentError';

/**
 * Builds a non-retryable failure to throw from an activity: bad input, a missing file,
 * a refused permission. `status` shows `message` as the node's error and `type` as its type.
 *
 * ```js
 * if (!exists(path)) throw permanentFailure(`no such file: ${path}`);
 * ```
 */
export function permanentFailure(message: string, type: string = PERMANENT_ERROR_TYPE, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, ...details);
}

/**
 * Builds the failure an activity throws when a person must look before the pipeline goes on
 * (a partial failure: a generated image that may break a policy, a result out of the
 * expected range). It is not retried, and the node is held whatever its `onFailure` says: the
 * run becomes `held` and an operator decides (`tapflow retry ID NODE [--input JSON]`,
 * `tapflow skip ID NODE --output JSON`, or cancel). Anything in `details` is kept with the error.
 *
 * ```js
 * if (score < 0.8) throw needsReview(`caption scored ${score}; check it by hand`);
 * ```
 */
export function needsReview(message: string, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, NEEDS_REVIEW, ...details);
}
