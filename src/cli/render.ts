/**
 * Plain-text views of runs for the terminal: the status table, a progress bar, the runs list.
 */
import { formatDuration } from '../core/duration';
import { formatPipelineRef } from '../core/pipeline-registry';
import type { NodeStatus, RunStatus } from '../core/states';
import type { RunSummary } from '../client';

const COLOURS: Record<string, string> = {
  completed: '32',
  running: '34',
  pending: '2',
  skipped: '2',
  failed: '31',
  cancelled: '33',
  cancelling: '33',
  paused: '35',
  pausing: '35',
  held: '31',
};

/** Colours a state word when writing to a terminal. */
export function paint(state: string, tty: boolean): string {
  const code = COLOURS[state];
  return tty && code ? `\u001b[${code}m${state}\u001b[0m` : state;
}

/**
 * `[###############...............]  50%  2/4 nodes`, and `, 1 skipped` when nodes were skipped.
 * The bar fills as far as the run's own percentage (skipped nodes count as done), so the bar,
 * the number and `tapflow list` never disagree.
 */
export function progressBar(status: RunStatus, width = 30): string {
  const { completed, total, percent } = status.progress;
  // A worker older than the skipped count answers without it.
  const skipped = (status.progress.skipped as number | undefined) ?? 0;
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${completed}/${total} nodes` +
    (skipped > 0 ? `, ${skipped} skipped` : '')
  );
}

/** Lays out rows as aligned columns. */
export function table(header: string[], rows: string[][]): string[] {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The whole status view: header, progress bar, one row per node. */
export function renderStatus(status: RunStatus, tty: boolean, now = Date.now()): string[] {
  const lines = [
    `run       ${status.workflowId}`,
    `pipeline  ${status.pipelineVersion === undefined ? status.pipeline : formatPipelineRef(status.pipeline, status.pipelineVersion)}`,
    `state     ${paint(status.state, tty)}${status.reason ? `  (${status.reason})` : ''}`,
    `progress  ${progressBar(status)}`,
    '',
  ];
  const rows = status.nodes.map((n) => [
    n.id,
    paint(n.state, tty) + nodeNote(n),
    String(n.attempts),
    n.startedAt ? n.startedAt.slice(11, 19) : '',
    nodeDuration(n, now),
    problemOf(n),
  ]);
  return lines.concat(table(['NODE', 'STATE', 'ATTEMPTS', 'STARTED', 'TOOK', 'ERROR / REASON'], rows));
}

/**
 * The last column: a node's last error, or else a skipped node's reason (`condition false`,
 * `need "a" failed`, an operator's words), so why a node did not run is on its row too.
 */
function problemOf(n: NodeStatus): string {
  if (n.error) return oneLine(n.error, 60);
  if (n.state === 'skipped' && n.skipReason) return oneLine(n.skipReason, 60);
  return '';
}

/**
 * What else a node's state needs said: a skip's cause (first: `skipped (condition)`), held, a
 * repeated node's round, waiting for an event, items done, reused, edited.
 */
function nodeNote(n: NodeStatus): string {
  const notes: string[] = [];
  // Only a skipped node keeps a cause; a status from before causes were kept has none.
  if (n.state === 'skipped' && n.skipCause) notes.push(n.skipCause);
  if (n.held) notes.push('held');
  if (n.round !== undefined) notes.push(`round ${n.round}`);
  if (n.waitingFor) notes.push(`waiting for ${n.waitingFor}`);
  if (n.items) notes.push(`${n.items.done}/${n.items.total} items`);
  if (n.reused) notes.push('reused');
  if (n.inputEdited) notes.push('input edited');
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

/** The runs list. */
export function renderRuns(runs: RunSummary[], tty: boolean): string[] {
  if (runs.length === 0) return ['no runs'];
  return table(
    ['RUN', 'PIPELINE', 'STATE', 'PROGRESS', 'STARTED'],
    runs.map((r) => [
      r.workflowId,
      r.pipeline ?? '',
      paint(String(r.state), tty),
      r.progressPercent === undefined ? '' : `${r.progressPercent}%`,
      r.startTime.replace('T', ' ').slice(0, 19),
    ]),
  );
}

function nodeDuration(n: NodeStatus, now: number): string {
  if (!n.startedAt) return '';
  const end = n.finishedAt ? Date.parse(n.finishedAt) : now;
  return formatDuration(Math.max(0, end - Date.parse(n.startedAt)));
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
