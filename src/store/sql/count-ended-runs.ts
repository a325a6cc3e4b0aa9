/**
 * Counts the runs that ended before a time and their records: what a purge would delete.
 */
import type { Queryable } from '../pool';
import type { EndedRunsFilter } from './purge-ended-runs';
import { deletedRecords, ENDED_STATES_SQL, quoteIdent, type DeletedRecords } from './run-records-deletion';

// The same choice as purge-ended-runs.ts, without the limit and the locks.
const CHOSEN = /* sql */ `
SELECT workflow_id FROM tapflow.runs
WHERE state IN (${ENDED_STATES_SQL}) AND created_at < $1 AND coalesce(finished_at, updated_at) < $1
  AND ($2::text IS NULL OR pipeline = $2)`;

/**
 * How many runs a purge with `filter` would delete now, and how many rows of each of `tables`
 * with them. Reads only.
 */
export async function countEndedRuns(client: Queryable, tables: readonly string[], filter: EndedRunsFilter): Promise<DeletedRecords> {
  const counts = tables.map(
    (table, i) => `(SELECT count(*) FROM tapflow.${quoteIdent(table)} WHERE workflow_id IN (SELECT workflow_id FROM chosen))::int AS t${i}`,
  );
  const sql = `WITH chosen AS (${CHOSEN})\nSELECT ${['(SELECT count(*) FROM chosen)::int AS runs', ...counts].join(', ')}`;
  const { rows } = await client.query<Record<string, number>>(sql, [filter.endedBefore, filter.pipeline ?? null]);
  return deletedRecords(rows[0], tables);
}
