/**
 * A run's notification deliveries, each with its attempts.
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT d.id, d.event, d.url, d.source, d.status, d.attempts, d.next_attempt_at, d.last_status_code,
       d.last_error, d.created_at, d.finished_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                   'attempt', a.attempt, 'startedAt', tapflow.iso_time(a.started_at), 'durationMs', a.duration_ms,
                   'statusCode', a.status_code, 'error', a.error, 'outcome', a.outcome,
                   'nextAttemptAt', tapflow.iso_time(a.next_attempt_at)) ORDER BY a.attempt)
                 FROM tapflow.notification_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb) AS attempt_log
FROM tapflow.notification_deliveries d
WHERE d.workflow_id = $1
ORDER BY d.created_at, d.event_id, d.id`;

/** One POST of a delivery. */
export interface NotificationAttemptRecord {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
  /** For `retry`: when the next attempt was due. */
  nextAttemptAt: string | null;
}

/** One delivery of a run event to one webhook. */
export interface NotificationRecord {
  /** The delivery id (the payload's `id`, the `Tapflow-Delivery` header). */
  id: string;
  event: string;
  /** The webhook's origin (scheme, host and port): its path and query may hold a token, so they are not shown. */
  target: string;
  /** Where the webhook was named: `deployment` (the workers' settings) or `spec` (the pipeline's `notify`). */
  source: 'deployment' | 'spec';
  /** `pending` (waiting for its time or a retry), `delivered`, `failed` (gave up), `skipped` (a queued run left the queue first). */
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  attemptLog: NotificationAttemptRecord[];
}

interface Row {
  id: string;
  event: string;
  url: string;
  source: 'deployment' | 'spec';
  status: NotificationRecord['status'];
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
  attempt_log: NotificationAttemptRecord[];
}

/** Every delivery of the run `workflowId`, oldest first, with its attempts in order. */
export async function listRunNotifications(client: Queryable, workflowId: string): Promise<NotificationRecord[]> {
  const { rows } = await client.query<Row>(SQL, [workflowId]);
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    target: originOf(r.url),
    source: r.source,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    attemptLog: r.attempt_log,
  }));
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}
