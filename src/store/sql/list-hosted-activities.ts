/**
 * The activities live workers host on some task queues: a worker counts while it has said so
 * within `freshSeconds`.
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT task_queue, array_agg(DISTINCT activity ORDER BY activity) AS activities
FROM tapflow.hosted_activities
WHERE task_queue = ANY($1::text[]) AND last_seen > now() - make_interval(secs => $2)
GROUP BY task_queue`;

/** By task queue, the activities hosted there; a queue no live worker has published for is absent. */
export async function listHostedActivities(client: Queryable, taskQueues: readonly string[], freshSeconds: number): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ task_queue: string; activities: string[] }>(SQL, [[...taskQueues], freshSeconds]);
  return new Map(rows.map((r) => [r.task_queue, r.activities]));
}
