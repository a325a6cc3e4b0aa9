/**
 * Reads the last pause or resume a run took (the worker's pause-latency metric).
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT c.action, c.request_id AS "requestId", c.requested_at AS "requestedAt"
FROM tapflow.control_actions c
WHERE c.workflow_id = $1 AND c.action IN ('pause', 'resume') AND c.accepted IS NOT FALSE
ORDER BY c.requested_at DESC, c.id DESC
LIMIT 1`;

/** A pause or resume the run took. */
export interface PauseOrResume {
  action: 'pause' | 'resume';
  requestId: string;
  requestedAt: Date;
}

/**
 * The latest pause or resume that run `workflowId` took (refused ones left out), or undefined
 * when it took none.
 */
export async function latestPauseOrResume(client: Queryable, workflowId: string): Promise<PauseOrResume | undefined> {
  const { rows } = await client.query<PauseOrResume>(SQL, [workflowId]);
  return rows[0];
}
