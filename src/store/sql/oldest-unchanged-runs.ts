/**
 * How long the least recently changed unfinished run of each state has gone without a change (the
 * API's `tapflow_runs_unchanged_seconds` gauge, which stuck-run alerts watch).
 */
import { FINAL_RUN_STATES } from '../../core/states';
import type { Queryable } from '../pool';

// Final states are fixed words from the one list, never input.
const FINAL_STATES_SQL = [...FINAL_RUN_STATES].map((state) => `'${state}'`).join(', ');

const SQL = /* sql */ `
SELECT r.state, extract(epoch FROM now() - min(r.updated_at))::float8 AS seconds
FROM tapflow.runs r
WHERE r.state NOT IN (${FINAL_STATES_SQL})
GROUP BY r.state`;

/** Per unfinished state with runs in it: the seconds since the least recently changed one last changed. */
export async function oldestUnchangedRuns(client: Queryable): Promise<Array<{ state: string; seconds: number }>> {
  const { rows } = await client.query<{ state: string; seconds: number }>(SQL);
  return rows;
}
