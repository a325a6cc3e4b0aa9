/**
 * Counts the store's runs by state (the API's `tapflow_runs` gauge).
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT r.state, count(*)::float8 AS runs
FROM tapflow.runs r
GROUP BY r.state`;

/** How many runs the store holds in each state; states no run is in are left out. */
export async function countRunsByState(client: Queryable): Promise<Array<{ state: string; runs: number }>> {
  const { rows } = await client.query<{ state: string; runs: number }>(SQL);
  return rows;
}
