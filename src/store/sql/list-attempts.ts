/**
 * Reads a run's node attempts.
 */
import type { Queryable } from '../pool';
import type { NodeAttemptRecord } from '../types';
import { ATTEMPT_COLUMNS } from './columns';

// Timeline order: by start (or end, when the start was never recorded), then node and attempt so
// that attempts starting at the same instant come out in a stable order.
const SQL = /* sql */ `
SELECT ${ATTEMPT_COLUMNS}
FROM tapflow.node_attempts a
WHERE a.workflow_id = $1 AND ($2::text IS NULL OR a.node_id = $2)
ORDER BY coalesce(a.started_at, a.finished_at), a.node_id, a.attempt`;

/**
 * Every attempt of every node of a run (or of one node), in the order they started.
 *
 * @param options.nodeId only this node's attempts.
 */
export async function listAttempts(
  client: Queryable,
  workflowId: string,
  options: { nodeId?: string } = {},
): Promise<NodeAttemptRecord[]> {
  const { rows } = await client.query<NodeAttemptRecord>(SQL, [workflowId, options.nodeId ?? null]);
  return rows;
}
