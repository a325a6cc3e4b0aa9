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
