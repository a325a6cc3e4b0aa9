/**
 * Rerunning a run from a node, as `tapflow rerun` and `POST /api/runs/:id/rerun` both do: the
 * node and everything downstream of it run again, every other node's output is reused.
 *
 * - A live run (running, paused, held) reruns in place: the run takes an update, so its id, its
 *   record and its history stay one.
 * - An ended run (completed, failed, cancelled) cannot take anything more: Temporal closes a
 *   workflow for good, and its reset replays from a workflow task, which would also re-run
 *   nodes that do not depend on the node. So it is rerun as a NEW run of the same spec and input,
 *   whose other nodes start completed with the outputs the store holds for them. The new run
 *   records `rerun_of`, and the old one records the rerun as a control action. It may run on
 *   another registered version of its pipeline (`--version`): then only the nodes that version
 *   did not change, with nothing changed upstream of them, are reused.
 */
import { ActionRefusedError, RunAlreadyExistsError, RunNotFoundError, UsageError } from '../core/errors';
import { planRerun, rerunRefusal, type RerunPlan } from '../core/operator-rules';
import { isFinal, type RunState, type RunStatus, type SkipCause } from '../core/states';
import type { PipelineSpec } from '../core/types';
import type { Queryable } from '../store/pool';
import { getRun } from '../store/sql/get-run';
import { insertControlAction } from '../store/sql/insert-control-action';
import { listReusableOutputs } from '../store/sql/list-reusable-outputs';
import type { RunRecord } from '../store/types';
import { assertDecoded, decodeOutputs, decodeRun } from '../store/decode-records';
import { PLAIN_VALUES, type StoreValueCodec } from '../store/value-codec';
import type { ControlRequest, RerunAck } from '../workflows/definitions';
import type { ReusedOutputs } from '../workflows/run-book';
import type { StartedRun } from './idempotency';
import type { RunMetaOptions } from './run-meta';
import { rerunConditions, type RerunCondition } from '../core/rerun-conditions';
import { buildGraph, downstreamOf } from '../core/graph';
import { diffPipelines, reusableNodes, type PipelineDiff } from '../core/pipeline-diff';

/** What a rerun starts a new run with: the ended run's own start options, and what it reuses. */
export interface RerunStartOptions
  extends Pick<RunMetaOptions, 'id' | 'tags' | 'groups' | 'user' | 'site' | 'event' | 'priority' | 'timeout' | 'pipelineVersion'> {
  input?: unknown;
  reuse: ReusedOutputs & { of: string; from: string };
}

/** The client calls a rerun makes; `TapflowClient` has them all. */
export interface RerunClient {
  getState(id: string): Promise<RunState | undefined>;
  getStatus(id: string): Promise<RunStatus>;
  rerun(id: string, from: string, request: ControlRequest): Promise<RerunAck>;
  /** A live run's answer to what a rerun would meet (`undefined` from a worker that cannot tell). */
  rerunPreview?(id: string, from: string): Promise<RerunCondition[] | undefined>;
  startRun(spec: PipelineSpec, options: RerunStartOptions): Promise<StartedRun>;
}

/** What a rerun did, or with a dry run would do: what `tapflow rerun --json` prints. */
export interface RerunReport {
  /** The run rerun (for a new run, the ended one it reruns). */
  workflowId: string;
  from: string;
  /** `in-run` for a live run; `new-run` for an ended one. */
  mode: 'in-run' | 'new-run';
  dryRun: boolean;
  /** The nodes that run (or would run) again. */
  rerun: string[];
  /** The nodes whose outputs are reused. */
  reused: string[];
  /** The new run's workflow id (mode `new-run`, not a dry run). */
  newRunId?: string;
  /** The live run's state after the rerun (or now, for a dry run); `running` for a new run. */
  state?: RunState;
  /**
   * A dry run: the `when` of each node to run again, judged on the outputs it would reuse (which
   * branch would run). Absent when no such node has one, and for a live run whose worker cannot
   * tell (older than 0.4.0).
   */
  conditions?: RerunCondition[];
  /** A rerun on another version: the version, and what changed from the run's own spec. */
  version?: number;
  diff?: PipelineDiff;
}

/** How a rerun is asked. */
export interface RerunOptions {
  /** The node to rerun from. */
  from: string;
  /** Report what would run again and what is reused; do nothing. Default: false. */
  dryRun?: boolean;
  /** Who asks, why, and the request id (required for an ended run: the control action's key). */
  request: ControlRequest;
  /**
   * Rerun an ended run on this registered version of its pipeline instead of its own spec (read
   * from the registry by the caller). A live run reruns in place, on its own spec only.
   */
  target?: { version: number; spec: PipelineSpec };
}

/** What an ended run is rerun from: its record and the outputs the store holds for its nodes. */
export interface EndedRun {
  run: RunRecord;
  outputs: Map<string, unknown>;
}

/** Runs `fn` against the store (the command line opens it per call; the API has a pool). */
export type WithStore = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

/** The run's state when Temporal has it open, else `undefined` (ended, or unknown to Temporal). */
export async function liveState(client: RerunClient, id: string): Promise<RunState | undefined> {
  try {
    const state = await client.getState(id);
    return state && !isFinal(state) ? state : undefined;
  } catch (err) {
    if (err instanceof RunNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Reruns a live run in place (or, with `dryRun`, says what would run again).
 *
 * @param state the run's state, from {@link liveState}.
 * @throws {ActionRefusedError} when the rerun does not apply (a node to rerun is in flight).
 * @throws {RunNotFoundError} when no run has this id.
 */
export async function rerunLive(client: RerunClient, id: string, state: RunState, options: RerunOptions): Promise<RerunReport> {
  if (options.target) {
    throw new ActionRefusedError(id, 'a run that is still open reruns in place, on its own spec; rerun it on another version once it has ended (or cancel it first)');
  }
  const status = await client.getStatus(id);
  const plan = planOrRefuse(id, status, options.from);
  const why = rerunRefusal(status, options.from);
  if (why) throw new ActionRefusedError(id, why);
  if (options.dryRun) {
    const report: RerunReport = { workflowId: id, from: options.from, mode: 'in-run', dryRun: true, rerun: plan.rerun, reused: plan.reused, state };
    const conditions = await client.rerunPreview?.(id, options.from);
    return conditions && conditions.length > 0 ? { ...report, conditions } : report;
  }
  const ack = await client.rerun(id, options.from, options.request);
  return { workflowId: id, from: options.from, mode: 'in-run', dryRun: false, rerun: ack.rerun, reused: ack.reused, state: ack.state };
}

/**
 * Reads an ended run's record and reusable outputs from the store.
 *
 * @param codec decodes values the store holds encoded (the client's `valueCodec`). Default: as they are.
 * @throws {RunNotFoundError} when the store has no record of the run.
 * @throws {UsageError} when the store says the run has not ended (Temporal should have it open),
 *   or holds no spec or node list for it (recorded before tapflow kept them).
 */
export async function readEndedRun(db: Queryable, id: string, codec: StoreValueCodec = PLAIN_VALUES): Promise<EndedRun> {
  const run = await getRun(db, id);
  if (!run) throw new RunNotFoundError(id);
  return endedRunOf(db, run, codec);
}

/**
 * The ended run of a record already read (the API reads it first, for the permission check on its
 * pipeline): checks it can be rerun and reads its reusable outputs.
 *
 * @throws {UsageError} as {@link readEndedRun} does.
 */
export async function endedRunOf(db: Queryable, stored: RunRecord, codec: StoreValueCodec = PLAIN_VALUES): Promise<EndedRun> {
  // The new run is started with the spec, input and outputs in the clear: the client encodes them again.
  const run = await decodeRun(stored, codec);
  assertDecoded(run);
  const id = run.workflowId;
  if (!isFinal(run.state)) {
    throw new UsageError(`${id}: the store says the run is ${run.state}, but Temporal does not have it open; is this the right Temporal server?`);
  }
  if ((run.nodes ?? []).length === 0 || run.spec === null) {
    throw new UsageError(`${id}: the store holds no node list or spec for this run (recorded before tapflow kept them), so it cannot be rerun`);
  }
  return { run, outputs: await decodeOutputs(await listReusableOutputs(db, id), codec) };
}

/**
 * What rerunning the ended run from `from` runs again and reuses: only nodes whose outputs the
 * store holds are reused; the others run again in the new run.
 *
 * @throws {ActionRefusedError} when `from` is not a node of the run.
 */
export function planEndedRerun(
  ended: EndedRun,
  from: string,
  target?: { version: number; spec: PipelineSpec },
): { rerun: string[]; reused: string[]; skipped: string[]; skipCauses: Record<string, SkipCause> } {
  const { run, outputs } = ended;
  const nodes = run.nodes ?? [];
  const plan = planOrRefuse(run.workflowId, { state: run.state, nodes }, from);
  let reused = plan.reused.filter((n) => outputs.has(n));
  let ids = nodes.map((n) => n.id);
  if (target) {
    // On another version: `from` and what is downstream of it there run again, and so does every
    // node the version changed or that has a change upstream of it.
    const spec = target.spec;
    if (!spec.nodes.some((n) => n.id === from)) {
      throw new ActionRefusedError(run.workflowId, `node "${from}" is not in version ${target.version} of ${spec.name}`);
    }
    const again = new Set([from, ...downstreamOf(buildGraph(spec.nodes), from)]);
    const unchanged = new Set(reusableNodes(run.spec as PipelineSpec, spec));
    reused = reused.filter((n) => unchanged.has(n) && !again.has(n));
    ids = spec.nodes.map((n) => n.id);
  }
  const skippedNodes = nodes.filter((s) => s.state === 'skipped' && reused.includes(s.id));
  const skipped = skippedNodes.map((s) => s.id);
  // A node skipped by its condition (or after one) stays so in the new run, and what needs it
  // follows its trigger rule again; an operator's skip keeps standing in with its output.
  const skipCauses: Record<string, SkipCause> = {};
  for (const s of skippedNodes) if (s.skipCause) skipCauses[s.id] = s.skipCause;
  const rerun = ids.filter((n) => !reused.includes(n));
  return { rerun, reused, skipped, skipCauses };
}

/**
 * Reruns an ended run as a new run of its spec and input (or, with `dryRun`, says what would run
 * again), and records the rerun as a control action of the ended run.
 *
 * @param withStore how to reach the store for the record of the action.
 * @param newId the new run's id. Default: as a start makes one (`<pipeline>-<random>`).
 * @throws {ActionRefusedError} when `from` is not a node of the run.
 * @throws {RunAlreadyExistsError} when `newId` is taken: by a run Temporal has open, or by one
 *   the store has a record of (the ended run's own id too: Temporal would take it, but the new
 *   run's record would overwrite the one it reuses).
 */
export async function rerunEnded(
  client: RerunClient,
  withStore: WithStore,
  ended: EndedRun,
  options: RerunOptions & { newId?: string },
): Promise<RerunReport> {
  const { run, outputs } = ended;
  const id = run.workflowId;
  const { rerun, reused, skipped, skipCauses } = planEndedRerun(ended, options.from, options.target);
  const spec = options.target?.spec ?? (run.spec as PipelineSpec);
  const report: RerunReport = {
    workflowId: id,
    from: options.from,
    mode: 'new-run',
    dryRun: Boolean(options.dryRun),
    rerun,
    reused,
    ...(options.target ? { version: options.target.version, diff: diffPipelines(run.spec as PipelineSpec, options.target.spec) } : {}),
  };
  if (options.dryRun) {
    const reusedOutputs = new Map(reused.map((n) => [n, outputs.get(n)]));
    const conditions = rerunConditions(spec, rerun, reusedOutputs, run.params ?? undefined);
    return conditions.length > 0 ? { ...report, conditions } : report;
  }

  const { request, newId } = options;
  if (newId !== undefined && (newId === id || (await withStore((db) => getRun(db, newId))))) throw new RunAlreadyExistsError(newId);
  const started = await client.startRun(spec, {
    ...startOptionsOf(run),
    // On its own spec, a run started by name stays that version.
    ...(options.target ? { pipelineVersion: options.target.version } : run.pipelineVersion === null ? {} : { pipelineVersion: run.pipelineVersion }),
    id: newId,
    user: request.by,
    reuse: {
      of: id,
      from: options.from,
      outputs: Object.fromEntries(reused.map((n) => [n, outputs.get(n)])),
      skipped,
      ...(Object.keys(skipCauses).length > 0 ? { skipCauses } : {}),
    },
  });
  await withStore((db) =>
    insertControlAction(db, {
      workflowId: id,
      requestId: request.requestId as string,
      action: 'rerun',
      nodeId: options.from,
      requestedBy: request.by,
      reason: request.reason,
      accepted: true,
      details: { newRunId: started.workflowId, rerun, reused, ...(options.target ? { version: options.target.version } : {}) },
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
