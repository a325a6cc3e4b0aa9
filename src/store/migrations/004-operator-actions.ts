/**
 * Migration 4: what operator actions need kept. An action's particulars (a retry's new input, a
 * skip's output, an event's data, a rerun's node lists) in `control_actions.details`; outputs of
 * nodes that no attempt row holds (sleeps, events, skipped nodes) in `runs.outputs`, so an ended
 * run can be rerun reusing them; and which run a rerun reruns, in `runs.rerun_of`.
 */

/** Short name recorded with the migration. */
export const name = 'operator-actions';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.control_actions ADD COLUMN details jsonb;
COMMENT ON COLUMN tapflow.control_actions.details IS
  'The action''s particulars: a retry''s input, a skip''s output, an event''s data, a rerun''s node lists.';

ALTER TABLE tapflow.runs ADD COLUMN outputs jsonb;
COMMENT ON COLUMN tapflow.runs.outputs IS
  'Outputs of nodes no attempt row holds (sleep, event, skipped), by node id; merged on each write.';

ALTER TABLE tapflow.runs ADD COLUMN rerun_of text;
COMMENT ON COLUMN tapflow.runs.rerun_of IS 'The run this run reruns (tapflow rerun of an ended run).';
CREATE INDEX runs_rerun_of_idx ON tapflow.runs (rerun_of) WHERE rerun_of IS NOT NULL;
`;
