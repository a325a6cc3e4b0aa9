/**
 * The data of each event the API's streams send, built from store rows. These shapes are part of
 * the API's contract (docs/http-api.md, "Event streams").
 */
import { isFinal } from '../core/states';
import type { Changed } from '../store/sql/stream-reads';
import type { ControlActionRecord, NodeAttemptRecord, RunRecord } from '../store/types';

/** `event: attempt`: one node attempt as it now stands. */
export interface AttemptEventData {
  workflowId: string;
  /** The run's pipeline, on the streams over many runs. */
  pipeline?: string;
  nodeId: string;
  attempt: number;
  activity: string;
  outcome: NodeAttemptRecord['outcome'];
  startedAt: string | null;
  finishedAt: string | null;
  errorType: string | null;
  errorMessage: string | null;
  worker: string | null;
}

/** `event: action`: one control action asked of the run. */
export interface ActionEventData {
  workflowId: string;
  id: number;
  action: string;
  nodeId: string | null;
  requestedBy: string | null;
  reason: string | null;
  requestedAt: string;
  accepted: boolean | null;
  refusal: string | null;
}

/** `event: end`: the run has ended; the stream closes after it. */
export interface EndEventData {
  workflowId: string;
  state: RunRecord['state'];
  reason: string | null;
  finishedAt: string | null;
}

const iso = (time: Date | null): string | null => (time ? time.toISOString() : null);

/** The data of an `attempt` event. */
export function attemptEvent(a: Changed<NodeAttemptRecord> | NodeAttemptRecord): AttemptEventData {
  return {
    workflowId: a.workflowId,
    nodeId: a.nodeId,
    attempt: a.attempt,
    activity: a.activity,
    outcome: a.outcome,
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
    errorType: a.errorType,
    errorMessage: a.errorMessage,
    worker: a.worker,
  };
}

/** The data of an `action` event. */
export function actionEvent(c: Changed<ControlActionRecord> | ControlActionRecord): ActionEventData {
  return {
    workflowId: c.workflowId,
    id: c.id,
    action: c.action,
    nodeId: c.nodeId,
    requestedBy: c.requestedBy,
    reason: c.reason,
    requestedAt: c.requestedAt.toISOString(),
    accepted: c.accepted,
    refusal: c.refusal,
  };
}

/** The data of the `end` event, or `undefined` while the run has not ended. */
export function endEvent(run: Pick<RunRecord, 'workflowId' | 'state' | 'reason' | 'finishedAt'>): EndEventData | undefined {
  if (!isFinal(run.state)) return undefined;
  return { workflowId: run.workflowId, state: run.state, reason: run.reason, finishedAt: iso(run.finishedAt) };
}
