/**
 * Records that a node attempt started.
 */
import type { Queryable } from '../pool';
import type { AttemptStart, WriteOutcome } from '../types';
import { timeParam } from './params';

// If the attempt's end arrived first, the start only fills in what the end did not know.
// upsert-attempt-rows.ts writes batches with the same rules; keep the two in step.
const SQL = /* sql */ `
INSERT INTO tapflow.node_attempts AS a (workflow_id, node_id, attempt, activity, started_at, worker)
VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()), $6)
ON CONFLICT (workflow_id, node_id, attempt) DO UPDATE SET
  started_at = coalesce(a.started_at, excluded.started_at),
  worker = coalesce(a.worker, excluded.worker)
RETURNING (xmax = 0) AS inserted`;

/**
 * Records the start of attempt `attempt` of node `nodeId` of a run, keyed by (workflow id, node
 * id, attempt). Idempotent: a duplicate start changes nothing (the first start time stays), and
 * a start that arrives after the attempt's end never makes it `running` again.
 *
 * @returns whether the row was inserted, updated (its end had arrived first), or left as it was.
 */
export async function upsertAttemptStart(client: Queryable, start: AttemptStart): Promise<WriteOutcome> {
  const { rows } = await client.query<{ inserted: boolean }>(SQL, [
    start.workflowId,
    start.nodeId,
    start.attempt,
    start.activity,
    timeParam(start.startedAt),
    start.worker ?? null,
  ]);
  const row = rows[0];
  if (!row) return 'unchanged';
  return row.inserted ? 'inserted' : 'updated';
}
