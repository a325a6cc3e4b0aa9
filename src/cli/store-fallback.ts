/**
 * Answering for a run from the store when Temporal cannot: `status` and `result` call
 * {@link readRunFromStore} only after Temporal has failed, so the live path stays as fast as it was.
 */
import { loadTemporalSettings, DEFAULT_TEMPORAL_ADDRESS } from '../control/connection';
import { UsageError } from '../core/errors';
import type { Queryable } from '../store/pool';
import { getRun } from '../store/sql/get-run';
import type { RunRecord } from '../store/types';
import type { GlobalOptions } from './io';
import { StoreReadError, withStore } from './store-access';
import { classifyTemporalFailure, describeTemporalFailure, type TemporalFailure } from './temporal-failure';

/** A run as the store has it, read because Temporal could not answer. */
export interface StoredRun<T> {
  run: RunRecord;
  /** What the caller's `more` read alongside the run. */
  more: T;
  /** Why Temporal could not answer. */
  failure: TemporalFailure;
  /** The same in a few words, e.g. "Temporal no longer has this run". */
  note: string;
}

/**
 * Reads run `id` from the store after Temporal failed with `temporalError`.
 *
 * @param more reads what else the command needs, on the same connection, once the run is found.
 * @throws `temporalError` itself when it is not a failure the store can answer for
 *   ({@link classifyTemporalFailure}) or when the store has no such run either.
 * @throws an error of the same exit code as `temporalError` (a {@link UsageError}, else a
 *   {@link StoreReadError}) whose one line gives Temporal's failure and then the store's, when
 *   the store cannot be read.
 */
export async function readRunFromStore<T = undefined>(
  id: string,
  temporalError: unknown,
  options: GlobalOptions,
  more?: (db: Queryable, run: RunRecord) => Promise<T>,
): Promise<StoredRun<T>> {
  const failure = classifyTemporalFailure(temporalError);
  if (!failure) throw temporalError;
  const address = temporalAddress(options);
  let found: { run: RunRecord; more: T } | undefined;
  try {
    found = await withStore(async (db) => {
      const run = await getRun(db, id);
      if (!run) return undefined;
      return { run, more: more ? await more(db, run) : (undefined as T) };
    });
  } catch (err) {
    if (!(err instanceof StoreReadError)) throw err;
    const temporalLine =
      failure === 'unreachable' ? `cannot reach Temporal at ${address}` : firstLine(temporalError);
    const message = `${temporalLine}; the store could not be read either: ${err.message}`;
    throw temporalError instanceof UsageError ? new UsageError(message) : new StoreReadError(message);
  }
  if (!found) throw temporalError;
  return { ...found, failure, note: describeTemporalFailure(failure, address) };
}

function temporalAddress(options: GlobalOptions): string {
  try {
    return String(loadTemporalSettings({ address: options.address }).connectionOptions.address);
  } catch {
    return options.address ?? process.env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}
