/**
 * Migration 6: a store-wide change sequence. Every insert or change of a run, node attempt or
 * control action takes the next number of `tapflow.change_seq` into its row's `change_seq`, and
 * the NOTIFY announcing it carries that number as `seq`. The API's event streams use it as the
 * Server-Sent Events id, so a client that reconnects with `Last-Event-ID` is sent the rows changed
 * since. Run events also carry the run's pipeline, so a stream over one pipeline can pick its runs
 * without reading each row, and node attempt events carry the row itself (all but its output),
 * so the streams' busiest kind of event needs no read at all.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'change-sequence';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE SEQUENCE tapflow.change_seq AS bigint;

-- A volatile default numbers the rows already there (no triggers fire) and every row inserted later.
ALTER TABLE tapflow.runs ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('tapflow.change_seq');
ALTER TABLE tapflow.node_attempts ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('tapflow.change_seq');
ALTER TABLE tapflow.control_actions ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('tapflow.change_seq');

COMMENT ON COLUMN tapflow.runs.change_seq IS 'Store-wide order of the row''s last change (the event id of the API''s streams).';

-- Streams over many runs resume from a sequence number.
CREATE INDEX runs_change_seq_idx ON tapflow.runs (change_seq);

-- A change that changes something takes the next number; one that changes nothing is still skipped.
CREATE OR REPLACE FUNCTION tapflow.skip_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.updated_at := greatest(OLD.updated_at, now());
  NEW.change_seq := nextval('tapflow.change_seq');
  RETURN NEW;
END
$$;

CREATE FUNCTION tapflow.next_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.change_seq := nextval('tapflow.change_seq');
  RETURN NEW;
END
$$;

CREATE TRIGGER control_actions_change_seq BEFORE UPDATE ON tapflow.control_actions
  FOR EACH ROW EXECUTE FUNCTION tapflow.next_change_seq();

CREATE OR REPLACE FUNCTION tapflow.notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'runs', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'pipeline', NEW.pipeline,
    'state', NEW.state, 'completed', NEW.progress_completed, 'total', NEW.progress_total,
    'seq', NEW.change_seq));
  RETURN NULL;
END
$$;

-- Times as JavaScript writes them (ISO-8601, milliseconds, Z).
CREATE FUNCTION tapflow.iso_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- An attempt's announcement carries the whole row but its output (and its error message up to
-- 1,000 characters, 'truncated' past that), so a follower need not read it back.
CREATE OR REPLACE FUNCTION tapflow.notify_node_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'node_attempts', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'nodeId', NEW.node_id,
    'attempt', NEW.attempt, 'outcome', NEW.outcome, 'seq', NEW.change_seq,
    'activity', NEW.activity, 'startedAt', tapflow.iso_time(NEW.started_at),
    'finishedAt', tapflow.iso_time(NEW.finished_at), 'errorType', left(NEW.error_type, 200),
    'errorMessage', left(NEW.error_message, 1000), 'worker', left(NEW.worker, 200),
    'truncated', coalesce(length(NEW.error_message) > 1000 OR length(NEW.error_type) > 200
                          OR length(NEW.worker) > 200, false)));
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION tapflow.notify_control_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tapflow.notify_event(jsonb_build_object(
    'table', 'control_actions', 'op', lower(TG_OP), 'workflowId', NEW.workflow_id, 'id', NEW.id,
    'action', NEW.action, 'seq', NEW.change_seq));
  RETURN NULL;
END
$$;
`;
