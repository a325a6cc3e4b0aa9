/**
 * Records a control action asked of a run.
 */
import type { Queryable } from '../pool';
import type { ControlActionRecord, ControlActionWrite } from '../types';
import { CONTROL_ACTION_COLUMNS } from './columns';
import { jsonParam, timeParam } from './params';

const SQL = /* sql */ `
INSERT INTO tapflow.control_actions AS c (
  workflow_id, request_id, action, node_id, requested_by, reason, requested_at, accepted, refusal, details)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::timestamptz, now()), $8, $9, $10::jsonb)
ON CONFLICT (workflow_id, request_id) DO NOTHING
RETURNING ${CONTROL_ACTION_COLUMNS}`;

/**
 * Records a control action (pause, resume, cancel, ...), keyed by the run and `requestId` (the
 * request's idempotency key, e.g. Temporal's update id): the same request delivered twice
 * records one row, and the second delivery changes nothing.
 *
 * @returns the new record, or `undefined` when this request was already recorded.
 * @throws the database's error when `action` is not a lower-case name or the store cannot be reached.
 */
export async function insertControlAction(
  client: Queryable,
  action: ControlActionWrite,
): Promise<ControlActionRecord | undefined> {
  const { rows } = await client.query<ControlActionRecord>(SQL, [
    action.workflowId,
    action.requestId,
    action.action,
    action.nodeId ?? null,
    action.requestedBy ?? null,
    action.reason ?? null,
    timeParam(action.requestedAt),
    action.accepted ?? null,
    action.refusal ?? null,
    jsonParam(action.details),
  ]);
  return rows[0];
}
