/**
 * How a run refuses an update: its validator throws a non-retryable `ApplicationFailure` of type
 * `TapflowActionRefused`, so any Temporal client gets a typed refusal with the reason as its
 * message, and never retries it.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { ACTION_REFUSED } from '../core/failure-types';

/** Throws the refusal when there is a reason to refuse; returns when the action applies. */
export function refuseIf(why: string | undefined): void {
  if (why) throw ApplicationFailure.nonRetryable(why, ACTION_REFUSED);
}
