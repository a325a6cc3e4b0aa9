/**
 * Folding queued attempt writes (starts and ends, in the order they happened) into the rows of
 * one multi-row statement ({@link upsertAttemptRows}), so that writing a batch gives exactly what
 * writing each record alone, in order, with `upsertAttemptStart` / `upsertAttemptEnd` gives.
 * Holds no SQL of its own.
 *
 * One statement can write a row only once, so a batch becomes at most one row per attempt, plus
 * (rarely) a second round of rows. Per attempt, in queue order:
 *
 * - **Starts before the attempt's first end** fold into one start: the first start's time is
 *   kept (a later start never moves it), and the first worker that is known.
 * - **The first end** joins them in the same row. Writing that row is writing the starts, then
 *   the end: the start's time and worker come first; the end's fields apply only when the end
 *   does (the stored row is still `running`, or was added by the reconciliation).
 * - **Later ends** are dropped: once an attempt's first end has been written, or refused
 *   because the row already had its end, a later end changes nothing either way.
 * - **Starts after the first end** (only possible for records sent out of order) form a row of
 *   the second round, written after the first: they can only fill in a start time or worker
 *   that is still missing.
 *
 * @see upsertAttemptRows for how a row is written.
 */
import type { AttemptEnd, AttemptStart, TimeInput } from '../types';

/** One queued write of the attempt recorder: an attempt's start or its end. */
export type AttemptWrite = { kind: 'start'; record: AttemptStart } | { kind: 'end'; record: AttemptEnd };

/**
 * What a batch writes for one attempt: the starts that came before its first end (if any), and
 * that end (if any). At least one of the two is there.
 */
export interface AttemptRow {
  workflowId: string;
  nodeId: string;
  attempt: number;
  /** The activity of the attempt's first write (kept when the row is inserted). */
  activity: string;
  /**
   * The start part: the first start's time and the first worker the starts name. A start that
   * gave no time gets `'now'`, which PostgreSQL reads as the transaction's start time, the same
   * as the `now()` that `upsertAttemptStart` uses. Absent when the batch holds no start before
   * the end.
   */
  start?: { startedAt: TimeInput; worker: string | undefined };
  /** The attempt's first end in the batch. */
  end?: AttemptEnd;
}

/** Folds a batch into rounds of rows, as the module comment says; the rounds are written in order. */
export function foldAttemptWrites(writes: readonly AttemptWrite[]): AttemptRow[][] {
  const first = new Map<string, AttemptRow>();
  const second = new Map<string, AttemptRow>();
  for (const write of writes) {
    const r = write.record;
    const key = `${r.workflowId}\u0000${r.nodeId}\u0000${r.attempt}`;
    let row = first.get(key);
    if (!row) {
      row = { workflowId: r.workflowId, nodeId: r.nodeId, attempt: r.attempt, activity: r.activity };
      first.set(key, row);
    }
    if (write.kind === 'end') {
      if (!row.end) row.end = write.record;
      // else: a later end, which changes nothing.
      continue;
    }
    if (row.end) {
      // A start after the attempt's end: next round.
      let late = second.get(key);
      if (!late) {
        late = { workflowId: r.workflowId, nodeId: r.nodeId, attempt: r.attempt, activity: r.activity };
        second.set(key, late);
      }
      addStart(late, write.record);
    } else addStart(row, write.record);
  }
  return second.size > 0 ? [[...first.values()], [...second.values()]] : [[...first.values()]];
}

function addStart(row: AttemptRow, start: AttemptStart): void {
  if (!row.start) row.start = { startedAt: start.startedAt ?? 'now', worker: start.worker };
  else row.start.worker ??= start.worker; // the first start's time stays; a worker fills in
}
