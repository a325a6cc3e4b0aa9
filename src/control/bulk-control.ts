/**
 * Acting on many runs at once: `tapflow pause|resume|cancel --query "..."`.
 *
 * The runs are listed first, every page, and only then acted on: acting changes a run's
 * `TapflowState`, so a query on it would match a different set halfway through. The query is
 * narrowed to running pipeline runs: `WorkflowType = 'pipelineWorkflow' AND ExecutionStatus =
 * 'Running' AND (<query>)`. Each run then gets its own control action through the client's
 * `pause`/`resume`/`cancel` (acknowledged by the run, recorded with its own request id, who asked
 * and why), started no faster than `rate` per second and at most `concurrency` at once, so
 * resuming a thousand runs does not flood the dependency they were paused for.
 *
 * Outcomes per run: `accepted` (with the state the run is in), `refused` (the run cannot take the
 * action, e.g. resuming a run that is not paused: the run's reason) or `failed` (anything else:
 * the run vanished, Temporal could not be reached). A refusal is an answer, not a failure of the
 * bulk operation; the command line exits 1 only when some run failed.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ActionRefusedError, UsageError } from '../core/errors';
import type { ControlAction, RunState } from '../core/states';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  STATE_SEARCH_ATTRIBUTE,
  type ControlAck,
  type ControlRequest,
} from '../workflows/definitions';

/** How many actions are in flight at once unless told otherwise. */
export const DEFAULT_BULK_CONCURRENCY = 4;

/** What {@link bulkControl} acts through: the client's control methods (a `TapflowClient`). */
export interface BulkControlTarget {
  readonly client: Client;
  pause(id: string, request: ControlRequest): Promise<ControlAck>;
  resume(id: string, request: ControlRequest): Promise<ControlAck>;
  cancel(id: string, request: ControlRequest & { wait?: boolean }): Promise<ControlAck>;
}

/** Options of {@link bulkControl}. */
export interface BulkControlOptions {
  /** A Temporal visibility query, e.g. `TapflowPipeline = 'x' AND TapflowState = 'running'`. */
  query: string;
  /** List the matching runs and act on none. Default: false. */
  dryRun?: boolean;
  /** Most actions started per second (e.g. `5`: one every 200 ms). Default: no limit. */
  rate?: number;
  /** Most actions in flight at once. Default: {@link DEFAULT_BULK_CONCURRENCY}. */
  concurrency?: number;
  /** Why, recorded with each action. */
  reason?: string;
  /** Who asks, recorded with each action. */
  by?: string;
  /** Cancel only: wait for each run to end before counting it done. Default: false. */
  wait?: boolean;
  /** The request id of each action (its idempotency key). Default: a random UUID per run. */
  requestId?: (workflowId: string) => string;
  /** Called with each run's outcome as it is known (for printing as it goes). */
  onOutcome?: (outcome: BulkRunOutcome) => void;
  /**
   * Only runs of these pipelines (none for an empty list): the query is narrowed to them, and a
   * listed run of another pipeline (a query that closes the narrowing's parenthesis) is dropped
   * before anything is done. How the API keeps a token to the pipelines it may control.
   * Default: every pipeline.
   */
  pipelines?: readonly string[];
}

/**
 * One run's outcome: `matched` (a dry run; nothing was done), `accepted`, `refused` or `failed`.
 */
export type BulkOutcome = 'matched' | 'accepted' | 'refused' | 'failed';

/** What happened to one matched run. */
export interface BulkRunOutcome {
  workflowId: string;
  outcome: BulkOutcome;
  /**
   * `accepted`: the run's state right after taking the action; `matched`: its `TapflowState` as
   * listed.
   */
  state?: RunState | string;
  /** `refused`: the run's reason; `failed`: the error's message (one line). */
  error?: string;
  /** When the outcome was known (ISO time); absent for a dry run. */
  at?: string;
}

/** What {@link bulkControl} did. */
export interface BulkControlResult {
  action: ControlAction;
  /** The query as given (not narrowed). */
  query: string;
  dryRun: boolean;
  /** Running pipeline runs the query matched. */
  matched: number;
  accepted: number;
  refused: number;
  failed: number;
  /** Every matched run, in the order visibility listed them (newest first). */
  runs: BulkRunOutcome[];
}

/**
 * The query actually sent to Temporal: `query` narrowed to running pipeline runs, and to runs of
 * `pipelines` when given (a non-empty list).
 */
export function narrowQuery(query: string, pipelines?: readonly string[]): string {
  const only = pipelines?.length ? ` AND ${PIPELINE_SEARCH_ATTRIBUTE.name} IN (${pipelines.map(keywordLiteral).join(', ')})` : '';
  return `WorkflowType = '${PIPELINE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'${only} AND (${query})`;
}

/**
 * Lists every running pipeline run `query` matches (all pages), newest first.
 *
 * @param pipelines narrows the query to runs of these pipelines (see {@link narrowQuery}).
 *
 * @throws {UsageError} when Temporal refuses the query (malformed, an unknown attribute).
 */
export async function listMatchingRuns(
  client: Client,
  query: string,
  pipelines?: readonly string[],
): Promise<Array<{ workflowId: string; pipeline?: string; state?: string }>> {
  const runs: Array<{ workflowId: string; pipeline?: string; state?: string }> = [];
  const seen = new Set<string>();
  try {
    for await (const wf of client.workflow.list({ query: narrowQuery(query, pipelines) })) {
      if (seen.has(wf.workflowId)) continue;
      seen.add(wf.workflowId);
      const run: { workflowId: string; pipeline?: string; state?: string } = { workflowId: wf.workflowId };
      const pipeline = wf.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE);
      if (pipeline !== undefined) run.pipeline = pipeline;
      const state = wf.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE);
      if (state !== undefined) run.state = state;
      runs.push(run);
    }
  } catch (err) {
    if (isInvalidArgument(err)) throw new UsageError(`--query: Temporal refused the query: ${firstLine(err)}`);
    throw err;
  }
  return runs;
}

/**
 * Lists the runs `options.query` matches, then (unless a dry run) takes `action` to each; see the
 * module comment.
 *
 * @throws {UsageError} when the query is empty or refused by Temporal, or `rate` or
 *   `concurrency` is not a positive number; nothing is acted on.
 */
export async function bulkControl(
  target: BulkControlTarget,
  action: ControlAction,
  options: BulkControlOptions,
): Promise<BulkControlResult> {
  if (options.query.trim() === '') throw new UsageError('--query: must not be empty');
  if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate > 0)) {
    throw new UsageError(`--rate: must be a positive number of actions per second, got ${String(options.rate)}`);
  }
  const concurrency = options.concurrency ?? DEFAULT_BULK_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
  }
  const { pipelines } = options;
  const matched =
    pipelines === undefined
      ? await listMatchingRuns(target.client, options.query)
      : pipelines.length === 0
        ? []
        : (await listMatchingRuns(target.client, options.query, pipelines)).filter((run) => run.pipeline !== undefined && pipelines.includes(run.pipeline));
  const result: BulkControlResult = {
    action,
    query: options.query,
    dryRun: Boolean(options.dryRun),
    matched: matched.length,
    accepted: 0,
    refused: 0,
    failed: 0,
    runs: [],
  };
  if (options.dryRun) {
    result.runs = matched.map((run) => {
      const outcome: BulkRunOutcome = { workflowId: run.workflowId, outcome: 'matched' };
      if (run.state !== undefined) outcome.state = run.state;
      options.onOutcome?.(outcome);
      return outcome;
    });
    return result;
  }
  const intervalMs = options.rate === undefined ? 0 : 1000 / options.rate;
  result.runs = await paced(matched, { concurrency, intervalMs }, async ({ workflowId }) => {
    const outcome = await actOn(target, action, workflowId, options);
    options.onOutcome?.(outcome);
    return outcome;
  });
  for (const run of result.runs) {
    if (run.outcome === 'accepted') result.accepted++;
    else if (run.outcome === 'refused') result.refused++;
    else if (run.outcome === 'failed') result.failed++;
  }
  return result;
}

async function actOn(
  target: BulkControlTarget,
  action: ControlAction,
  workflowId: string,
  options: BulkControlOptions,
): Promise<BulkRunOutcome> {
  const request: ControlRequest = {};
  if (options.by !== undefined) request.by = options.by;
  if (options.reason !== undefined) request.reason = options.reason;
  request.requestId = options.requestId?.(workflowId) ?? randomUUID();
  try {
    const ack =
      action === 'pause'
        ? await target.pause(workflowId, request)
        : action === 'resume'
          ? await target.resume(workflowId, request)
          : await target.cancel(workflowId, { ...request, wait: options.wait });
    return { workflowId, outcome: 'accepted', state: ack.state, at: new Date().toISOString() };
  } catch (err) {
    const at = new Date().toISOString();
    if (err instanceof ActionRefusedError) return { workflowId, outcome: 'refused', error: err.reason, at };
    return { workflowId, outcome: 'failed', error: firstLine(err), at };
  }
}

/**
 * Calls `fn` on each item, at most `concurrency` at once, each call starting at least
 * `intervalMs` after the one before (never bunched up to catch up after a slow call). Results come
 * back in the items' order.
 */
async function paced<T, R>(
  items: readonly T[],
  { concurrency, intervalMs }: { concurrency: number; intervalMs: number },
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let nextSlot = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      // Claiming the slot and the item happen together (no await between), so lanes never share one.
      const now = Date.now();
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + intervalMs;
      // A timer may fire a few ms early by the wall clock (the event loop reads its clock once
      // per turn), so wait until the slot has really come.
      for (let wait = slot - now; wait > 0; wait = slot - Date.now()) await sleep(wait);
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `err` is Temporal's INVALID_ARGUMENT (gRPC code 3): a query it cannot parse or run. */
function isInvalidArgument(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 3 || e?.cause?.code === 3 || (err instanceof Error && /INVALID_ARGUMENT|invalid query/i.test(err.message));
}

/** A visibility query's string literal: quotes and backslashes escaped. */
function keywordLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}
