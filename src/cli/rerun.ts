/**
 * `tapflow rerun ID --from NODE [--dry-run] [--id NEW] [--version latest|N]`: runs NODE and
 * everything downstream of it again, reusing every other node's output. A live run reruns in
 * place; an ended run is rerun as a new run reusing the outputs the store holds (see `rerun.ts`,
 * shared with the API), on its own spec or on another registered version of its pipeline.
 */
import { liveState, readEndedRun, rerunEnded, rerunLive, type RerunReport } from '../control/rerun';
import type { RerunCondition } from '../core/rerun-conditions';
import { actionRequest, print, printJson, withClient, type GlobalOptions } from './io';
import { withStore } from './store-access';
import { PipelineNotFoundError } from '../core/errors';
import { parsePipelineRef } from '../core/pipeline-registry';
import type { PipelineSpec } from '../core/types';
import { StorePipelineRegistry } from '../store/pipeline-registry';
import type { Queryable } from '../store/pool';
import type { StoreValueCodec } from '../store/value-codec';

/** Options of `rerun`. */
export interface RerunOptions extends GlobalOptions {
  from: string;
  dryRun?: boolean;
  id?: string;
  reason?: string;
  user?: string;
  /** `latest` or a version number: rerun an ended run on that registered version of its pipeline. */
  version?: string;
}

/**
 * Reruns from a node, or with `--dry-run` prints what would run again and what is reused.
 *
 * @throws {ActionRefusedError} when the rerun does not apply (a node to rerun is in flight).
 * @throws {RunNotFoundError} when neither Temporal nor the store knows the run.
 */
export function rerunCommand(id: string, options: RerunOptions): Promise<number> {
  return withClient(options, async (client) => {
    const wanted = options.version === undefined ? undefined : versionOption(options.version);
    const live = await liveState(client, id);
    const rerun = { from: options.from, dryRun: options.dryRun, request: actionRequest(options) };
    let report: RerunReport;
    if (live) {
      // A live run reruns in place on its own spec: rerunLive refuses a version, with why.
      const target = wanted && (await withStore(async (db) => registeredVersion(db, client.valueCodec, await runPipeline(client, id), wanted.version)));
      report = await rerunLive(client, id, live, { ...rerun, ...(target ? { target } : {}) });
    } else {
      const ended = await withStore((db) => readEndedRun(db, id, client.valueCodec));
      const target = wanted && (await withStore((db) => registeredVersion(db, client.valueCodec, ended.run.pipeline, wanted.version)));
      report = await rerunEnded(client, withStore, ended, { ...rerun, newId: options.id, ...(target ? { target } : {}) });
    }
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
  if (r.version !== undefined && r.diff) {
    const changed = r.diff.changed.map((c) => `${c.id} (${c.fields.join(', ')})`);
    lines.push(`  on version ${r.version}: added ${r.diff.added.join(', ') || '-'}; removed ${r.diff.removed.join(', ') || '-'}; changed ${changed.join(', ') || '-'}`);
  }
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

/** `--version latest` or `--version 3`, read. */
function versionOption(text: string): { version?: number } {
  return parsePipelineRef(`pipeline@${text}`);
}

/**
 * The registered version of `pipeline` to rerun on.
 *
 * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
 */
async function registeredVersion(db: Queryable, codec: StoreValueCodec, pipeline: string, version?: number): Promise<{ version: number; spec: PipelineSpec }> {
  const found = await new StorePipelineRegistry(db, codec).get(pipeline, version);
  if (!found) throw new PipelineNotFoundError(pipeline, version);
  return { version: found.version, spec: found.spec };
}

/** The pipeline of a live run. */
async function runPipeline(client: { getStatus(id: string): Promise<{ pipeline: string }> }, id: string): Promise<string> {
  return (await client.getStatus(id)).pipeline;
}
