/**
 * Marks run events as fanned out, so no worker makes their deliveries again.
 */
import type { Queryable } from '../pool';

const SQL = /* sql */ `
UPDATE tapflow.run_events SET fanned_out_at = now() WHERE id = ANY($1::bigint[]) AND fanned_out_at IS NULL`;

/** Marks the events numbered `ids` (text) as fanned out. */
export async function markRunEventsFannedOut(client: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query(SQL, [ids]);
}
