/**
 * Migration 12: notifications. A transactional outbox of run events, and the webhook deliveries
 * made from it with every attempt.
 *
 * - `run_events`: a trigger on `runs` adds one row when a run's state changes into `held`,
 *   `failed`, `completed`, `cancelled`, `terminated` or `queued`, in the same transaction as the
 *   write, whoever wrote it (the workflow's records, the run reconciler, any later writer). A
 *   write that leaves the state as it was (a duplicate, a progress write) adds nothing, so an
 *   event is recorded once per change however often the same state is written.
 * - `notification_deliveries`: one row per event and webhook (unique), made by the worker that
 *   fans the event out; its body is fixed then, so every retry sends the same bytes and id.
 *   A `queued` event's delivery waits until the webhook's duration has passed, and is skipped if
 *   the run left that queued spell first.
 * - `notification_attempts`: one row per POST: status code or error, duration, what came next.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'notifications';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE TABLE tapflow.run_events (
  id               bigserial PRIMARY KEY,
  workflow_id      text NOT NULL,
  event            text NOT NULL CONSTRAINT run_events_event_check CHECK (event IN
                     ('queued', 'held', 'failed', 'completed', 'cancelled', 'terminated')),
  pipeline         text NOT NULL,
  pipeline_version integer,
  reason           text,
  execution_run_id text,
  at               timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  fanned_out_at    timestamptz
);

COMMENT ON TABLE tapflow.run_events IS
  'Outbox of run events for notifications: one row per change of a run''s state into one that is notified.';
COMMENT ON COLUMN tapflow.run_events.fanned_out_at IS
  'When a worker made this event''s deliveries (null: not yet).';

-- What the dispatchers poll for: small, as rows leave it once fanned out.
CREATE INDEX run_events_waiting_idx ON tapflow.run_events (id) WHERE fanned_out_at IS NULL;
CREATE INDEX run_events_run_idx ON tapflow.run_events (workflow_id, id);

CREATE FUNCTION tapflow.record_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tapflow.run_events (workflow_id, event, pipeline, pipeline_version, reason, execution_run_id)
  VALUES (NEW.workflow_id, NEW.state, NEW.pipeline, NEW.pipeline_version, NEW.reason, NEW.execution_run_id);
  RETURN NULL;
END
$$;

-- WHEN clauses, so the writes that change no state (most of them: progress) call no function.
-- An unchanged row never gets here: runs_skip_unchanged drops that update first.
CREATE TRIGGER runs_record_event_insert AFTER INSERT ON tapflow.runs
  FOR EACH ROW WHEN (NEW.state IN ('queued', 'held', 'failed', 'completed', 'cancelled', 'terminated'))
  EXECUTE FUNCTION tapflow.record_run_event();
CREATE TRIGGER runs_record_event_update AFTER UPDATE ON tapflow.runs
  FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state
                     AND NEW.state IN ('queued', 'held', 'failed', 'completed', 'cancelled', 'terminated'))
  EXECUTE FUNCTION tapflow.record_run_event();

CREATE TABLE tapflow.notification_deliveries (
  id               text PRIMARY KEY,
  event_id         bigint NOT NULL REFERENCES tapflow.run_events (id) ON DELETE CASCADE,
  workflow_id      text NOT NULL,
  event            text NOT NULL,
  url              text NOT NULL,
  source           text NOT NULL CONSTRAINT notification_deliveries_source_check CHECK (source IN ('deployment', 'spec')),
  secret_name      text,
  body             text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CONSTRAINT notification_deliveries_status_check CHECK (status IN
                     ('pending', 'delivered', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  finished_at      timestamptz,
  -- Once per event and webhook, however many workers fan the event out.
  CONSTRAINT notification_deliveries_once UNIQUE (event_id, url)
);

COMMENT ON TABLE tapflow.notification_deliveries IS
  'One webhook POST to make for one run event, retried with backoff until delivered or given up.';
COMMENT ON COLUMN tapflow.notification_deliveries.secret_name IS
  'Which deployment key signs it (TAPFLOW_WEBHOOK_SECRET_<NAME>); null: the default key.';
COMMENT ON COLUMN tapflow.notification_deliveries.next_attempt_at IS
  'When it is next due; while a worker is sending it, when that worker''s claim lapses.';

CREATE INDEX notification_deliveries_due_idx ON tapflow.notification_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_deliveries_run_idx ON tapflow.notification_deliveries (workflow_id, created_at, id);

CREATE TABLE tapflow.notification_attempts (
  delivery_id     text NOT NULL REFERENCES tapflow.notification_deliveries (id) ON DELETE CASCADE,
  attempt         integer NOT NULL CHECK (attempt >= 1),
  started_at      timestamptz NOT NULL,
  duration_ms     integer NOT NULL CHECK (duration_ms >= 0),
  status_code     integer,
  error           text,
  outcome         text NOT NULL CONSTRAINT notification_attempts_outcome_check CHECK (outcome IN ('delivered', 'retry', 'failed')),
  next_attempt_at timestamptz,
  PRIMARY KEY (delivery_id, attempt)
);

COMMENT ON TABLE tapflow.notification_attempts IS 'Every POST of a notification delivery and how it went.';
`;
