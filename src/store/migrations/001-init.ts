/**
 * Migration 1: runs, node attempts and control actions, their search indexes, and the triggers
 * that skip writes changing nothing and announce every change with NOTIFY.
 *
 * Kept as a TypeScript string so `tsc` carries it into dist/ with the code. Never edit a
 * migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'init';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE TABLE tapflow.runs (
  workflow_id        text PRIMARY KEY CHECK (octet_length(workflow_id) BETWEEN 1 AND 1000),
  first_run_id       text,
  pipeline           text NOT NULL,
  spec               jsonb,
  params             jsonb,
  result             jsonb,
  products           text[] NOT NULL DEFAULT '{}',
  plots              text[] NOT NULL DEFAULT '{}',
  tags               text[] NOT NULL DEFAULT '{}',
  groups             text[] NOT NULL DEFAULT '{}',
  user_name          text,
  site               text,
  event              jsonb,
  priority           integer,
  timeout_ms         bigint CHECK (timeout_ms >= 0),
  retries            integer CHECK (retries >= 0),
  attempt            integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  seq                bigint NOT NULL DEFAULT 0,
  state              text NOT NULL CONSTRAINT runs_state_check CHECK (state IN
                       ('running', 'pausing', 'paused', 'held', 'cancelling', 'cancelled', 'completed', 'failed')),
  reason             text,
  progress_completed integer NOT NULL DEFAULT 0 CHECK (progress_completed >= 0),
  progress_total     integer NOT NULL DEFAULT 0 CHECK (progress_total >= 0),
  -- Milliseconds, as JavaScript keeps them, so a record read back pages searches exactly.
  created_at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  started_at         timestamptz,
  finished_at        timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE tapflow.runs IS 'One row per run (Temporal workflow id); kept after Temporal forgets the run.';
COMMENT ON COLUMN tapflow.runs.attempt IS 'Which try of the whole run; a write for a higher attempt replaces the previous attempt''s state.';
COMMENT ON COLUMN tapflow.runs.seq IS 'Order of writes within a run attempt; a lower seq than stored is stale and ignored.';
COMMENT ON COLUMN tapflow.runs.groups IS 'Working groups the run belongs to.';

-- Search: newest first, by each filter tapflow runs search offers.
CREATE INDEX runs_created_idx  ON tapflow.runs (created_at DESC, workflow_id DESC);
CREATE INDEX runs_pipeline_idx ON tapflow.runs (pipeline, created_at DESC, workflow_id DESC);
CREATE INDEX runs_state_idx    ON tapflow.runs (state, created_at DESC, workflow_id DESC);
CREATE INDEX runs_user_idx     ON tapflow.runs (user_name, created_at DESC, workflow_id DESC);
CREATE INDEX runs_tags_idx     ON tapflow.runs USING gin (tags);
CREATE INDEX runs_groups_idx   ON tapflow.runs USING gin (groups);

-- No foreign key to runs: attempts and runs are written by different activities, in any order,
-- and an attempt must be recorded even when its run's row has not arrived yet.
CREATE TABLE tapflow.node_attempts (
  workflow_id   text NOT NULL CHECK (octet_length(workflow_id) BETWEEN 1 AND 1000),
  node_id       text NOT NULL CHECK (octet_length(node_id) BETWEEN 1 AND 1000),
  attempt       integer NOT NULL CHECK (attempt >= 1),
  activity      text NOT NULL,
  outcome       text NOT NULL DEFAULT 'running' CONSTRAINT node_attempts_outcome_check CHECK (outcome IN
                  ('running', 'completed', 'failed', 'cancelled', 'timed_out')),
  started_at    timestamptz,
  finished_at   timestamptz,
  error_type    text,
  error_message text,
  output        jsonb,
  output_ref    text,
  worker        text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, node_id, attempt)
);

COMMENT ON TABLE tapflow.node_attempts IS 'One row per attempt of a node (Temporal activity attempt).';
COMMENT ON COLUMN tapflow.node_attempts.output_ref IS 'Where an output too large to keep inline is kept.';

CREATE TABLE tapflow.control_actions (
  id            bigserial PRIMARY KEY,
  workflow_id   text NOT NULL CHECK (octet_length(workflow_id) BETWEEN 1 AND 1000),
  request_id    text NOT NULL CHECK (octet_length(request_id) BETWEEN 1 AND 1000),
  action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]{0,63}$'),
  node_id       text,
  requested_by  text,
  reason        text,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  accepted      boolean,
  refusal       text,
  -- The idempotency key: a redelivered request records nothing more. Scoped to the run, as
  -- Temporal's update ids are.
  CONSTRAINT control_actions_request_key UNIQUE (workflow_id, request_id)
);

COMMENT ON TABLE tapflow.control_actions IS 'Pause, resume, cancel (and later actions) asked of a run: who, when, why.';

CREATE INDEX control_actions_run_idx ON tapflow.control_actions (workflow_id, requested_at, id);

-- A write that changes nothing (a duplicate delivery, a stale write) is skipped: no new row
-- version, no updated_at bump and no NOTIFY.
CREATE FUNCTION tapflow.skip_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.updated_at := greatest(OLD.updated_at, now());
  RETURN NEW;
END
$$;

CREATE TRIGGER runs_skip_unchanged BEFORE UPDATE ON tapflow.runs
  FOR EACH ROW EXECUTE FUNCTION tapflow.skip_unchanged();
CREATE TRIGGER node_attempts_skip_unchanged BEFORE UPDATE ON tapflow.node_attempts
  FOR EACH ROW EXECUTE FUNCTION tapflow.skip_unchanged();

-- NOTIFY payloads must stay under PostgreSQL's 8000 bytes; ids are bounded above, and anything
-- still too long is announced without its keys rather than failing the write.
CREATE FUNCTION tapflow.notify_event(payload jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  text_payload text := payload::text;
BEGIN
  IF octet_length(text_payload) > 7900 THEN
    text_payload := jsonb_build_object('table', payload->'table', 'op', payload->'op', 'oversized', true)::text;
  END IF;
  PERFORM pg_notify('tapflow_events', text_payload);
END
$$;

CREATE FUNCTION tapflow.notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'runs', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'state', NEW.state,
    'completed', NEW.progress_completed, 'total', NEW.progress_total));
  RETURN NULL;
END
$$;

CREATE FUNCTION tapflow.notify_node_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'node_attempts', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'nodeId', NEW.node_id,
    'attempt', NEW.attempt, 'outcome', NEW.outcome));
  RETURN NULL;
END
$$;

CREATE FUNCTION tapflow.notify_control_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'control_actions', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'id', NEW.id,
    'action', NEW.action));
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_notify AFTER INSERT OR UPDATE ON tapflow.runs
  FOR EACH ROW EXECUTE FUNCTION tapflow.notify_run();
CREATE TRIGGER node_attempts_notify AFTER INSERT OR UPDATE ON tapflow.node_attempts
  FOR EACH ROW EXECUTE FUNCTION tapflow.notify_node_attempt();
CREATE TRIGGER control_actions_notify AFTER INSERT OR UPDATE ON tapflow.control_actions
  FOR EACH ROW EXECUTE FUNCTION tapflow.notify_control_action();
`;
