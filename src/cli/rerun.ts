/**
 * `tapflow rerun ID --from NODE [--dry-run] [--id NEW]`: runs NODE and everything downstream of
 * it again, reusing every other node's output.
 *
 * - A live run (running, paused, held) reruns in place: the run takes an update, so its id, its
 *   record and its history stay one.
 * - An ended run (completed, failed, cancelled) cannot take anything more: Temporal closes a
 *   workflow for good, and its reset replays from a workflow task, which would also re-run
 *   nodes that do not depend on NODE. So it is rerun as a NEW run of the same spec and input,
 *   whose other nodes start completed with the outputs the store holds for them. The new run
 *   records `rerun_of`, and the old one records the rerun as a control action.
 */
import { isFinal, type RunState } from '../pipeline/states';
import { planRerun, rerunRefusal, type RerunPlan } from '../pipeline/operator-rules';
import { ActionRefusedError, RunNotFoundError, UsageError } from '../errors';
import type { TapflowClient } from '../client';
import { getRun } from '../store/sql/get-run';
import { insertControlAction } from '../store/sql/insert-control-action';
import { listReusableOutputs } from '../store/sql/list-reusable-outputs';
import type { RunRecord } from '../store/types';
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

/** What `rerun --json` prints. */
interface RerunReport {
  workflowId: string;
  from: string;
  /** `in-run` for a live run; `new-run` for an ended one. */
  mode: 'in-run' | 'new-run';
  dryRun: boolean;
  rerun: string[];
  reused: string[];
  /** The new run (mode `new-run`, not a dry run). */
  newRunId?: string;
  state?: RunState;
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
    const report = live ? await rerunLive(client, id, live, options) : await rerunEnded(client, id, options);
    if (options.json) printJson(report);
    else printReport(report);
    return 0;
  });
}

/** The run's state when Temporal has it open, else `undefined`. */
async function liveState(client: TapflowClient, id: string): Promise<RunState | undefined> {
  try {
    const state = await client.getState(id);
    return state && !isFinal(state) ? state : undefined;
  } catch (err) {
    if (err instanceof RunNotFoundError) return undefined;
    throw err;
  }
}

async function rerunLive(client: TapflowClient, id: string, state: RunState, options: RerunOptions): Promise<RerunReport> {
  const status = await client.getStatus(id);
  const plan = planOrRefuse(id, status, options.from);
  const why = rerunRefusal(status, options.from);
  if (why) throw new ActionRefusedError(id, why);
  if (options.dryRun) return { workflowId: id, from: options.from, mode: 'in-run', dryRun: true, rerun: plan.rerun, reused: plan.reused, state };
  const ack = await client.rerun(id, options.from, actionRequest(options));
  return { workflowId: id, from: options.from, mode: 'in-run', dryRun: false, rerun: ack.rerun, reused: ack.reused, state: ack.state };
}

async function rerunEnded(client: TapflowClient, id: string, options: RerunOptions): Promise<RerunReport> {
  const { run, outputs } = await withStore(async (db) => {
    const record = await getRun(db, id);
    return { run: record, outputs: record ? await listReusableOutputs(db, id) : new Map<string, unknown>() };
  });
  if (!run) throw new RunNotFoundError(id);
  if (!isFinal(run.state)) {
    throw new UsageError(`${id}: the store says the run is ${run.state}, but Temporal does not have it open; is this the right Temporal server?`);
  }
  const nodes = run.nodes ?? [];
  if (nodes.length === 0 || run.spec === null) {
    throw new UsageError(`${id}: the store holds no node list or spec for this run (recorded before tapflow kept them), so it cannot be rerun`);
  }
  const plan = planOrRefuse(id, { state: run.state, nodes }, options.from);
  // Only nodes whose outputs the store holds are reused; the others run again in the new run.
  const reused = plan.reused.filter((n) => outputs.has(n));
  const skipped = reused.filter((n) => nodes.find((s) => s.id === n)?.state === 'skipped');
  const rerun = nodes.map((n) => n.id).filter((n) => !reused.includes(n));
  const report: RerunReport = { workflowId: id, from: options.from, mode: 'new-run', dryRun: Boolean(options.dryRun), rerun, reused };
  if (options.dryRun) return report;

  const request = actionRequest(options);
  const by = request.by;
  const started = await client.startRun(run.spec, {
    ...startOptionsOf(run),
    id: options.id,
    user: by,
    reuse: { of: id, from: options.from, outputs: Object.fromEntries(reused.map((n) => [n, outputs.get(n)])), skipped },
  });
  await withStore((db) =>
    insertControlAction(db, {
      workflowId: id,
      requestId: request.requestId as string,
      action: 'rerun',
      nodeId: options.from,
      requestedBy: by,
      reason: request.reason,
      accepted: true,
      details: { newRunId: started.workflowId, rerun, reused },
    }),
  );
  return { ...report, newRunId: started.workflowId, state: 'running' };
}

function planOrRefuse(id: string, run: Parameters<typeof planRerun>[0], from: string): RerunPlan {
  const plan = planRerun(run, from);
  if (typeof plan === 'string') throw new ActionRefusedError(id, plan);
  return plan;
}

/** The ended run's start options, so its rerun is started like it was. */
function startOptionsOf(run: RunRecord) {
  return {
    input: run.params ?? undefined,
    tags: run.tags,
    groups: run.groups,
    site: run.site ?? undefined,
    event: run.event ?? undefined,
    priority: run.priority ?? undefined,
    timeout: run.timeoutMs ?? undefined,
  };
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
  if (r.newRunId) lines.push(`  new run ${r.newRunId}`);
  else if (!r.dryRun && r.state) lines.push(`  the run is ${r.state}`);
  print(...lines);
}
