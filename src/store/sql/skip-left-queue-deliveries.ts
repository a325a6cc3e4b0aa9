/**
 * Skips the "queued too long" deliveries whose run left that queued spell before they were sent.
 */
import type { Queryable } from '../pool';

// A spell is one `queued` event: it ended when the run's state is no longer `queued`, or when a
// later `queued` event of the run began another (which has deliveries of its own).
const SQL = /* sql */ `
UPDATE tapflow.notification_deliveries d SET
  status = 'skipped',
  next_attempt_at = NULL,
  finished_at = now(),
  last_error = 'the run left the queue before it was queued that long'
FROM tapflow.run_events e
LEFT JOIN tapflow.runs r ON r.workflow_id = e.workflow_id
WHERE d.status = 'pending' AND d.event = 'queued' AND d.attempts = 0 AND e.id = d.event_id
  AND (r.state IS DISTINCT FROM 'queued'
       OR EXISTS (SELECT 1 FROM tapflow.run_events n
                  WHERE n.workflow_id = e.workflow_id AND n.id > e.id AND n.event = 'queued'))`;

/**
 * Marks `skipped` every unsent `queued` delivery whose run is no longer in the spell it was made for.
 *
 * @returns how many it skipped.
 */
export async function skipLeftQueueDeliveries(client: Queryable): Promise<number> {
  const result = await client.query(SQL);
  return result.rowCount ?? 0;
}
