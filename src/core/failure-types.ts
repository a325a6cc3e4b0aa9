/**
 * Failure types the pipeline workflow raises. Callers tell failures apart by
 * `ApplicationFailure.type`, never by class.
 */

/** A node failed for good (retries exhausted or a non-retryable error): the run failed. */
export const NODE_FAILED = 'TapflowNodeFailed';
/** The workflow was started with a spec that does not validate. */
export const INVALID_SPEC = 'TapflowInvalidSpec';
/** The run was cancelled with tapflow's cancel update or signal. */
export const RUN_CANCELLED = 'TapflowCancelled';
/** The run took longer than its `timeout` (see `RunMeta.timeout`): its nodes were cancelled. */
export const RUN_TIMED_OUT = 'TapflowRunTimedOut';
/**
 * An activity asked for a person (a partial failure): its node is held whatever its
 * `onFailure` says. Thrown by `needsReview()` from `tapflow/worker`.
 */
export const NEEDS_REVIEW = 'TapflowNeedsReview';
/** A run or node passed its `deadline` (active time: paused time does not count). */
export const DEADLINE_EXCEEDED = 'TapflowDeadlineExceeded';
/** An event node's `timeout` passed before its event arrived (with `onTimeout: "fail"`). */
export const EVENT_TIMED_OUT = 'TapflowEventTimedOut';
/**
 * A node ended cancelled though nothing in its run cancelled it (its child run was cancelled from
 * outside): it failed, since the run cannot go on without its output.
 */
export const NODE_CANCELLED = 'TapflowNodeCancelled';
/**
 * A run refused a control or operator action (pause a completed run, retry a node that is not
 * held): an update's rejection, non-retryable, with the reason as its message.
 */
export const ACTION_REFUSED = 'TapflowActionRefused';
/**
 * A node's expression could not be evaluated on the run's data (its `when`, an `${{ }}` in its
 * input, its `over`, its repeat's `until`: a missing field, a wrong type). The node failed, and
 * its `onFailure` applies.
 */
export const EXPRESSION_FAILED = 'TapflowExpressionFailed';
/** A repeated pipeline node ran its `max` rounds without its `until` holding. */
export const REPEAT_EXHAUSTED = 'TapflowRepeatExhausted';
/**
 * A schedule following a pipeline's latest version (`NAME@latest`) fired, and the registry has no
 * such pipeline (or the worker that looked has no store): nothing was started.
 */
export const PIPELINE_NOT_FOUND = 'TapflowPipelineNotFound';
