/**
 * The shape the statements that delete runs' records share (`purge-ended-runs.ts`,
 * `delete-ended-run.ts`), built over the tables keyed by run that the schema has. Holds no whole
 * statement of its own.
 *
 * One statement per batch: the run rows chosen are deleted, and with them the rows of every
 * table keyed by run, all in one implicit transaction; it returns how many rows went from each.
 */
import { FINAL_RUN_STATES } from '../../core/states';

/** How many rows a deletion removed: `runs`, and each table keyed by run by its name. */
export interface DeletedRecords {
  /** Run rows deleted. */
  runs: number;
  /** Rows deleted from each table keyed by run (`node_attempts`, `attempt_outputs`, `control_actions`, ...). */
  records: Record<string, number>;
}

/** The final run states, as SQL literals (fixed words from `core/states.ts`, no input). */
export const ENDED_STATES_SQL = [...FINAL_RUN_STATES].map((state) => `'${state}'`).join(', ');

/** A table name as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A statement deleting the runs `chosen` selects (a query over `tapflow.runs` that returns their
 * `workflow_id`s and locks them) and every row of `tables` keyed by them, returning the counts
 * as columns `runs` and `t0`, `t1`, ... in the order of `tables`.
 */
export function deletionStatement(chosen: string, tables: readonly string[]): string {
  const deletes = tables.map(
    (table, i) => `t${i} AS (DELETE FROM tapflow.${quoteIdent(table)} WHERE workflow_id IN (SELECT workflow_id FROM gone) RETURNING 1)`,
  );
  const counts = tables.map((_, i) => `(SELECT count(*) FROM t${i})::int AS t${i}`);
  return [
    `WITH chosen AS (${chosen}),`,
    `gone AS (DELETE FROM tapflow.runs r USING chosen c WHERE r.workflow_id = c.workflow_id RETURNING r.workflow_id)`,
    ...deletes.map((d) => `, ${d}`),
    `SELECT ${['(SELECT count(*) FROM gone)::int AS runs', ...counts].join(', ')}`,
  ].join('\n');
}

/** The counts a {@link deletionStatement} (or a count of the same shape) returned, by table name. */
export function deletedRecords(row: Record<string, number> | undefined, tables: readonly string[]): DeletedRecords {
  const records: Record<string, number> = {};
  tables.forEach((table, i) => (records[table] = row?.[`t${i}`] ?? 0));
  return { runs: row?.runs ?? 0, records };
}
