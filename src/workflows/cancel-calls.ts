/**
 * The workflow's side of a cancel's two worker calls, both local activities (one marker each in
 * the history, no row in the Web UI's activity list):
 * - {@link requestOwnCancel}: a workflow cannot ask Temporal to cancel itself (the server answers
 *   "not found"), but its worker's client can. A run cancelled by the `cancel` update or signal
 *   asks, so the execution ends Canceled in Temporal as it does in tapflow.
 * - {@link temporalCancelReason}: the SDK does not pass a Temporal cancel's reason to the
 *   workflow; the worker reads who asked, and why, from the run's history.
 * Neither may stop the run from ending: a failure is logged, and the run ends without it.
 */
import { log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { CANCEL_REASON_ACTIVITY, CANCEL_RUN_ACTIVITY } from '../core/types';

/** The execution a cancel call is about. */
export interface CancelCall {
  workflowId: string;
  runId: string;
}

/** The worker functions behind the calls (see `activities/run-cancel.ts`). */
export interface CancelActivities {
  [CANCEL_RUN_ACTIVITY](call: CancelCall): Promise<void>;
  [CANCEL_REASON_ACTIVITY](call: CancelCall): Promise<string | undefined>;
}

const calls = proxyLocalActivities<CancelActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumAttempts: 3 },
});

function thisExecution(): CancelCall {
  const info = workflowInfo();
  return { workflowId: info.workflowId, runId: info.runId };
}

/**
 * Asks Temporal to cancel this execution; the request comes back as Temporal's cancel.
 * @returns whether the request was made.
 */
export async function requestOwnCancel(): Promise<boolean> {
  try {
    await calls[CANCEL_RUN_ACTIVITY](thisExecution());
    return true;
  } catch (err) {
    log.warn('could not ask Temporal to cancel the run; it ends cancelled in tapflow, failed in Temporal', {
      error: (err as Error)?.message,
    });
    return false;
  }
}

/** Who cancelled this execution through Temporal, and why, as a reason; `undefined` when unknown. */
export async function temporalCancelReason(): Promise<string | undefined> {
  try {
    return await calls[CANCEL_REASON_ACTIVITY](thisExecution());
  } catch (err) {
    log.warn("could not read the Temporal cancel's reason from the history", { error: (err as Error)?.message });
    return undefined;
  }
}
