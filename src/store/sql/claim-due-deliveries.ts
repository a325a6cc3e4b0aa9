/**
 * Takes the deliveries that are due, for one worker to send.
 */
import type { Queryable } from '../pool';

// The claim is a lease, not a lock held through the POST: the attempt is counted and the row's
// next_attempt_at moved past the send's timeout, so no other worker takes it meanwhile and no
// connection waits on a slow receiver. If this worker dies mid-send, the lease lapses and another
// worker sends it again (receivers dedupe by the delivery id).
const SQL = /* sql */ `
UPDATE tapflow.notification_deliveries d SET
  attempts = d.attempts + 1,
  next_attempt_at = now() + $2::bigint * interval '1 millisecond'
FROM (SELECT id FROM tapflow.notification_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at, id
      LIMIT $1
      FOR UPDATE SKIP LOCKED) due
WHERE d.id = due.id
RETURNING d.id, d.workflow_id, d.event, d.url, d.secret_name, d.body, d.attempts`;

/** A delivery claimed for sending. */
export interface ClaimedDelivery {
  id: string;
  workflowId: string;
  event: string;
  url: string;
  secretName: string | null;
  body: string;
  /** This attempt's number, from 1. */
  attempt: number;
}

interface Row {
  id: string;
  workflow_id: string;
  event: string;
  url: string;
  secret_name: string | null;
  body: string;
  attempts: number;
}

/**
 * Claims up to `limit` due deliveries (oldest due first), counting the attempt, for `leaseMs`.
 */
export async function claimDueDeliveries(client: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await client.query<Row>(SQL, [limit, leaseMs]);
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    event: r.event,
    url: r.url,
    secretName: r.secret_name,
    body: r.body,
    attempt: r.attempts,
  }));
}
