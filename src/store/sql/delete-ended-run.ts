/**
 * Deletes one ended run's records.
 */
import type { Queryable } from '../pool';
import { deletedRecords, deletionStatement, ENDED_STATES_SQL, type DeletedRecords } from './run-records-deletion';

// FOR UPDATE: the state is checked on the newest row version, waiting for a write under way.
const CHOSEN = /* sql */ `
SELECT workflow_id FROM tapflow.runs WHERE workflow_id = $1 AND state IN (${ENDED_STATES_SQL}) FOR UPDATE`;

/**
 * Deletes run `workflowId`'s row and its rows in every table of `tables`, in one statement, if
 * (and only if) the run has ended.
 *
 * @returns the rows deleted; `runs` is 0 when there is no such run or it has not ended (and
 *   then nothing was deleted).
 */
export async function deleteEndedRun(client: Queryable, tables: readonly string[], workflowId: string): Promise<DeletedRecords> {
  const { rows } = await client.query<Record<string, number>>(deletionStatement(CHOSEN, tables), [workflowId]);
  return deletedRecords(rows[0], tables);
}
