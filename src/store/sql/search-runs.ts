/**
 * Finds runs by pipeline (and the registered version they were started from), schedule, state,
 * tag, user, group and creation time.
 */
import type { Queryable } from '../pool';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, type RunRecord, type RunSearch } from '../types';
import { RUN_COLUMNS } from './columns';
import { textArrayParam, timeParam } from './params';

// One statement for every combination of filters: a filter left NULL matches every row. Each
// call is planned with its values, so the planner drops the NULL branches and uses the indexes.
const SQL = /* sql */ `
SELECT ${RUN_COLUMNS}
FROM tapflow.runs r
WHERE ($1::text IS NULL OR r.pipeline = $1)
  AND ($2::text[] IS NULL OR r.state = ANY ($2))
  AND ($3::text[] IS NULL OR r.tags @> $3)
  AND ($4::text IS NULL OR r.user_name = $4)
  AND ($5::text[] IS NULL OR r.groups @> $5)
  AND ($6::timestamptz IS NULL OR r.created_at >= $6)
  AND ($7::timestamptz IS NULL OR r.created_at < $7)
  AND ($8::timestamptz IS NULL OR (r.created_at, r.workflow_id) < ($8, $9::text))
  AND ($11::text[] IS NULL OR r.pipeline = ANY ($11))
  AND ($12::integer IS NULL OR r.pipeline_version = $12)
  AND ($13::text IS NULL OR r.schedule_id = $13)
ORDER BY r.created_at DESC, r.workflow_id DESC
LIMIT $10`;

/**
 * Runs matching every filter given, newest first (by creation time, then workflow id).
 *
 * Tags and groups match runs carrying all of those given; `pipelines` keeps runs of any of those
 * (and none for an empty list); `pipelineVersion` keeps runs started from that registered version
 * (runs started from a spec have none). Page with `after`: the last record of the previous page.
 *
 * @throws {RangeError} when `limit` is not a whole number from 1 to {@link MAX_SEARCH_LIMIT}.
 */
export async function searchRuns(client: Queryable, search: RunSearch = {}): Promise<RunRecord[]> {
  const limit = search.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}, not ${limit}`);
  }
  const { rows } = await client.query<RunRecord>(SQL, [
    search.pipeline ?? null,
    textArrayParam(search.state),
    textArrayParam(search.tag),
    search.userName ?? null,
    textArrayParam(search.group),
    timeParam(search.createdFrom),
    timeParam(search.createdTo),
    search.after ? search.after.createdAt : null,
    search.after ? search.after.workflowId : null,
    limit,
    textArrayParam(search.pipelines),
    search.pipelineVersion ?? null,
    search.scheduleId ?? null,
  ]);
  return rows;
}
