/**
 * The worker's side of the run store: the activity the pipeline workflow calls to record its
 * run and the control actions it takes (see `workflows/store-reporter.ts`). Every write is
 * idempotent, so Temporal's retries and duplicate deliveries never double a row.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { encodeAction, encodeRun, isRejectedWrite } from '../store/encode-writes';
import { insertControlAction } from '../store/sql/insert-control-action';
import { reconcileAttempts } from '../store/sql/reconcile-attempts';
import { upsertRun } from '../store/sql/upsert-run';
import { RECORD_REJECTED, type RecordCall, type RecordResult } from '../workflows/record-call';
import type { RecordObserver } from '../observability/record-metrics';
import { PLAIN_VALUES, type StoreValueCodec } from '../store/value-codec';

/** What the record activity writes through. */
export interface RecordStore {
  pool: Pool;
  /**
   * This worker's attempt recorder: flushed before a run's attempts are reconciled, so the
   * reconciliation only fills in what really went missing (not what is still on its way).
   */
  recorder?: { flush(timeoutMs?: number): Promise<boolean> };
  /** How run values are kept (see `store/value-codec.ts`). Default: as they are. */
  valueCodec?: StoreValueCodec;
}

/** Longest the final record waits for this worker's queued attempt records, in ms. */
const FLUSH_BEFORE_RECONCILE_MS = 2000;

/**
 * Builds the record activity. Without a store it records nothing and says so, so a worker
 * without `DATABASE_URL` still runs every pipeline. An `observer` (the worker's metrics) hears
 * of every write and what the store did with it.
 *
 * A store that cannot be reached fails the attempt, and Temporal tries again with backoff until
 * it is back. A write the database refuses for good (a value breaking a constraint) fails
 * without retry, as type `TapflowRecordRejected`: retrying would never succeed, and the run must
 * not wait on it forever.
 */
export function createRecordActivity(
  store: RecordStore | undefined,
  observer?: RecordObserver,
): (call: RecordCall) => Promise<RecordResult> {
  return async function tapflowRecord(call: RecordCall): Promise<RecordResult> {
    if (!store) {
      observer?.written(call, 'no-store');
      return { recorded: false };
    }
    try {
      const codec = store.valueCodec ?? PLAIN_VALUES;
      if (call.kind === 'control') {
        await insertControlAction(store.pool, await encodeAction(call.action, codec));
        return { recorded: true };
      }
      // The run's last write comes after its attempts: the worker's queued attempt rows, then the
      // rows reconciled from the workflow's counts, then the final run row. So whoever follows the
      // store (the API's event streams) has every attempt by the time it sees the run end.
      let reconciled: number | undefined;
      if (call.reconcile) {
        await store.recorder?.flush(FLUSH_BEFORE_RECONCILE_MS);
        const { added, closed } = await reconcileAttempts(store.pool, call.run.workflowId, call.reconcile);
        reconciled = added + closed;
      }
      // Not inside `observer?.written(...)`: optional chaining would skip the write without an observer.
      const outcome = await upsertRun(store.pool, await encodeRun(call.run, codec));
      observer?.written(call, outcome);
      return reconciled === undefined ? { recorded: true } : { recorded: true, reconciled };
    } catch (err) {
      throw isRejectedWrite(err)
        ? ApplicationFailure.nonRetryable(`the run store refused the record: ${(err as Error).message}`, RECORD_REJECTED)
        : err;
    }
  };
}
