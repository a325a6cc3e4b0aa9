/**
 * Reads a run's control actions.
 */
import type { Queryable } from '../pool';
import type { ControlActionRecord } from '../types';
import { CONTROL_ACTION_COLUMNS } from './columns';

const SQL = /* sql */ `
SELECT ${CONTROL_ACTION_COLUMNS}
FROM tapflow.control_actions c
WHERE c.workflow_id = $1
ORDER BY c.requested_at, c.id`;

/** Every control action asked of a run, oldest first. */
export async function listControlActions(client: Queryable, workflowId: string): Promise<ControlActionRecord[]> {
  const { rows } = await client.query<ControlActionRecord>(SQL, [workflowId]);
  return rows;
}
