/**
 * Migration 11: each run records the Temporal Schedule that started it, so runs are found by
 * schedule (`tapflow runs search --schedule ID`) long after Temporal has dropped them.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'run-schedule';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.runs ADD COLUMN schedule_id text;

COMMENT ON COLUMN tapflow.runs.schedule_id IS
  'The Temporal Schedule that started the run (tapflow schedule create, or any schedule of pipelineWorkflow); null otherwise.';

CREATE INDEX runs_schedule_id_idx ON tapflow.runs (schedule_id, created_at DESC)
  WHERE schedule_id IS NOT NULL;
`;
