/**
 * Migration 3: the idempotency key a run was started with (`tapflow start --idempotency-key`),
 * unique per pipeline, so a start whose key the store already holds returns that run instead of
 * starting another, even after Temporal has forgotten the first one.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'idempotency-key';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
ALTER TABLE tapflow.runs ADD COLUMN idempotency_key text;

COMMENT ON COLUMN tapflow.runs.idempotency_key IS
  'The key the run was started with (tapflow start --idempotency-key), 1-200 characters; NULL when none. Unique within a pipeline.';

-- One run per key and pipeline; runs without a key are not indexed. Also the lookup a start with
-- a key makes before it asks Temporal.
CREATE UNIQUE INDEX runs_idempotency_key_idx ON tapflow.runs (pipeline, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
`;
