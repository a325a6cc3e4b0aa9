/**
 * How an activity says an error is permanent. Any other error is transient: Temporal retries
 * the node by its retry policy. A permanent one fails the node (and the run) at once.
 */
import { ApplicationFailure } from '@temporalio/activity';

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
