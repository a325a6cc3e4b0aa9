/**
 * `tapflow start --idempotency-key K` asks the store before Temporal: Temporal forgets a run once
 * its namespace's retention has passed, the store keeps it, so a repeated start is still answered
 * with the first run, and nothing starts, however long after.
 *
 * Which store: `DATABASE_URL` when it is set, and then it must be readable (a start that cannot
 * check would risk a second run: it fails with one line, exit 1, and can be retried). Without
 * `DATABASE_URL`, the store `tapflow dev` runs on this machine is asked if it answers; if it does
 * not (or cannot answer: not reachable, not a tapflow store, an older schema), the start goes on
 * with Temporal's check alone.
 */
import { IdempotencyConflictError } from '../errors';
import { requestHash } from '../idempotency';
import type { PipelineSpec } from '../pipeline/types';
import type { StartedRun } from '../client';
import { findRunByIdempotencyKey } from '../store/sql/find-run-by-idempotency-key';
import type { RunRecord } from '../store/types';
import { commandStoreUrl, withStore } from './store-access';

/** A run the store holds under an idempotency key. */
export interface StoredStart {
  /** Its ids, `existing: true`. `runId` is `""` when the store never learned it. */
  started: StartedRun & { existing: true };
  /** Its record. */
  record: RunRecord;
}

/**
 * The run of `spec`'s pipeline the store holds under `idempotencyKey`, or `undefined` when it
 * holds none (or, without `DATABASE_URL`, when no store answers).
 *
 * @param id the run id the start asks for (`--id`), if any.
 * @throws {IdempotencyConflictError} when that run was started with another spec or input, or
 *   under another run id than `id`.
 * @throws {StoreReadError} when `DATABASE_URL` is set and the store cannot be read (or the
 *   database's own error when the query fails otherwise).
 */
export async function findStartInStore(
  spec: PipelineSpec,
  idempotencyKey: string,
  input: unknown,
  id?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoredStart | undefined> {
  let record: RunRecord | undefined;
  try {
    record = await withStore((db) => findRunByIdempotencyKey(db, spec.name, idempotencyKey), commandStoreUrl(env));
  } catch (err) {
    if (!env.DATABASE_URL) return undefined;
    throw err;
  }
  if (!record) return undefined;
  if (id !== undefined && id !== record.workflowId) {
    throw new IdempotencyConflictError(idempotencyKey, record.workflowId, 'run id');
  }
  if (requestHash(record.spec, record.params) !== requestHash(spec, input)) {
    throw new IdempotencyConflictError(idempotencyKey, record.workflowId);
  }
  return { started: { workflowId: record.workflowId, runId: record.firstRunId ?? '', existing: true }, record };
}
