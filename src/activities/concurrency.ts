/**
 * The worker's side of concurrency limits: asking a key's coordinator for a slot (a
 * signal-with-start, so the first run of a key starts its coordinator), and telling a coordinator
 * which of its holders' runs have ended. Both use the worker's own client.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ACQUIRE_SLOT_ACTIVITY, CLOSED_RUNS_ACTIVITY } from '../core/types';
import { acquireSlotSignal, CONCURRENCY_WORKFLOW_TYPE, type SlotRequest } from '../workflows/concurrency-protocol';
import type { concurrencyWorkflow } from '../workflows/concurrency-workflow';

/** What a run asks: its request, to the coordinator of `key`, on the run's task queue. */
export interface AcquireSlotCall {
  coordinatorId: string;
  key: string;
  taskQueue: string;
  request: SlotRequest;
}

async function acquireSlot(call: AcquireSlotCall): Promise<void> {
  await Context.current().client.workflow.signalWithStart<typeof concurrencyWorkflow, [SlotRequest]>(CONCURRENCY_WORKFLOW_TYPE, {
    workflowId: call.coordinatorId,
    taskQueue: call.taskQueue,
    args: [{ key: call.key }],
    signal: acquireSlotSignal,
    signalArgs: [call.request],
    staticSummary: `tapflow concurrency: slots of key ${call.key}`,
  });
}

/** Which of `workflowIds` have no running execution (ended, or unknown to Temporal). */
async function closedRuns(workflowIds: string[]): Promise<string[]> {
  const client = Context.current().client;
  const closed: string[] = [];
  for (const id of workflowIds) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      if (d.status.name !== 'RUNNING') closed.push(id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) closed.push(id);
      else throw err;
    }
  }
  return closed;
}

/** The two activities, under their reserved names; registered on every tapflow worker. */
export const concurrencyActivities = {
  [ACQUIRE_SLOT_ACTIVITY]: acquireSlot,
  [CLOSED_RUNS_ACTIVITY]: closedRuns,
};
