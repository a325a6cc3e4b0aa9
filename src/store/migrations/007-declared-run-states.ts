/**
 * Migration 7: the run states `queued` (waiting for a concurrency slot) and `terminated` (ended
 * by Temporal rather than by the run) join the states a run row may hold.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'declared-run-states';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.runs DROP CONSTRAINT runs_state_check;
ALTER TABLE tapflow.runs ADD CONSTRAINT runs_state_check CHECK (state IN
  ('queued', 'running', 'pausing', 'paused', 'held', 'cancelling', 'cancelled', 'completed', 'failed', 'terminated'));
`;
