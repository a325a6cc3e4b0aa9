/**
 * The column lists the reading statements select, aliased to the record types' field names so
 * rows come back as records without mapping code. `bigint` columns are read as `float8`: `pg`
 * returns `bigint` as a string, and these values stay far below 2^53.
 */

/** Columns of `tapflow.runs` as a `RunRecord`, for a table aliased `r`. */
export const RUN_COLUMNS = `
  r.workflow_id AS "workflowId", r.first_run_id AS "firstRunId", r.pipeline, r.pipeline_version AS "pipelineVersion", r.schedule_id AS "scheduleId",
  r.spec, r.params, r.result,
  r.products, r.plots, r.tags, r.groups, r.user_name AS "userName", r.site, r.event, r.priority,
  r.timeout_ms::float8 AS "timeoutMs", r.retries, r.attempt, r.seq::float8 AS seq, r.state, r.reason,
  r.progress_completed AS "progressCompleted", r.progress_total AS "progressTotal",
  r.progress_skipped AS "progressSkipped", r.execution_run_id AS "executionRunId",
  r.execution_started_at AS "executionStartedAt",
  r.nodes, r.idempotency_key AS "idempotencyKey", r.rerun_of AS "rerunOf", r.created_at AS "createdAt", r.started_at AS "startedAt",
  r.finished_at AS "finishedAt",
  r.updated_at AS "updatedAt"`;

/** Columns of `tapflow.node_attempts` as a `NodeAttemptRecord`, for a table aliased `a`. */
export const ATTEMPT_COLUMNS = `
  a.workflow_id AS "workflowId", a.node_id AS "nodeId", a.attempt, a.activity, a.outcome,
  a.started_at AS "startedAt", a.finished_at AS "finishedAt", a.error_type AS "errorType",
  a.error_message AS "errorMessage", a.output, a.output_ref AS "outputRef", a.worker, a.source,
  a.updated_at AS "updatedAt"`;

/** Columns of `tapflow.control_actions` as a `ControlActionRecord`, for a table aliased `c`. */
export const CONTROL_ACTION_COLUMNS = `
  c.id::float8 AS id, c.workflow_id AS "workflowId", c.request_id AS "requestId", c.action,
  c.node_id AS "nodeId", c.requested_by AS "requestedBy", c.reason, c.requested_at AS "requestedAt",
  c.accepted, c.refusal, c.details`;
