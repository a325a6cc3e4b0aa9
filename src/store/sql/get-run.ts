/**
 * Reads one run.
 */
import type { Queryable } from '../pool';
import type { RunRecord } from '../types';
import { RUN_COLUMNS } from './columns';

const SQL = /* sql */ `SELECT ${RUN_COLUMNS} FROM tapflow.runs r WHERE r.workflow_id = $1`;

/** The run with this workflow id, or `undefined` when the store has none. */
export async function getRun(client: Queryable, workflowId: string): Promise<RunRecord | undefined> {
  const { rows } = await client.query<RunRecord>(SQL, [workflowId]);
  return rows[0];
}
