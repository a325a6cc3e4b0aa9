/**
 * Migration 10: the pipeline registry. A pushed spec is kept under its name as a numbered version
 * (1, 2, 3...); the same content pushed again is the version it already is (found by its digest),
 * so a deploy that pushes every spec on every release makes no new versions for unchanged ones.
 * Each run records the version it was started from, when it was started by name.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'pipeline-registry';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE TABLE tapflow.pipelines (
  name text NOT NULL CONSTRAINT pipelines_name_check CHECK (length(name) BETWEEN 1 AND 200),
  version integer NOT NULL CONSTRAINT pipelines_version_check CHECK (version >= 1),
  digest text NOT NULL,
  spec jsonb NOT NULL,
  description text,
  node_count integer NOT NULL CONSTRAINT pipelines_node_count_check CHECK (node_count >= 1),
  pushed_by text,
  pushed_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (name, version),
  CONSTRAINT pipelines_digest_unique UNIQUE (name, digest)
);

COMMENT ON TABLE tapflow.pipelines IS
  'Registered pipelines: each pushed spec under its name, as numbered versions (tapflow pipeline push).';
COMMENT ON COLUMN tapflow.pipelines.digest IS
  'SHA-256 of the spec as canonical JSON (keys sorted): the same content is the same version.';
COMMENT ON COLUMN tapflow.pipelines.spec IS
  'The spec, encoded by the store''s value codec when one is configured (as runs.spec is).';

ALTER TABLE tapflow.runs ADD COLUMN pipeline_version integer
  CONSTRAINT runs_pipeline_version_check CHECK (pipeline_version >= 1);

COMMENT ON COLUMN tapflow.runs.pipeline_version IS
  'The registered version the run was started from (tapflow start NAME[@VERSION]); null for a run started from a spec.';

CREATE INDEX runs_pipeline_version_idx ON tapflow.runs (pipeline, pipeline_version, created_at DESC)
  WHERE pipeline_version IS NOT NULL;
`;
