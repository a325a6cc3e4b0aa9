/** `tapflow history ID`: a run's node attempts and control actions from the store, as a timeline. */
import { UsageError } from '../errors';
import { formatDuration } from '../pipeline/duration';
import { createPool, describeConnectionError, isConnectionError } from '../store/pool';
import { devStoreUrl } from '../store/open-store';
import { listAttempts } from '../store/sql/list-attempts';
import { listControlActions } from '../store/sql/list-control-actions';
import type { ControlActionRecord, NodeAttemptRecord } from '../store/types';
import { print, printJson, type GlobalOptions } from './io';
import { paint, table } from './render';

/**
 * Prints the timeline. The store is `DATABASE_URL`, else the one `tapflow dev` runs
 * (port `TAPFLOW_STORE_PORT`, default 7432).
 *
 * @throws {UsageError} when the store has no record of the run.
 */
export async function historyCommand(id: string, options: GlobalOptions): Promise<number> {
  const url = process.env.DATABASE_URL ?? devStoreUrl(Number(process.env.TAPFLOW_STORE_PORT ?? 7432));
  const pool = createPool(url, { max: 1, connectionTimeoutMillis: 5000 });
  try {
    const [attempts, actions] = await Promise.all([listAttempts(pool, id), listControlActions(pool, id)]);
    if (attempts.length === 0 && actions.length === 0) throw new UsageError(`the store has no record of a run "${id}"`);
    if (options.json) {
      printJson({ workflowId: id, attempts, controlActions: actions });
      return 0;
    }
    print(...renderTimeline(attempts, actions, Boolean(process.stdout.isTTY)));
    return 0;
  } catch (err) {
    if (isConnectionError(err)) throw new Error(`cannot read the store: ${describeConnectionError(err, url)}`);
    throw err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

interface Entry {
  at: Date;
  cells: string[];
}

function renderTimeline(attempts: NodeAttemptRecord[], actions: ControlActionRecord[], tty: boolean): string[] {
  const entries: Entry[] = [];
  for (const a of attempts) {
    if (a.startedAt) entries.push({ at: a.startedAt, cells: [a.nodeId, `attempt ${a.attempt}`, 'started', a.activity] });
    if (a.finishedAt && a.outcome !== 'running') {
      const took = a.startedAt ? formatDuration(a.finishedAt.getTime() - a.startedAt.getTime()) : '';
      const detail = a.errorMessage ? `${took}  ${a.errorType ?? 'Error'}: ${a.errorMessage}` : took;
      entries.push({ at: a.finishedAt, cells: [a.nodeId, `attempt ${a.attempt}`, paint(a.outcome, tty), detail] });
    }
  }
  for (const c of actions) {
    const who = c.requestedBy ? `by ${c.requestedBy}` : '';
    const why = c.reason ? `: ${c.reason}` : '';
    entries.push({ at: c.requestedAt, cells: [c.nodeId ?? '(run)', c.action, c.accepted ? 'accepted' : 'refused', `${who}${why}`] });
  }
  entries.sort((x, y) => x.at.getTime() - y.at.getTime());
  return table(
    ['TIME', 'NODE', 'WHAT', 'OUTCOME', 'DETAIL'],
    entries.map((e) => [e.at.toISOString().replace('T', ' ').slice(0, 23), ...e.cells]),
  );
}
