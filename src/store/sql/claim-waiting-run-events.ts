/**
 * Takes the run events no worker has fanned out yet, locked for the caller's transaction.
 */
import type { Queryable } from '../pool';

// SKIP LOCKED: workers fanning out at once each take different events, and none waits.
const SQL = /* sql */ `
SELECT e.id::text AS id, e.workflow_id, e.event, e.pipeline, e.pipeline_version, e.reason, e.at,
       e.at < now() - $2::bigint * interval '1 millisecond' AS too_old, r.spec
FROM tapflow.run_events e
LEFT JOIN tapflow.runs r ON r.workflow_id = e.workflow_id
WHERE e.fanned_out_at IS NULL
ORDER BY e.id
LIMIT $1
FOR UPDATE OF e SKIP LOCKED`;

/** A run event waiting to be fanned out into deliveries. */
export interface WaitingRunEvent {
  /** The event's number (a bigint, as text). */
  id: string;
  workflowId: string;
  event: string;
  pipeline: string;
  pipelineVersion: number | null;
  reason: string | null;
  /** When the run's state changed. */
  at: Date;
  /** Whether it happened longer ago than the caller's `maxAgeMs`. */
  tooOld: boolean;
  /** The run's spec as stored (encoded when the store encodes values), or null. */
  spec: unknown;
}

interface Row {
  id: string;
  workflow_id: string;
  event: string;
  pipeline: string;
  pipeline_version: number | null;
  reason: string | null;
  at: Date;
  too_old: boolean;
  spec: unknown;
}

/**
 * Locks and returns up to `limit` events not fanned out yet, oldest first, skipping those another
 * transaction holds. Call it inside a transaction; the locks last until it ends.
 *
 * @param maxAgeMs events older than this are flagged `tooOld`.
 */
export async function claimWaitingRunEvents(client: Queryable, limit: number, maxAgeMs: number): Promise<WaitingRunEvent[]> {
  const { rows } = await client.query<Row>(SQL, [limit, maxAgeMs]);
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    event: r.event,
    pipeline: r.pipeline,
    pipelineVersion: r.pipeline_version,
    reason: r.reason,
    at: r.at,
    tooOld: r.too_old,
    spec: r.spec,
  }));
}
