/**
 * Migration 8: the activities each worker hosts, on which task queue, and when it last said so.
 * Temporal cannot list a worker's activities, so workers publish theirs here, and a start can
 * refuse a node whose activity no live worker on its task queue hosts. A plain table any worker
 * can write (a tapflow worker, the Python worker, a team's own).
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'hosted-activities';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE TABLE tapflow.hosted_activities (
  task_queue text NOT NULL CHECK (octet_length(task_queue) BETWEEN 1 AND 1000),
  activity   text NOT NULL CHECK (octet_length(activity) BETWEEN 1 AND 1000),
  -- Who hosts it: the worker's identity (host and process), for an operator reading the table.
  worker     text NOT NULL CHECK (octet_length(worker) BETWEEN 1 AND 1000),
  last_seen  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_queue, activity, worker)
);
COMMENT ON TABLE tapflow.hosted_activities IS
  'Activities workers host, by task queue; a worker writes its rows at start and then every minute.';
`;
