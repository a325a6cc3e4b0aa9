/**
 * `tapflow history ID`: a run's lifecycle, node attempts and control actions from the store, as a
 * timeline. Reads only the store: `DATABASE_URL`, else the one `tapflow dev` runs.
 */
import { commandValueCodec } from './data-converter';
import { UsageError } from '../core/errors';
import { readRunHistory, type RunHistory } from '../store/run-history';
import { print, printJson, type GlobalOptions } from './io';
import { withStore } from './store-access';
import { renderTimeline } from './timeline';

/** What `tapflow history ID --json` prints. */
export type HistoryJson = RunHistory;

/**
 * Prints the timeline (or, with `--json`, a {@link HistoryJson}).
 *
 * @throws {UsageError} when the store has no record of the run.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function historyCommand(id: string, options: GlobalOptions): Promise<number> {
  const codec = await commandValueCodec();
  const history = await withStore((db) => readRunHistory(db, id, codec));
  if (!history) throw new UsageError(`the store has no record of a run "${id}"`);
  if (options.json) printJson(history);
  else print(...renderTimeline(history.run ?? undefined, history.attempts, history.controlActions, Boolean(process.stdout.isTTY)));
  return 0;
}
