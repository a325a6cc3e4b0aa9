/**
 * Migration 9: a run's skipped nodes (they count as done in its percentage) and the Temporal
 * execution that last wrote its row. A reset (`temporal workflow reset`) ends one execution and
 * goes on in a new one whose writes number again from a lower `seq`: the execution's run id and
 * start time tell the store which writer is the newest, and tell the reconciler which execution
 * the row follows.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'execution-and-skipped';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.runs
  ADD COLUMN progress_skipped integer NOT NULL DEFAULT 0 CONSTRAINT runs_progress_skipped_check CHECK (progress_skipped >= 0),
  ADD COLUMN execution_run_id text,
  ADD COLUMN execution_started_at timestamptz;

COMMENT ON COLUMN tapflow.runs.progress_skipped IS
  'Nodes skipped; they count as done in the run''s percentage, not in progress_completed.';
COMMENT ON COLUMN tapflow.runs.execution_run_id IS
  'The Temporal run id of the execution that last wrote the row (a reset or continue-as-new makes a new one); null when the writer did not say.';
COMMENT ON COLUMN tapflow.runs.execution_started_at IS
  'When that execution started: a write from an execution that started later replaces the row, even a final one.';

-- Run events also carry the skipped count, so a stream shows the percentage without a read.
CREATE OR REPLACE FUNCTION tapflow.notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'runs', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'pipeline', NEW.pipeline,
    'state', NEW.state, 'completed', NEW.progress_completed, 'skipped', NEW.progress_skipped,
    'total', NEW.progress_total, 'seq', NEW.change_seq));
  RETURN NULL;
END
$$;
`;
