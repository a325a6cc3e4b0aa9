/**
 * The timeline `tapflow history` prints: the run's own lifecycle (created, started, finished),
 * each node attempt's start and end, and each control action, in time order. Pure.
 */
import { formatDuration } from '../core/duration';
import { isFinal } from '../core/states';
import type { ControlActionRecord, NodeAttemptRecord, RunRecord } from '../store/types';
import { paint, table } from './render';

interface Entry {
  at: Date;
  cells: [node: string, what: string, outcome: string, detail: string];
}

/**
 * The timeline as table lines (TIME, NODE, WHAT, OUTCOME, DETAIL). Run events show `(run)` as
 * their node; attempts the reconciliation recorded (the worker's own record never came) are
 * marked `(reconciled)`. Entries at the same instant keep this order: run created and started,
 * attempts, control actions, run finished.
 *
 * @param run the run's row, when the store has one.
 */
export function renderTimeline(
  run: RunRecord | undefined,
  attempts: readonly NodeAttemptRecord[],
  actions: readonly ControlActionRecord[],
  tty: boolean,
): string[] {
  const entries: Entry[] = [];
  if (run) {
    const by = run.userName ? ` by ${run.userName}` : '';
    entries.push({ at: run.createdAt, cells: ['(run)', 'created', '', `pipeline ${run.pipeline}${by}`] });
    if (run.startedAt) {
      entries.push({ at: run.startedAt, cells: ['(run)', 'started', '', run.attempt > 1 ? `run attempt ${run.attempt}` : ''] });
    }
  }
  for (const a of attempts) {
    const mark = a.source === 'reconciled' ? '(reconciled)' : '';
    if (a.startedAt) entries.push({ at: a.startedAt, cells: [a.nodeId, `attempt ${a.attempt}`, 'started', join(a.activity, mark)] });
    if (a.finishedAt && a.outcome !== 'running') {
      const took = a.startedAt ? formatDuration(a.finishedAt.getTime() - a.startedAt.getTime()) : '';
      const error = a.errorMessage ? `${a.errorType ?? 'Error'}: ${a.errorMessage}` : '';
      entries.push({ at: a.finishedAt, cells: [a.nodeId, `attempt ${a.attempt}`, paint(a.outcome, tty), join(took, error, mark)] });
    }
  }
  for (const c of actions) {
    const who = c.requestedBy ? `by ${c.requestedBy}` : '';
    const why = c.reason ? `: ${c.reason}` : '';
    const outcome = c.accepted === null ? '' : c.accepted ? 'accepted' : 'refused';
    entries.push({ at: c.requestedAt, cells: [c.nodeId ?? '(run)', c.action, outcome, join(`${who}${why}`, c.refusal ?? '')] });
  }
  if (run?.finishedAt && isFinal(run.state)) {
    const took = run.startedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '';
    entries.push({ at: run.finishedAt, cells: ['(run)', 'finished', paint(run.state, tty), join(took, run.reason ?? '')] });
  }
  // Array.prototype.sort is stable: entries at the same instant keep the order above.
  entries.sort((x, y) => x.at.getTime() - y.at.getTime());
  return table(
    ['TIME', 'NODE', 'WHAT', 'OUTCOME', 'DETAIL'],
    entries.map((e) => [e.at.toISOString().replace('T', ' ').slice(0, 23), ...e.cells]),
  );
}

function join(...parts: string[]): string {
  return parts.filter(Boolean).join('  ');
}
