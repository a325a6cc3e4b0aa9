/**
 * `tapflow pause|resume|cancel --query "<visibility query>" [--dry-run] [--rate N]`: the same
 * action on every running run the query matches (see `bulk-control.ts`), and the choice between
 * that and one run by ID.
 *
 * Exit codes: 0 when no run failed (runs that refused the action are listed and counted, but a
 * refusal is the run's answer, not a failure of the operation); 1 when some run failed; 2 for
 * bad input (neither or both of ID and `--query`, a malformed query, a bad `--rate`).
 */
import type { BulkControlResult, BulkRunOutcome } from '../control/bulk-control';
import { UsageError } from '../core/errors';
import type { ControlAction } from '../core/states';
import { controlCommand, type ControlOptions } from './control';
import { currentUser, print, printJson, withClient } from './io';

/** Options of the control commands when they may act on many runs. */
export interface BulkOptions extends ControlOptions {
  query?: string;
  dryRun?: boolean;
  rate?: string;
}

/**
 * `pause|resume|cancel [ID]`: one run by ID, or every run `--query` matches.
 *
 * @throws {UsageError} when neither or both of ID and `--query` are given, or `--dry-run` or
 *   `--rate` come without `--query`.
 */
export function controlOrBulkCommand(action: ControlAction, id: string | undefined, options: BulkOptions): Promise<number> {
  const hasQuery = options.query !== undefined;
  if (id !== undefined && hasQuery) throw new UsageError(`${action}: give a run ID or --query, not both`);
  if (id === undefined && !hasQuery) throw new UsageError(`${action}: give a run ID, or --query to ${action} every run it matches`);
  if (id !== undefined) {
    if (options.dryRun || options.rate !== undefined) throw new UsageError(`${action}: --dry-run and --rate go with --query`);
    return controlCommand(action, id, options);
  }
  return bulkCommand(action, options);
}

/**
 * Acts on every running run `--query` matches and reports each: one line per run as its outcome
 * is known, then `N matched: A accepted, R refused, F failed`; with `--json`, one
 * {@link BulkControlResult} at the end.
 *
 * @throws {UsageError} for an empty or malformed query or a bad `--rate` (nothing is acted on).
 */
export async function bulkCommand(action: ControlAction, options: BulkOptions): Promise<number> {
  const query = options.query ?? '';
  if (query.trim() === '') throw new UsageError('--query: must not be empty');
  const rate = options.rate === undefined ? undefined : parseRate(options.rate);
  return withClient(options, async (client) => {
    const result = await client.bulkControl(action, {
      query,
      dryRun: options.dryRun,
      rate,
      by: options.user ?? currentUser(),
      reason: options.reason,
      wait: options.wait,
      onOutcome: options.json ? undefined : (outcome) => print(outcomeLine(action, outcome)),
    });
    if (options.json) printJson(result);
    else print(summaryLine(result));
    return result.failed > 0 ? 1 : 0;
  });
}

/** One run's line of text. */
export function outcomeLine(action: ControlAction, run: BulkRunOutcome): string {
  switch (run.outcome) {
    case 'matched':
      return `${run.workflowId}: would ${action}${run.state ? ` (${run.state})` : ''}`;
    case 'accepted':
      return `${run.workflowId}: ${action} accepted, run is ${run.state ?? 'unknown'}`;
    case 'refused':
      return `${run.workflowId}: ${action} refused: ${run.error ?? ''}`;
    case 'failed':
      return `${run.workflowId}: ${action} failed: ${run.error ?? ''}`;
  }
}

/** The last line of text: the counts. */
export function summaryLine(result: BulkControlResult): string {
  if (result.dryRun) return `${result.matched} matched (dry run: nothing done)`;
  return `${result.matched} matched: ${result.accepted} accepted, ${result.refused} refused, ${result.failed} failed`;
}

function parseRate(text: string): number {
  const rate = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(rate > 0)) throw new UsageError(`--rate: expected a positive number of actions per second, got "${text}"`);
  return rate;
}
