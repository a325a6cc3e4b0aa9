/**
 * `tapflow status ID`: the run's state, progress and nodes. Asked of the run itself through
 * Temporal; when Temporal no longer has the run, no worker answers, or Temporal cannot be reached,
 * answered from the store instead, saying so.
 */
import type { RunStatus } from '../core/states';
import { runStatusFromStore } from '../store/run-status';
import { listAttempts } from '../store/sql/list-attempts';
import { print, printJson, withClient, type GlobalOptions } from './io';
import { renderStatus } from './render';
import { readRunFromStore } from './store-fallback';
import type { TemporalFailure } from './temporal-failure';

/**
 * A status read from the store: the live status's shape plus where it came from. `--json`
 * prints it as it is.
 */
export interface StoredRunStatus extends RunStatus {
  /** Always `store`; a live status has no `source`. */
  source: 'store';
  /** Why Temporal did not answer. */
  fallback: TemporalFailure;
  /** The same in a few words, e.g. "Temporal no longer has this run". */
  note: string;
  /** When the store's record of the run last changed (ISO time). */
  recordedAt: string;
}

/**
 * Prints a run's status, from Temporal or else from the store.
 *
 * @throws {RunNotFoundError} when neither Temporal nor the store has the run.
 * @throws Temporal's error when the store cannot answer for the run either (the message then
 *   says the store could not be read, if it could not).
 */
export async function statusCommand(id: string, options: GlobalOptions): Promise<number> {
  const status = await runStatus(id, options);
  if (options.json) {
    printJson(status);
    return 0;
  }
  const lines = renderStatus(status, Boolean(process.stdout.isTTY));
  if ('source' in status) lines.unshift(`from the store (recorded ${status.recordedAt}): ${status.note}`, '');
  print(...lines);
  return 0;
}

/**
 * The run's status from Temporal, or else from the store (see the module comment).
 *
 * @throws as {@link statusCommand}.
 */
export async function runStatus(id: string, options: GlobalOptions): Promise<RunStatus | StoredRunStatus> {
  try {
    return await withClient(options, (client) => client.getStatus(id));
  } catch (err) {
    return await storedStatus(id, err, options);
  }
}

async function storedStatus(id: string, err: unknown, options: GlobalOptions): Promise<StoredRunStatus> {
  const stored = await readRunFromStore(id, err, options, (db, run) => (run.nodes ? Promise.resolve([]) : listAttempts(db, id)));
  return {
    ...runStatusFromStore(stored.run, stored.more),
    source: 'store',
    fallback: stored.failure,
    note: stored.note,
    recordedAt: stored.run.updatedAt.toISOString(),
  };
}
