/**
 * Records how a node attempt ended.
 */
import type { Queryable } from '../pool';
import type { AttemptEnd, WriteOutcome } from '../types';
import { jsonParam, timeParam } from './params';

// Only the first end of an attempt is kept: once the outcome is no longer 'running', a later end
// (a duplicate delivery, or a late report after a timeout) changes nothing. The exception is a
// row the end-of-run reconciliation added: the worker's own record, arriving late, replaces it.
// upsert-attempt-rows.ts writes batches with the same rules (the attempt recorder's path); keep
// the two in step (test/store/attempt-rows.test.ts checks that a batch writes what this does).
const SQL = /* sql */ `
INSERT INTO tapflow.node_attempts AS a (
  workflow_id, node_id, attempt, activity, outcome, started_at, finished_at, error_type, error_message,
  output, output_ref, worker)
VALUES ($1, $2, $3, $4, $5, $6::timestamptz, coalesce($7::timestamptz, now()), $8, $9, $10::jsonb, $11, $12)
ON CONFLICT (workflow_id, node_id, attempt) DO UPDATE SET
  outcome = excluded.outcome,
  started_at = coalesce(a.started_at, excluded.started_at),
  finished_at = excluded.finished_at,
  error_type = excluded.error_type,
  error_message = excluded.error_message,
  output = excluded.output,
  output_ref = excluded.output_ref,
  worker = coalesce(a.worker, excluded.worker),
  source = 'worker'
WHERE a.outcome = 'running' OR a.source = 'reconciled'
RETURNING (xmax = 0) AS inserted`;

/**
 * Records the end of a node attempt: its outcome, error, and output (inline as JSON, or as a
 * reference when the writer keeps large outputs elsewhere). Idempotent: the first end of an
 * attempt is kept and any later one changes nothing. An end that arrives before its start is
 * recorded; the start then only fills in its time. An end arriving after the reconciliation
 * filled in the attempt (`source = 'reconciled'`) replaces that row.
 *
 * @returns whether the row was inserted, updated (from `running`), or left as it was.
 */
export async function upsertAttemptEnd(client: Queryable, end: AttemptEnd): Promise<WriteOutcome> {
  const { rows } = await client.query<{ inserted: boolean }>(SQL, [
    end.workflowId,
    end.nodeId,
    end.attempt,
    end.activity,
    end.outcome,
    timeParam(end.startedAt),
    timeParam(end.finishedAt),
    end.errorType ?? null,
    end.errorMessage ?? null,
    jsonParam(end.output),
    end.outputRef ?? null,
    end.worker ?? null,
  ]);
  const row = rows[0];
  if (!row) return 'unchanged';
  return row.inserted ? 'inserted' : 'updated';
}
