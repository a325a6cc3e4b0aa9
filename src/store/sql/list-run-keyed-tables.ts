/**
 * The store's tables that hold records of one run beside `runs` itself: every table of the
 * `tapflow` schema with a `workflow_id` column (node attempts, large outputs, control actions,
 * and whatever later migrations add that way), so deleting a run's records misses none.
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT c.table_name AS name
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = 'tapflow' AND c.column_name = 'workflow_id' AND t.table_type = 'BASE TABLE'
  AND c.table_name <> 'runs'
ORDER BY c.table_name`;

/** The names of the tables keyed by run (without `runs`), in name order. */
export async function listRunKeyedTables(client: Queryable): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(SQL);
  return rows.map((r) => r.name);
}
