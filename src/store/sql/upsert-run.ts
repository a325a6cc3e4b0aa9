/**
 * Records a run, or what changed about it.
 */
import { FINAL_RUN_STATES } from '../../core/states';
import type { Queryable } from '../pool';
import type { RunWrite, WriteOutcome } from '../types';
import { jsonParam, textArrayParam, timeParam } from './params';

/*
 * Which write wins, per field, when the run's row exists (r: stored, excluded: this write):
 * - newer: this write is for a later attempt of the whole run, or (same attempt) from another
 *   Temporal execution (execution_run_id) that started later than the stored one (a reset goes on
 *   in a new execution whose seq restarts lower, and may follow a final state). It replaces the
 *   run's state, reason, result, nodes, progress, seq, finished_at and execution; a later attempt
 *   also its products, plots and started_at. A write from another execution that started earlier
 *   than the stored one is stale.
 * - current: newer, or the same attempt with a seq at least the stored one, from the same
 *   execution (the same run id, whatever start time it gives), from one that started at the same
 *   time, or with either side not saying; and the stored state is not final unless this write
 *   carries the same final state. Only a current write changes the mutable fields; a stale one
 *   changes nothing. Within one execution, execution_started_at keeps its first value.
 * - outputs (of nodes no attempt row holds) are merged in, by node id, from current writes.
 * - first_run_id, spec, params, pipeline, pipeline_version, schedule_id, idempotency_key, rerun_of and
 *   created_at
 *   keep their first value;
 *   started_at and finished_at keep their first value within an attempt, so no time moves backwards.
 */
// A final state is never left: the one list of them, as SQL literals (fixed words, no input).
const FINAL_STATES_SQL = [...FINAL_RUN_STATES].map((state) => `'${state}'`).join(', ');

const SQL = /* sql */ `
INSERT INTO tapflow.runs AS r (
  workflow_id, first_run_id, pipeline, spec, params, result, products, plots, tags, groups,
  user_name, site, event, priority, timeout_ms, retries, attempt, seq, state, reason,
  progress_completed, progress_total, created_at, started_at, finished_at, nodes, idempotency_key,
  outputs, rerun_of, progress_skipped, execution_run_id, execution_started_at, pipeline_version, schedule_id)
VALUES (
  $1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb,
  coalesce($7::text[], '{}'), coalesce($8::text[], '{}'), coalesce($9::text[], '{}'), coalesce($10::text[], '{}'),
  $11, $12, $13::jsonb, $14::integer, $15::bigint, $16::integer,
  coalesce($17::integer, 1), coalesce($18::bigint, 0), $19, $20,
  coalesce($21::integer, 0), coalesce($22::integer, 0), date_trunc('milliseconds', coalesce($23::timestamptz, now())),
  $24::timestamptz, $25::timestamptz, $26::jsonb, $27::text, $28::jsonb, $29::text,
  coalesce($30::integer, 0), $31::text, $32::timestamptz, $33::integer, $34::text)
ON CONFLICT (workflow_id) DO UPDATE SET
  (first_run_id, spec, params, tags, groups, user_name, site, event, priority, timeout_ms, retries,
   attempt, seq, state, reason, result, products, plots, progress_completed, progress_total,
   started_at, finished_at, nodes, idempotency_key, outputs, rerun_of, progress_skipped,
   execution_run_id, execution_started_at, pipeline_version, schedule_id) =
  (SELECT
     coalesce(r.first_run_id, excluded.first_run_id),
     coalesce(r.spec, excluded.spec),
     coalesce(r.params, excluded.params),
     CASE WHEN w.current AND $9::text[] IS NOT NULL THEN excluded.tags ELSE r.tags END,
     CASE WHEN w.current AND $10::text[] IS NOT NULL THEN excluded.groups ELSE r.groups END,
     CASE WHEN w.current THEN coalesce(excluded.user_name, r.user_name) ELSE r.user_name END,
     CASE WHEN w.current THEN coalesce(excluded.site, r.site) ELSE r.site END,
     CASE WHEN w.current THEN coalesce(excluded.event, r.event) ELSE r.event END,
     CASE WHEN w.current THEN coalesce(excluded.priority, r.priority) ELSE r.priority END,
     CASE WHEN w.current THEN coalesce(excluded.timeout_ms, r.timeout_ms) ELSE r.timeout_ms END,
     CASE WHEN w.current THEN coalesce(excluded.retries, r.retries) ELSE r.retries END,
     CASE WHEN w.newer THEN excluded.attempt ELSE r.attempt END,
     CASE WHEN w.newer THEN excluded.seq WHEN w.current THEN coalesce($18::bigint, r.seq) ELSE r.seq END,
     CASE WHEN w.current THEN excluded.state ELSE r.state END,
     CASE WHEN w.newer OR (w.current AND excluded.state <> r.state) THEN excluded.reason
          WHEN w.current THEN coalesce(excluded.reason, r.reason) ELSE r.reason END,
     CASE WHEN w.newer THEN excluded.result
          WHEN w.current THEN coalesce(excluded.result, r.result) ELSE r.result END,
     CASE WHEN w.newer_attempt OR (w.current AND $7::text[] IS NOT NULL) THEN excluded.products ELSE r.products END,
     CASE WHEN w.newer_attempt OR (w.current AND $8::text[] IS NOT NULL) THEN excluded.plots ELSE r.plots END,
     CASE WHEN w.newer OR (w.current AND $21::integer IS NOT NULL) THEN excluded.progress_completed
          ELSE r.progress_completed END,
     CASE WHEN w.newer OR (w.current AND $22::integer IS NOT NULL) THEN excluded.progress_total
          ELSE r.progress_total END,
     CASE WHEN w.newer_attempt THEN excluded.started_at
          WHEN w.current THEN coalesce(r.started_at, excluded.started_at) ELSE r.started_at END,
     CASE WHEN w.newer THEN excluded.finished_at
          WHEN w.current THEN coalesce(r.finished_at, excluded.finished_at) ELSE r.finished_at END,
     CASE WHEN w.newer THEN excluded.nodes
          WHEN w.current THEN coalesce(excluded.nodes, r.nodes) ELSE r.nodes END,
     coalesce(r.idempotency_key, excluded.idempotency_key),
     CASE WHEN w.current AND $28::jsonb IS NOT NULL THEN coalesce(r.outputs, '{}'::jsonb) || $28::jsonb
          ELSE r.outputs END,
     coalesce(r.rerun_of, excluded.rerun_of),
     CASE WHEN w.newer OR (w.current AND $30::integer IS NOT NULL) THEN excluded.progress_skipped
          ELSE r.progress_skipped END,
     CASE WHEN w.current THEN coalesce(excluded.execution_run_id, r.execution_run_id) ELSE r.execution_run_id END,
     CASE WHEN w.newer THEN coalesce(excluded.execution_started_at, r.execution_started_at)
          WHEN w.current THEN coalesce(r.execution_started_at, excluded.execution_started_at)
          ELSE r.execution_started_at END,
     coalesce(r.pipeline_version, excluded.pipeline_version),
     coalesce(r.schedule_id, excluded.schedule_id)
   FROM (SELECT s.newer_attempt, s.newer_attempt OR s.newer_execution AS newer,
                s.newer_attempt OR s.newer_execution OR s.same AS current
         FROM (SELECT
                 coalesce($17::integer, r.attempt) > r.attempt AS newer_attempt,
                 coalesce($17::integer, r.attempt) = r.attempt
                   AND $31::text IS DISTINCT FROM r.execution_run_id
                   AND coalesce($32::timestamptz > r.execution_started_at, false) AS newer_execution,
                 coalesce($17::integer, r.attempt) = r.attempt
                   AND ($31::text = r.execution_run_id OR coalesce($32::timestamptz >= r.execution_started_at, true))
                   AND coalesce($18::bigint, r.seq) >= r.seq
                   AND (r.state NOT IN (${FINAL_STATES_SQL}) OR excluded.state = r.state) AS same
              ) s
        ) w)
RETURNING (xmax = 0) AS inserted`;

/** The unique index of (pipeline, idempotency key); see migration 003. */
const IDEMPOTENCY_KEY_INDEX = 'runs_idempotency_key_idx';

/**
 * Records a run: inserts its row on the first write, and merges later writes into it.
 *
 * Idempotent and safe in any order of delivery: a duplicate write changes nothing (not even
 * `updatedAt`, and no NOTIFY is sent); a final state (`completed`, `failed`, `cancelled`) is
 * never moved back to a non-final one within a run attempt and execution; a write with a lower
 * `seq`, for an earlier `attempt`, or from an execution that started earlier than the stored one
 * (`executionStartedAt`) changes nothing; a write from an execution that started later (a reset
 * goes on in a new one) replaces the run's state, progress, nodes and `seq`, even a final state; `startedAt` and `finishedAt` keep their
 * first value within an attempt; `createdAt`, `firstRunId`, `spec`, `params` and `pipeline` keep
 * their first value. A field left `undefined` keeps the stored value.
 *
 * `idempotencyKey` keeps its first value too. A key another run of the same pipeline already
 * holds is not recorded for this one: the write is made again without it, so the run's record is
 * never lost to a key clash (two runs given the same key under different ids). Inside a
 * transaction the clash aborts the transaction, so there it is thrown instead.
 *
 * @returns whether the row was inserted, updated, or left as it was.
 * @throws the database's error when a value breaks a constraint (an unknown state, a negative
 *   count, a workflow id over 1000 bytes) or the store cannot be reached.
 */
export async function upsertRun(client: Queryable, run: RunWrite): Promise<WriteOutcome> {
  let rows: Array<{ inserted: boolean }>;
  try {
    rows = await writeRun(client, run);
  } catch (err) {
    const clash = run.idempotencyKey !== undefined && (err as { constraint?: unknown }).constraint === IDEMPOTENCY_KEY_INDEX;
    if (!clash) throw err;
    rows = await writeRun(client, { ...run, idempotencyKey: undefined });
  }
  const row = rows[0];
  if (!row) return 'unchanged';
  return row.inserted ? 'inserted' : 'updated';
}

async function writeRun(client: Queryable, run: RunWrite): Promise<Array<{ inserted: boolean }>> {
  const { rows } = await client.query<{ inserted: boolean }>(SQL, [
    run.workflowId,
    run.firstRunId ?? null,
    run.pipeline,
    jsonParam(run.spec),
    jsonParam(run.params),
    jsonParam(run.result),
    textArrayParam(run.products),
    textArrayParam(run.plots),
    textArrayParam(run.tags),
    textArrayParam(run.groups),
    run.userName ?? null,
    run.site ?? null,
    jsonParam(run.event),
    run.priority ?? null,
    run.timeoutMs ?? null,
    run.retries ?? null,
    run.attempt ?? null,
    run.seq ?? null,
    run.state,
    run.reason ?? null,
    run.progressCompleted ?? null,
    run.progressTotal ?? null,
    timeParam(run.createdAt),
    timeParam(run.startedAt),
    timeParam(run.finishedAt),
    jsonParam(run.nodes),
    run.idempotencyKey ?? null,
    jsonParam(run.outputs),
    run.rerunOf ?? null,
    run.progressSkipped ?? null,
    run.executionRunId ?? null,
    timeParam(run.executionStartedAt),
    run.pipelineVersion ?? null,
    run.scheduleId ?? null,
  ]);
  return rows;
}
