/**
 * `tapflow rerun ID --from NODE [--dry-run] [--id NEW]`: runs NODE and everything downstream of
 * it again, reusing every other node's output. A live run reruns in place; an ended run is rerun
 * as a new run reusing the outputs the store holds (see `rerun.ts`, shared with the API).
 */
import { liveState, readEndedRun, rerunEnded, rerunLive, type RerunReport } from '../control/rerun';
import type { RerunCondition } from '../core/rerun-conditions';
import { actionRequest, print, printJson, withClient, type GlobalOptions } from './io';
import { withStore } from './store-access';

/** Options of `rerun`. */
export interface RerunOptions extends GlobalOptions {
  from: string;
  dryRun?: boolean;
  id?: string;
  reason?: string;
  user?: string;
}

/**
 * Reruns from a node, or with `--dry-run` prints what would run again and what is reused.
 *
 * @throws {ActionRefusedError} when the rerun does not apply (a node to rerun is in flight).
 * @throws {RunNotFoundError} when neither Temporal nor the store knows the run.
 */
export function rerunCommand(id: string, options: RerunOptions): Promise<number> {
  return withClient(options, async (client) => {
    const live = await liveState(client, id);
    const rerun = { from: options.from, dryRun: options.dryRun, request: actionRequest(options) };
    const report = live
      ? await rerunLive(client, id, live, rerun)
      : await rerunEnded(client, withStore, await withStore((db) => readEndedRun(db, id, client.valueCodec)), { ...rerun, newId: options.id });
    if (options.json) printJson(report);
    else printReport(report);
    return 0;
  });
}

function printReport(r: RerunReport): void {
  const lines: string[] = [];
  const where =
    r.mode === 'in-run'
      ? `in run ${r.workflowId} (it is still open)`
      : `as a new run (${r.workflowId} has ended; Temporal cannot reopen it, so the new run reuses its recorded outputs)`;
  lines.push(`${r.dryRun ? 'would rerun' : 'rerunning'} from ${r.from} ${where}`);
  lines.push(`  run again (${r.rerun.length}): ${r.rerun.join(', ') || '-'}`);
  lines.push(`  reused    (${r.reused.length}): ${r.reused.join(', ') || '-'}`);
  for (const c of r.conditions ?? []) lines.push(`  ${c.node} (when: ${c.when}): ${CONDITION_TEXT[c.verdict]}${c.detail ? ` ${c.detail}` : ''}`);
  if (r.newRunId) lines.push(`  new run ${r.newRunId}`);
  else if (!r.dryRun && r.state) lines.push(`  the run is ${r.state}`);
  print(...lines);
}

/** How the dry run tells each verdict on a condition. */
const CONDITION_TEXT: Record<RerunCondition['verdict'], string> = {
  run: 'would run',
  skip: 'would be skipped (condition false)',
  later: 'decided once these have run again:',
  error: 'would fail:',
};
