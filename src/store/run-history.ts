/**
 * A run's history as the store keeps it: its row, every node attempt and every control action.
 * What `tapflow history` prints and `GET /api/runs/:id/history` returns.
 */
import type { Queryable } from './pool';
import { getRun } from './sql/get-run';
import { listAttempts } from './sql/list-attempts';
import { listControlActions } from './sql/list-control-actions';
import type { RunHistory } from './types';
import { decodeHistory } from './decode-records';
import { PLAIN_VALUES, type StoreValueCodec } from './value-codec';

export type { RunHistory } from './types';

/**
 * The run's history, or `undefined` when the store has no record of the run at all.
 *
 * @param codec decodes values the store holds encoded. Default: values as they are.
 */
export async function readRunHistory(db: Queryable, id: string, codec: StoreValueCodec = PLAIN_VALUES): Promise<RunHistory | undefined> {
  const [run, attempts, controlActions] = await Promise.all([getRun(db, id), listAttempts(db, id), listControlActions(db, id)]);
  if (!run && attempts.length === 0 && controlActions.length === 0) return undefined;
  return decodeHistory({ workflowId: id, run: run ?? null, attempts, controlActions }, codec);
}
