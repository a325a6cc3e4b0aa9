/**
 * `tapflow history ID`: a run's lifecycle, node attempts and control actions from the store, as a
 * timeline. Reads only the store: `DATABASE_URL`, else the one `tapflow dev` runs.
 */
import { UsageError } from '../errors';
import { getRun } from '../store/sql/get-run';
import { listAttempts } from '../store/sql/list-attempts';
import { listControlActions } from '../store/sql/list-control-actions';
import type { ControlActionRecord, NodeAttemptRecord, RunRecord } from '../store/types';
import { print, printJson, type GlobalOptions } from './io';
import { withStore } from './store-access';
import { renderTimeline } from './timeline';

/** What `tapflow history ID --json` prints. */
export interface HistoryJson {
  workflowId: string;
  /** The run's row; `null` when the store has attempts or actions of the run but no row. */
  run: RunRecord | null;
  /** Every node attempt, in the order they started. */
  attempts: NodeAttemptRecord[];
  /** Every control action, oldest first. */
  controlActions: ControlActionRecord[];
}

/**
 * Prints the timeline (or, with `--json`, a {@link HistoryJson}).
 *
 * @throws {UsageError} when the store has no record of the run.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function historyCommand(id: string, options: GlobalOptions): Promise<number> {
  const history = await withStore(async (db): Promise<HistoryJson> => {
    const [run, attempts, controlActions] = await Promise.all([getRun(db, id), listAttempts(db, id), listControlActions(db, id)]);
    return { workflowId: id, run: run ?? null, attempts, controlActions };
  });
  if (!history.run && history.attempts.length === 0 && history.controlActions.length === 0) {
    throw new UsageError(`the store has no record of a run "${id}"`);
  }
  if (options.json) printJson(history);
  else print(...renderTimeline(history.run ?? undefined, history.attempts, history.controlActions, Boolean(process.stdout.isTTY)));
  return 0;
}
