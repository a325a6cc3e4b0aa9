/**
 * Runs Temporal ended by itself: a terminate (`temporal workflow terminate`, the Web UI) or an
 * execution timeout closes the workflow without the workflow's code running again, so its own
 * state (the `status` query, `TapflowState`, the store's row) stays at what it last was, usually
 * `running`. These helpers tell such an end from Temporal's description of the execution and read
 * Temporal's reason, so every view can show the run as `terminated` (see `run-reconciler.ts` for
 * the store).
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import type { NodeStatus, RunStatus } from '../core/states';

/** Temporal's execution statuses that mean the run was ended by Temporal rather than by itself. */
export const ENDED_BY_TEMPORAL: readonly WorkflowExecutionStatusName[] = ['TERMINATED', 'TIMED_OUT'];

/** The same statuses as a visibility query spells them (`ExecutionStatus IN (...)`). */
export const ENDED_BY_TEMPORAL_QUERY = `ExecutionStatus IN ("Terminated", "TimedOut")`;

/** The reason a run carries when its execution timeout passed (Temporal gives none). */
export const TIMED_OUT_REASON = "the run's execution timeout passed";

/** The reason a terminated run carries when whoever terminated it gave none. */
export const TERMINATED_WITHOUT_REASON = 'terminated through Temporal (no reason given)';

/**
 * `HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT` of Temporal's API (a stable
 * protobuf enum value): the history call then answers the close event alone, however long the
 * history. Written out so the client needs no import of `@temporalio/proto`.
 */
const CLOSE_EVENT_ONLY = 2;

/** How a run ended through Temporal. */
export interface TemporalEnd {
  /** Temporal's reason: the terminate's, or {@link TIMED_OUT_REASON}. */
  reason: string;
  /** When the execution closed. */
  closedAt: Date;
}

/** Whether an execution in this status was ended by Temporal (terminated or timed out). */
export function endedByTemporal(status: WorkflowExecutionStatusName | string): boolean {
  return (ENDED_BY_TEMPORAL as readonly string[]).includes(status);
}

/** Temporal's end of an execution, as its close event tells it. */
export interface TemporalEndEvent {
  /** The terminate's reason (or a sentence when none was given), or {@link TIMED_OUT_REASON}. */
  reason: string;
  /**
   * Whether a reset ended it: the workflow goes on in a new execution. The server terminates the
   * execution it resets as the identity `history-resetter`.
   */
  byReset: boolean;
}

/**
 * Reads Temporal's end of an execution from its history's close event alone (however long the
 * history): the `WorkflowExecutionTerminated` event's reason and who terminated it;
 * {@link TIMED_OUT_REASON} for a timeout.
 *
 * @param status the execution's status name (`describe().status.name`).
 * @throws Temporal's error when the history cannot be read.
 */
export async function readTemporalEnd(
  client: Client,
  workflowId: string,
  runId: string,
  status: WorkflowExecutionStatusName | string,
): Promise<TemporalEndEvent> {
  if (status === 'TIMED_OUT') return { reason: TIMED_OUT_REASON, byReset: false };
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    historyEventFilterType: CLOSE_EVENT_ONLY,
  });
  for (const event of response.history?.events ?? []) {
    if (event.workflowExecutionTimedOutEventAttributes) return { reason: TIMED_OUT_REASON, byReset: false };
    const terminated = event.workflowExecutionTerminatedEventAttributes;
    if (terminated) {
      return {
        reason: terminated.reason?.trim() ? terminated.reason : TERMINATED_WITHOUT_REASON,
        byReset: /reset/i.test(terminated.identity ?? ''),
      };
    }
  }
  return { reason: TERMINATED_WITHOUT_REASON, byReset: false };
}

/**
 * Temporal's reason for ending the execution (see {@link readTemporalEnd}).
 *
 * @throws Temporal's error when the history cannot be read.
 */
export async function temporalEndReason(
  client: Client,
  workflowId: string,
  runId: string,
  status: WorkflowExecutionStatusName | string,
): Promise<string> {
  return (await readTemporalEnd(client, workflowId, runId, status)).reason;
}

/** `WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW` of Temporal's API. */
const RESET_WORKFLOW_CAUSE = 20;

/** The reason a reset carries when none can be read. */
export const RESET_WITHOUT_REASON = 'reset through Temporal';

/**
 * The reason given for the reset that made execution `runId`: the server marks the reset point
 * in the new execution's history with a workflow task failed for that cause, the reason its
 * message. Reads the history's first page.
 *
 * @throws Temporal's error when the history cannot be read.
 */
export async function resetReasonOf(client: Client, workflowId: string, runId: string): Promise<string> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
  });
  for (const event of response.history?.events ?? []) {
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed && failed.cause === RESET_WORKFLOW_CAUSE) return failed.failure?.message || RESET_WITHOUT_REASON;
  }
  return RESET_WITHOUT_REASON;
}

/**
 * A run's status as the run last knew it, made to say that Temporal ended it: state
 * `terminated`, Temporal's reason, finished at the close time; nodes still running are shown
 * `cancelled` (their results can no longer reach the run) and counted so. Pure.
 */
export function asEndedByTemporal(status: RunStatus, end: TemporalEnd): RunStatus {
  const finishedAt = end.closedAt.toISOString();
  const nodes = endNodes(status.nodes, finishedAt);
  return {
    ...status,
    state: 'terminated',
    reason: end.reason,
    finishedAt,
    nodes,
    progress: { ...status.progress, running: nodes.filter((n) => n.state === 'running').length },
  };
}

/** The nodes of a run Temporal ended: those still running are closed as cancelled at `finishedAt`. */
export function endNodes(nodes: readonly NodeStatus[], finishedAt: string): NodeStatus[] {
  return nodes.map((n) => (n.state === 'running' ? { ...n, state: 'cancelled', finishedAt } : n));
}
