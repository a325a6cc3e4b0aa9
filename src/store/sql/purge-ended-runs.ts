/**
 * Deletes one batch of runs that ended before a time, with all their records.
 */
import type { Queryable } from '../pool';
import { deletedRecords, deletionStatement, ENDED_STATES_SQL, type DeletedRecords } from './run-records-deletion';

/*
 * A run counts as ended before the cutoff when its state is final and it finished (or, for a row
 * that never said when, last changed) before it. `created_at < cutoff` adds nothing a run that
 * ended before the cutoff does not meet, but lets the (state, created_at) and (pipeline,
 * created_at) indexes find the batch without reading every row. SKIP LOCKED: a run row another
 * writer holds (a late write, another purge) is left for the next pass, never waited for; and
 * FOR UPDATE checks the state again on the newest row version, so a run a reset brought back to
 * life is not taken.
 */
const CHOSEN = /* sql */ `
SELECT workflow_id FROM tapflow.runs
WHERE state IN (${ENDED_STATES_SQL}) AND created_at < $1 AND coalesce(finished_at, updated_at) < $1
  AND ($2::text IS NULL OR pipeline = $2)
LIMIT $3
FOR UPDATE SKIP LOCKED`;

/** Which runs a purge takes. */
export interface EndedRunsFilter {
  /** Runs that ended before this time. */
  endedBefore: Date;
  /** Only runs of this pipeline. Default: every pipeline. */
  pipeline?: string;
}

/**
 * Deletes up to `limit` runs that ended before `filter.endedBefore` (and only those), with their
 * rows in every table of `tables` (see `list-run-keyed-tables.ts`), in one statement.
 *
 * @returns how many rows went, from `runs` and from each table; fewer than `limit` runs means
 *   none is left to take (or the rest are locked by another writer for now).
 */
export async function purgeEndedRuns(
  client: Queryable,
  tables: readonly string[],
  filter: EndedRunsFilter,
  limit: number,
): Promise<DeletedRecords> {
  const { rows } = await client.query<Record<string, number>>(deletionStatement(CHOSEN, tables), [
    filter.endedBefore,
    filter.pipeline ?? null,
    limit,
  ]);
  return deletedRecords(rows[0], tables);
}
