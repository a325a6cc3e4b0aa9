/**
 * Writes a batch of node attempt rows (starts and ends folded by `foldAttemptWrites`) in one
 * statement, with exactly the rules of `upsertAttemptStart` and `upsertAttemptEnd`; outputs too
 * large to keep inline go to `tapflow.attempt_outputs` in the same statement.
 */
import type { Queryable } from '../pool';
import { jsonParam, timeParam } from './params';
import type { AttemptRow } from './attempt-rows';

/** Outputs whose JSON is bigger than this many bytes (UTF-8) are kept in `tapflow.attempt_outputs`, not inline. */
export const MAX_INLINE_OUTPUT_BYTES = 64 * 1024;

/** The `node_attempts.output_ref` of an output kept in `tapflow.attempt_outputs` (read it with `getAttemptOutput`). */
export const ATTEMPT_OUTPUTS_REF = 'attempt_outputs';

// Whether a row's end applies to the stored row. The rule of upsertAttemptEnd: only the first
// end of an attempt is kept, so an end applies while the stored row is still 'running'; the
// exception is a row the end-of-run reconciliation added, which the worker's own end replaces.
// (excluded.outcome is 'running' for a row that carries no end.)
const END_APPLIES = /* sql */ `(excluded.outcome <> 'running' AND (a.outcome = 'running' OR a.source = 'reconciled'))`;

// The row's start part alone, for when its end does not apply: then only the starts are left
// to write, and a start only fills in a start time or worker the stored row lacks (the rule of
// upsertAttemptStart). Looked up in the input by key; the fold leaves one row per attempt.
const startPart = (column: 'start_started_at' | 'start_worker'): string => /* sql */ `(
    SELECT i.${column} FROM input i
    WHERE i.workflow_id = a.workflow_id AND i.node_id = a.node_id AND i.attempt = a.attempt)`;

// One row per attempt (the fold guarantees it: a statement may write a row only once).
// - A new attempt is inserted as the batch saw it: running when only its start came, ended
//   (with the start's time and worker) when its end came too.
// - An attempt already stored gets the end's fields when the end applies (END_APPLIES), and in
//   any case keeps the start time and worker it has: the batch only fills in missing ones. With
//   the end applying, they come from its starts, then from the end itself (started_at and
//   worker below); without, from its starts only.
// - A write that changes nothing is skipped by the node_attempts_skip_unchanged trigger (no new
//   row version, no NOTIFY), so it is not returned either.
// - An output too large for the row (large_output) goes to attempt_outputs, only when its end
//   was written: that row's output_ref then says 'attempt_outputs'. ON CONFLICT DO NOTHING: the
//   side row belongs to the attempt's first end, which is the only end ever written (the
//   reconciliation adds no outputs), so a replay of the batch changes nothing.
const SQL = /* sql */ `
WITH input AS (
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
    $8::timestamptz[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::jsonb[],
    $14::text[], $15::jsonb[], $16::int[])
  AS i(workflow_id, node_id, attempt, activity, outcome, started_at, worker,
       start_started_at, start_worker, finished_at, error_type, error_message, output,
       output_ref, large_output, large_bytes)
), written AS (
  INSERT INTO tapflow.node_attempts AS a (
    workflow_id, node_id, attempt, activity, outcome, started_at, finished_at, error_type, error_message,
    output, output_ref, worker)
  SELECT workflow_id, node_id, attempt, activity, outcome, started_at, finished_at, error_type, error_message,
    output, output_ref, worker
  FROM input
  ON CONFLICT (workflow_id, node_id, attempt) DO UPDATE SET
    outcome       = CASE WHEN ${END_APPLIES} THEN excluded.outcome       ELSE a.outcome END,
    finished_at   = CASE WHEN ${END_APPLIES} THEN excluded.finished_at   ELSE a.finished_at END,
    error_type    = CASE WHEN ${END_APPLIES} THEN excluded.error_type    ELSE a.error_type END,
    error_message = CASE WHEN ${END_APPLIES} THEN excluded.error_message ELSE a.error_message END,
    output        = CASE WHEN ${END_APPLIES} THEN excluded.output        ELSE a.output END,
    output_ref    = CASE WHEN ${END_APPLIES} THEN excluded.output_ref    ELSE a.output_ref END,
    source        = CASE WHEN ${END_APPLIES} THEN 'worker'               ELSE a.source END,
    started_at    = coalesce(a.started_at,
                      CASE WHEN ${END_APPLIES} OR excluded.outcome = 'running' THEN excluded.started_at
                           ELSE ${startPart('start_started_at')} END),
    worker        = coalesce(a.worker,
                      CASE WHEN ${END_APPLIES} OR excluded.outcome = 'running' THEN excluded.worker
                           ELSE ${startPart('start_worker')} END)
  RETURNING a.workflow_id, a.node_id, a.attempt, a.output_ref, (a.xmax = 0) AS inserted
), large AS (
  INSERT INTO tapflow.attempt_outputs (workflow_id, node_id, attempt, output, bytes)
  SELECT i.workflow_id, i.node_id, i.attempt, i.large_output, i.large_bytes
  FROM written w JOIN input i USING (workflow_id, node_id, attempt)
  WHERE i.large_output IS NOT NULL AND w.output_ref = '${ATTEMPT_OUTPUTS_REF}'
  ON CONFLICT (workflow_id, node_id, attempt) DO NOTHING
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM written`;

/** What {@link upsertAttemptRows} did, counted in rows (a row is one attempt's folded writes). */
export interface AttemptRowsOutcome {
  /** Attempts recorded for the first time. */
  inserted: number;
  /** Stored attempts that changed (an end applied, or a start time or worker filled in). */
  updated: number;
  /** Rows that found the attempt already as written (duplicates, late ends). */
  unchanged: number;
}

/** Options of {@link upsertAttemptRows}. */
export interface AttemptRowsOptions {
  /** Outputs whose JSON is bigger go to `tapflow.attempt_outputs`. Default: {@link MAX_INLINE_OUTPUT_BYTES}. */
  maxInlineOutputBytes?: number;
}

/**
 * Writes one round of {@link AttemptRow}s (at most one per attempt) in one statement, so one
 * round trip and one implicit transaction however many rows. The result is exactly that of
 * writing each row's starts, then its end, alone and in order, with `upsertAttemptStart` and
 * `upsertAttemptEnd`: idempotent (a duplicate changes nothing), an end arriving before its start
 * is kept, only an attempt's first end is kept except that the worker's end replaces a row the
 * reconciliation added (`source = 'reconciled'`), and a written end sets `source = 'worker'`.
 *
 * An end's output is serialised here, off the activity's path: an output whose JSON is over
 * `maxInlineOutputBytes` is kept in `tapflow.attempt_outputs` in the same statement, the row
 * saying `output_ref = 'attempt_outputs'` with `output` NULL (read it with `getAttemptOutput`).
 * An output JSON cannot hold (a `BigInt`, a cycle) is not kept, and `output_ref` says why.
 */
export async function upsertAttemptRows(
  client: Queryable,
  rows: readonly AttemptRow[],
  options: AttemptRowsOptions = {},
): Promise<AttemptRowsOutcome> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const maxInline = options.maxInlineOutputBytes ?? MAX_INLINE_OUTPUT_BYTES;
  const columns: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const row of rows) {
    const { start, end } = row;
    const output = end ? outputParams(end.output, end.outputRef, maxInline) : NO_OUTPUT;
    const values = [
      row.workflowId,
      row.nodeId,
      row.attempt,
      row.activity,
      end?.outcome ?? 'running',
      // Starts first, then the end: the first start's time wins over the one an end carries.
      timeParam(start ? start.startedAt : end?.startedAt),
      start?.worker ?? end?.worker ?? null,
      timeParam(start?.startedAt),
      start?.worker ?? null,
      end ? timeParam(end.finishedAt ?? 'now') : null, // 'now': PostgreSQL's now(), as upsertAttemptEnd defaults it
      end?.errorType ?? null,
      end?.errorMessage ?? null,
      output.inline,
      output.ref,
      output.large,
      output.bytes,
    ];
    values.forEach((v, c) => columns[c]?.push(v));
  }
  const { rows: result } = await client.query<{ inserted: number; updated: number }>(SQL, columns);
  const { inserted = 0, updated = 0 } = result[0] ?? {};
  return { inserted, updated, unchanged: rows.length - inserted - updated };
}

interface OutputParams {
  inline: string | null;
  ref: string | null;
  large: string | null;
  bytes: number | null;
}

const NO_OUTPUT: OutputParams = { inline: null, ref: null, large: null, bytes: null };

function outputParams(output: unknown, outputRef: string | undefined, maxInline: number): OutputParams {
  let json: string | null;
  try {
    json = jsonParam(output);
  } catch (err) {
    return { ...NO_OUTPUT, ref: `not kept: the output is not JSON (${(err as Error).message})` };
  }
  if (json === null) return { ...NO_OUTPUT, ref: outputRef ?? null };
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxInline) return { ...NO_OUTPUT, inline: json, ref: outputRef ?? null };
  return { inline: null, ref: ATTEMPT_OUTPUTS_REF, large: json, bytes };
}
