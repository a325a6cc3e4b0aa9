/**
 * Reads for the API's event streams: the rows a store event announces, and the rows changed since
 * a point in the store-wide change sequence (a stream resumed with `Last-Event-ID`). Each row
 * comes with its `changeSeq`, the number of its last change (migration 6).
 */
import type { Queryable } from '../pool';
import type { ControlActionRecord, NodeAttemptRecord, RunRecord } from '../types';
import { ATTEMPT_COLUMNS, CONTROL_ACTION_COLUMNS, RUN_COLUMNS } from './columns';

/** A row as read for a stream: the record and the number of its last change. */
export type Changed<T> = T & { changeSeq: number };

/** Most runs {@link listRunsChangedSince} returns. */
export const MAX_RUN_CHANGES = 1000;

const RUN = /* sql */ `SELECT ${RUN_COLUMNS}, r.change_seq::float8 AS "changeSeq" FROM tapflow.runs r WHERE r.workflow_id = $1`;

const ATTEMPT = /* sql */ `
SELECT ${ATTEMPT_COLUMNS}, a.change_seq::float8 AS "changeSeq"
FROM tapflow.node_attempts a
WHERE a.workflow_id = $1 AND a.node_id = $2 AND a.attempt = $3`;

const ACTION = /* sql */ `
SELECT ${CONTROL_ACTION_COLUMNS}, c.change_seq::float8 AS "changeSeq" FROM tapflow.control_actions c WHERE c.id = $1`;

const ATTEMPTS_SINCE = /* sql */ `
SELECT ${ATTEMPT_COLUMNS}, a.change_seq::float8 AS "changeSeq"
FROM tapflow.node_attempts a
WHERE a.workflow_id = $1 AND a.change_seq > $2
ORDER BY a.change_seq`;

const ACTIONS_SINCE = /* sql */ `
SELECT ${CONTROL_ACTION_COLUMNS}, c.change_seq::float8 AS "changeSeq"
FROM tapflow.control_actions c
WHERE c.workflow_id = $1 AND c.change_seq > $2
ORDER BY c.change_seq`;

const RUNS_SINCE = /* sql */ `
SELECT ${RUN_COLUMNS}, r.change_seq::float8 AS "changeSeq"
FROM tapflow.runs r
WHERE r.change_seq > $1 AND ($2::text[] IS NULL OR r.pipeline = ANY($2))
ORDER BY r.change_seq
LIMIT $3`;

/** The run with this id, or `undefined`. */
export async function getRunChange(db: Queryable, workflowId: string): Promise<Changed<RunRecord> | undefined> {
  return (await db.query<Changed<RunRecord>>(RUN, [workflowId])).rows[0];
}

/** One node attempt, or `undefined`. */
export async function getAttemptChange(
  db: Queryable,
  workflowId: string,
  nodeId: string,
  attempt: number,
): Promise<Changed<NodeAttemptRecord> | undefined> {
  return (await db.query<Changed<NodeAttemptRecord>>(ATTEMPT, [workflowId, nodeId, attempt])).rows[0];
}

/** One control action, or `undefined`. */
export async function getControlActionChange(db: Queryable, id: number): Promise<Changed<ControlActionRecord> | undefined> {
  return (await db.query<Changed<ControlActionRecord>>(ACTION, [id])).rows[0];
}

/** A run's node attempts and control actions changed after `after`, each in change order. */
export async function listRunChangesSince(
  db: Queryable,
  workflowId: string,
  after: number,
): Promise<{ attempts: Changed<NodeAttemptRecord>[]; actions: Changed<ControlActionRecord>[] }> {
  const [attempts, actions] = await Promise.all([
    db.query<Changed<NodeAttemptRecord>>(ATTEMPTS_SINCE, [workflowId, after]),
    db.query<Changed<ControlActionRecord>>(ACTIONS_SINCE, [workflowId, after]),
  ]);
  return { attempts: attempts.rows, actions: actions.rows };
}

/**
 * Runs changed after `after`, in change order, at most `limit` (default and cap
 * {@link MAX_RUN_CHANGES}).
 *
 * @param pipelines only runs of these pipelines; `'*'` for every pipeline.
 */
export async function listRunsChangedSince(
  db: Queryable,
  after: number,
  pipelines: readonly string[] | '*',
  limit: number = MAX_RUN_CHANGES,
): Promise<Changed<RunRecord>[]> {
  const filter = pipelines === '*' ? null : [...pipelines];
  const { rows } = await db.query<Changed<RunRecord>>(RUNS_SINCE, [after, filter, Math.min(limit, MAX_RUN_CHANGES)]);
  return rows;
}
