/**
 * A start with an idempotency key asks the store before Temporal: Temporal forgets a run once its
 * namespace's retention has passed, the store keeps it, so a repeated start is still answered
 * with the first run, and nothing starts, however long after.
 */
import { IdempotencyConflictError } from '../core/errors';
import { requestHash, type StartedRun } from './idempotency';
import type { PipelineSpec } from '../core/types';
import { findRunByIdempotencyKey } from '../store/sql/find-run-by-idempotency-key';
import type { RunRecord } from '../store/types';
import type { Queryable } from '../store/pool';
import { isConnectionError } from '../store/connection-errors';
import { StoreUnavailableError } from '../store/errors';
import { assertDecoded, decodeRun } from '../store/decode-records';
import { PLAIN_VALUES, type StoreValueCodec } from '../store/value-codec';

/** A run the store holds under an idempotency key. */
export interface StoredStart {
  /** Its ids, `existing: true`. `runId` is `""` when the store never learned it. */
  started: StartedRun & { existing: true };
  /** Its record. */
  record: RunRecord;
}

/**
 * The run of `spec`'s pipeline the store holds under `idempotencyKey`, or `undefined` when it
 * holds none.
 *
 * @param id the run id the start asks for, if any.
 * @param codec decodes the values the store holds encoded. Default: as they are.
 * @throws {IdempotencyConflictError} when that run was started with another spec or input, or
 *   under another run id than `id`.
 * @throws {StoreUnavailableError} when the store cannot be reached (nothing is started).
 * @throws {EncodedValuesError} when the store keeps the run's values encoded and `codec` cannot read them.
 */
export async function findStartInStore(
  db: Queryable,
  spec: PipelineSpec,
  idempotencyKey: string,
  input: unknown,
  id?: string,
  codec: StoreValueCodec = PLAIN_VALUES,
): Promise<StoredStart | undefined> {
  let stored: RunRecord | undefined;
  try {
    stored = await findRunByIdempotencyKey(db, spec.name, idempotencyKey);
  } catch (err) {
    // Without the store's answer a start could double a run: say so as the store being away.
    if (isConnectionError(err)) throw new StoreUnavailableError(`the run store cannot be reached to check idempotency key "${idempotencyKey}": ${(err as Error).message}`, { cause: err });
    throw err;
  }
  if (!stored) return undefined;
  // The request is compared in the clear, as it was hashed when it started.
  const record = await decodeRun(stored, codec);
  assertDecoded(record);
  if (id !== undefined && id !== record.workflowId) {
    throw new IdempotencyConflictError(idempotencyKey, record.workflowId, 'run id');
  }
  if (requestHash(record.spec, record.params) !== requestHash(spec, input)) {
    throw new IdempotencyConflictError(idempotencyKey, record.workflowId);
  }
  return { started: { workflowId: record.workflowId, runId: record.firstRunId ?? '', existing: true }, record };
}
