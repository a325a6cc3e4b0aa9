/**
 * What the bad-input tests check after a refusal: that nothing was written to the store and
 * nothing started in Temporal.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Queryable } from '../../src/store/pool';

/** Every table of the store, as of migration 6. */
const STORE_TABLES = ['runs', 'node_attempts', 'attempt_outputs', 'control_actions', 'api_tokens'] as const;

/** Rows in every table of the store. */
export async function storeRowCounts(db: Queryable): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of STORE_TABLES) {
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM tapflow.${table}`);
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

/** Whether Temporal has a run with this id. */
export async function temporalHasRun(client: Client, id: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
