/**
 * Finds the run a pipeline was started with under an idempotency key.
 */
import type { Queryable } from '../pool';
import type { RunRecord } from '../types';
import { RUN_COLUMNS } from './columns';

// Served by the unique index runs_idempotency_key_idx (migration 003).
const SQL = /* sql */ `
SELECT ${RUN_COLUMNS}
FROM tapflow.runs r
WHERE r.pipeline = $1 AND r.idempotency_key = $2`;

/**
 * The run of `pipeline` started with `idempotencyKey` (`tapflow start --idempotency-key`), or
 * `undefined` when the store has none. A key is unique within a pipeline, so there is at most one.
 */
export async function findRunByIdempotencyKey(
  client: Queryable,
  pipeline: string,
  idempotencyKey: string,
): Promise<RunRecord | undefined> {
  const { rows } = await client.query<RunRecord>(SQL, [pipeline, idempotencyKey]);
  return rows[0];
}
