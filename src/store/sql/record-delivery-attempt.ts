/**
 * Records one POST of a delivery and what comes next: delivered, another try later, or given up.
 */
import type { Queryable } from '../pool';

// The attempt row is kept whatever happens; the delivery changes only while this attempt is its
// latest claim (a worker whose lease lapsed while it sent must not undo a newer attempt).
const SQL = /* sql */ `
WITH attempt AS (
  INSERT INTO tapflow.notification_attempts
    (delivery_id, attempt, started_at, duration_ms, status_code, error, outcome, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7,
          CASE WHEN $7 = 'retry' THEN now() + $8::bigint * interval '1 millisecond' END)
  ON CONFLICT (delivery_id, attempt) DO NOTHING
  RETURNING next_attempt_at
)
UPDATE tapflow.notification_deliveries SET
  status = CASE $7 WHEN 'retry' THEN 'pending' ELSE $7 END,
  next_attempt_at = (SELECT next_attempt_at FROM attempt),
  last_status_code = $5,
  last_error = $6,
  finished_at = CASE WHEN $7 = 'retry' THEN NULL ELSE now() END
WHERE id = $1 AND attempts = $2 AND status = 'pending' AND EXISTS (SELECT 1 FROM attempt)`;

/** How one attempt went. */
export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** The receiver's HTTP status, when it answered. */
  statusCode?: number;
  /** Why it did not count as delivered (a status, a network error, a timeout). */
  error?: string;
  /** `delivered`; `retry` (again after `retryInMs`); `failed` (no more attempts). */
  outcome: 'delivered' | 'retry' | 'failed';
  /** For `retry`: the wait before the next attempt, in ms. */
  retryInMs?: number;
}

/** Records the attempt, and the delivery's new status when this attempt is still its latest claim. */
export async function recordDeliveryAttempt(client: Queryable, a: DeliveryAttempt): Promise<void> {
  await client.query(SQL, [
    a.deliveryId,
    a.attempt,
    a.startedAt,
    Math.max(0, Math.round(a.durationMs)),
    a.statusCode ?? null,
    a.error ?? null,
    a.outcome,
    a.retryInMs ?? 0,
  ]);
}
