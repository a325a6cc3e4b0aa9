/**
 * The worker's side of a cancel's two calls (see `workflows/cancel-calls.ts`): they use the
 * worker's own Temporal client, through the activity context.
 */
import { Context } from '@temporalio/activity';
import { CANCEL_REASON_ACTIVITY, CANCEL_RUN_ACTIVITY } from '../core/types';
import type { CancelActivities, CancelCall } from '../workflows/cancel-calls';

/** History events read, newest first, looking for the cancel request (it is near the end). */
const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/** Asks Temporal to cancel the execution (the run's own request, after a cancel update or signal). */
async function cancelRun(call: CancelCall): Promise<void> {
  await Context.current().client.workflow.getHandle(call.workflowId, call.runId).cancel();
}

/**
 * Reads the execution's history from the newest event back to its cancel request, and says who
 * asked and why: `cancelled through Temporal by <identity>: <reason>`.
 */
async function cancelReason(call: CancelCall): Promise<string | undefined> {
  const client = Context.current().client;
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId: call.workflowId, runId: call.runId },
      maximumPageSize: PAGE_SIZE,
      nextPageToken,
    });
    for (const event of response.history?.events ?? []) {
      const request = event.workflowExecutionCancelRequestedEventAttributes;
      if (request) return describeCancelRequest(request.identity ?? undefined, request.cause ?? undefined);
    }
    if (!response.nextPageToken?.length) return undefined;
    nextPageToken = response.nextPageToken;
  }
  return undefined;
}

/** A Temporal cancel request as a run's reason. */
export function describeCancelRequest(identity: string | undefined, cause: string | undefined): string {
  const who = identity ? ` by ${identity}` : '';
  return cause ? `cancelled through Temporal${who}: ${cause}` : `cancelled through Temporal${who}`;
}

/** The two activities, under their reserved names; registered on every tapflow worker. */
export const runCancelActivities: CancelActivities = {
  [CANCEL_RUN_ACTIVITY]: cancelRun,
  [CANCEL_REASON_ACTIVITY]: cancelReason,
};
