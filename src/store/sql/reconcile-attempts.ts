/**
 * Makes a finished run's attempt rows agree with the workflow's own counts.
 */
import type { NodeStatus } from '../../core/states';
import type { Queryable } from '../pool';

/*
 * For each node that made n > 0 attempts and ended completed, failed or cancelled:
 * - attempts 1..n-1 failed (a later attempt followed); attempt n ended as the node did;
 * - a missing row is added, marked source = 'reconciled';
 * - a row still 'running' (its worker recorded the start and was lost before the end) is closed:
 *   an earlier attempt as timed_out (Temporal timed it out and tried again), the last as the
 *   node ended; also marked reconciled.
 * Rows the worker finished are never touched, and a worker's end that arrives later replaces a
 * reconciled row (see upsert-attempt-end.ts). Both statements see the same snapshot, so a row is
 * either closed or added, never both.
 */
const SQL = /* sql */ `
WITH nodes AS (
  SELECT n.id, n.activity, n.state, n.attempts, n.error, n."errorType" AS error_type, n."finishedAt" AS finished_at
  FROM jsonb_to_recordset($2::jsonb) AS n(
    id text, activity text, state text, attempts integer, error text, "errorType" text, "finishedAt" timestamptz)
  WHERE n.attempts > 0 AND n.state IN ('completed', 'failed', 'cancelled')
), wanted AS (
  SELECT n.id AS node_id, n.activity, g.attempt, g.attempt = n.attempts AS last, n.state, n.error, n.error_type,
         n.finished_at
  FROM nodes n CROSS JOIN LATERAL generate_series(1, n.attempts) AS g(attempt)
), closed AS (
  UPDATE tapflow.node_attempts a SET
    outcome = CASE WHEN w.last THEN w.state ELSE 'timed_out' END,
    finished_at = CASE WHEN w.last THEN coalesce(w.finished_at, now()) ELSE now() END,
    error_type = CASE WHEN w.last AND w.state = 'failed' THEN w.error_type WHEN w.last THEN NULL ELSE 'Timeout' END,
    error_message = CASE WHEN w.last AND w.state = 'failed' THEN w.error WHEN w.last THEN NULL
                         ELSE 'no end was recorded (the worker was lost); a later attempt followed' END,
    source = 'reconciled'
  FROM wanted w
  WHERE a.workflow_id = $1 AND a.node_id = w.node_id AND a.attempt = w.attempt AND a.outcome = 'running'
  RETURNING 1
), added AS (
  INSERT INTO tapflow.node_attempts (
    workflow_id, node_id, attempt, activity, outcome, finished_at, error_type, error_message, source)
  SELECT $1, w.node_id, w.attempt, w.activity,
         CASE WHEN w.last THEN w.state ELSE 'failed' END,
         CASE WHEN w.last THEN w.finished_at END,
         CASE WHEN w.last AND w.state = 'failed' THEN w.error_type END,
         CASE WHEN w.last AND w.state = 'failed' THEN w.error
              WHEN NOT w.last THEN 'not recorded by the worker; a later attempt followed' END,
         'reconciled'
  FROM wanted w
  ON CONFLICT (workflow_id, node_id, attempt) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS closed, (SELECT count(*) FROM added)::integer AS added`;

/** What {@link reconcileAttempts} changed. */
export interface ReconcileOutcome {
  /** Rows added for attempts the store had no record of. */
  added: number;
  /** Rows left `running` by a lost worker, now closed. */
  closed: number;
}

/**
 * Brings the attempt rows of a finished run in line with the workflow's node statuses (see the
 * comment above the statement): afterwards every node has exactly one row per attempt it made,
 * none `running`, the last one ending as the node did. Idempotent: a second call changes nothing.
 *
 * @param nodes every node's final status, as the workflow's status query reports it.
 */
export async function reconcileAttempts(
  client: Queryable,
  workflowId: string,
  nodes: readonly NodeStatus[],
): Promise<ReconcileOutcome> {
  const slim = nodes
    .filter((n) => n.attempts > 0)
    .map((n) => ({
      id: n.id,
      activity: n.activity,
      state: n.state,
      attempts: n.attempts,
      error: n.error ?? null,
      errorType: n.errorType ?? null,
      finishedAt: n.finishedAt ?? null,
    }));
  if (slim.length === 0) return { added: 0, closed: 0 };
  const { rows } = await client.query<ReconcileOutcome>(SQL, [workflowId, JSON.stringify(slim)]);
  return rows[0] ?? { added: 0, closed: 0 };
}
