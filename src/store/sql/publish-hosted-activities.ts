/**
 * Records that `worker` hosts `activities` on `taskQueue`, now (their `last_seen` moves on).
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
INSERT INTO tapflow.hosted_activities (task_queue, activity, worker, last_seen)
SELECT $1, a, $3, now() FROM unnest($2::text[]) AS a
ON CONFLICT (task_queue, activity, worker) DO UPDATE SET last_seen = excluded.last_seen`;

/** Writes one row per activity (one statement); a repeat only moves `last_seen`. */
export async function publishHostedActivities(client: Queryable, taskQueue: string, activities: readonly string[], worker: string): Promise<void> {
  await client.query(SQL, [taskQueue, [...activities], worker]);
}
