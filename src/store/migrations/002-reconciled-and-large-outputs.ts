/**
 * Migration 2: each run's node statuses as the workflow last reported them, where each attempt row
 * came from (the worker that ran it, or the end-of-run reconciliation), and a side table for
 * node outputs too large to keep in the attempt row.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'reconciled-and-large-outputs';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.runs ADD COLUMN nodes jsonb;

COMMENT ON COLUMN tapflow.runs.nodes IS
  'Every node''s status (id, state, attempts, error) as the workflow last reported it: what tapflow status shows once Temporal no longer has the run.';

ALTER TABLE tapflow.node_attempts
  ADD COLUMN source text NOT NULL DEFAULT 'worker'
  CONSTRAINT node_attempts_source_check CHECK (source IN ('worker', 'reconciled'));

COMMENT ON COLUMN tapflow.node_attempts.source IS
  'worker: written by the worker that ran the attempt; reconciled: added at the end of the run from the workflow''s own counts because the worker''s write never arrived (the worker died first). A later write from the worker replaces a reconciled row.';

-- Outputs over the inline limit live here; the attempt row's output_ref names the row
-- ('attempt_outputs'), so listing attempts stays cheap and the output is still on record.
CREATE TABLE tapflow.attempt_outputs (
  workflow_id text NOT NULL,
  node_id     text NOT NULL,
  attempt     integer NOT NULL,
  output      jsonb NOT NULL,
  bytes       integer NOT NULL CHECK (bytes >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, node_id, attempt)
);

COMMENT ON TABLE tapflow.attempt_outputs IS 'Node outputs too large to keep inline in node_attempts (output_ref = ''attempt_outputs'').';
`;
