/**
 * Closes the attempt rows a run left open when Temporal ended it (a terminate, an execution
 * timeout): the workflow never ran again, so the end-of-run reconciliation never came.
 */
import type { Queryable } from '../pool';
import { timeParam } from './params';
import type { TimeInput } from '../types';

// Marked reconciled like the end-of-run reconciliation's rows, so a worker's own end that still
// arrives (the activity may run on after the terminate) replaces it (see upsert-attempt-end.ts).
const SQL = /* sql */ `
UPDATE tapflow.node_attempts SET
  outcome = 'cancelled',
  finished_at = coalesce($2::timestamptz, now()),
  error_type = 'RunTerminated',
  error_message = $3,
  source = 'reconciled'
WHERE workflow_id = $1 AND outcome = 'running'`;

/**
 * Closes every `running` attempt of the run as `cancelled`, reconciled, finished at `finishedAt`,
 * with `message` saying why. Idempotent: a second call finds nothing open.
 *
 * @returns how many rows it closed.
 */
export async function closeOpenAttempts(
  client: Queryable,
  workflowId: string,
  finishedAt: TimeInput,
  message: string,
): Promise<number> {
  const result = await client.query(SQL, [workflowId, timeParam(finishedAt), message]);
  return result.rowCount ?? 0;
}
