/**
 * `map` nodes, from the pipeline workflow's side: finds the items in the upstream output, splits
 * them into shards of at most {@link MAP_SHARD_SIZE}, runs the shards as child workflows
 * (`mapShardWorkflow`, ids `<run>/<node>/shard-<k>`) with at most `maxParallel` items in flight
 * across them, and puts their outputs together in item order.
 *
 * How a map of n items is split (docs/commands.md says the same): ceil(n / 1,000) shards; at most
 * `maxParallel` shards run at once, each with `max(1, floor(maxParallel / shards running))` items
 * in flight. A 100,000-item map is 100 shards of 1,000 items; the parent's history grows by a few
 * events per shard, each shard's by a few per item, or per batch with the node's `batchSize`
 * (a batch is one activity task running its items one after another, and counts as one in flight).
 */
import { CancellationScope, startChild, type ActivityOptions } from '@temporalio/workflow';
import type { NodeSpec, PipelineSpec } from '../core/types';
import { NODE_VARIABLES } from '../core/expressions/expression-ast';
import { expressionEngine } from '../core/expressions/load-expressions';
import { EXPRESSION_FAILED } from '../core/failure-types';
import { isTemplateText, parseTemplate } from '../core/expressions/templates';
import { describe } from '../core/value-checks';
import { childFailureOutcome } from './child-node';
import type { RunMeta } from './definitions';
import { MAP_SHARD_SIZE, MAP_SHARD_WORKFLOW_TYPE, type MapShardInput } from './map-shard-workflow';
import type { NodeOutcome } from './node-activity';

/**
 * The patch behind reusing finished shards on a retry: runs whose history predates it ran every
 * shard again, and replay must do the same.
 */
export const MAP_REUSE_SHARDS_PATCH = 'tapflow-map-reuse-shards';

/** What a map node needs from the run. */
export interface MapStart {
  runId: string;
  nodeId: string;
  node: NodeSpec;
  /** The id shards are named under: `<run>/<node>` (and `.<round>` for later rounds). */
  baseId: string;
  upstream: Record<string, unknown>;
  input: unknown;
  params: unknown;
  activityOptions?: ActivityOptions;
  maxParallel: number;
  meta: RunMeta;
  nesting: { depth: number; maxDepth: number };
  taskQueue: string;
  /** Called as shards start and end: the running shard ids (for pause and resume). */
  onShards(running: readonly string[]): void;
  /** Called as shards end: items done so far, of the total. */
  onProgress(done: number, total: number): void;
  /**
   * Shards already finished (shard index to outputs): an earlier round's, which this round
   * reuses instead of running them again. The shards this round finishes are added to it, so
   * after a failure it holds every shard finished so far.
   */
  finished?: Map<number, unknown[]>;
}

/**
 * The items a map node runs over: `over` names a node in `needs`, optionally with a dotted path
 * into its output.
 *
 * @returns the array, or a message saying why there is none.
 */
export function mapItems(over: string, upstream: Record<string, unknown>, params?: unknown): unknown[] | string {
  if (isTemplateText(over)) return itemsFromExpression(over, upstream, params);
  const [source, ...path] = over.split('.');
  let value: unknown = upstream[source as string];
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return `"${over}" is not in the output of "${source}"`;
    value = (value as Record<string, unknown>)[key];
  }
  if (!Array.isArray(value)) return `"${over}" must be an array to map over, got ${value === null ? 'null' : typeof value}`;
  return value;
}

/** The items an `over` expression (`"${{ upstream.list.files }}"`) gives. */
function itemsFromExpression(over: string, upstream: Record<string, unknown>, params: unknown): unknown[] | string {
  const parsed = parseTemplate(over);
  const only = parsed.ok && parsed.parts.length === 1 ? parsed.parts[0] : undefined;
  if (!only || !('expression' in only)) return `over: "${over}" must be one whole expression`;
  const result = expressionEngine().evaluateExpression(only.expression, { variables: NODE_VARIABLES, needs: Object.keys(upstream) }, { params, upstream });
  if (!result.ok) return `over: ${result.error}`;
  if (!Array.isArray(result.value)) return `over: ${only.expression}: gave ${describe(result.value)}, not a list to map over`;
  return result.value;
}

/**
 * Runs a map node and reports how it ended (never throws; a cancel of the surrounding scope is
 * reported as `cancelled`). Call inside the scope the run's nodes run in.
 */
export async function runMap(start: MapStart, onOutcome: (outcome: NodeOutcome) => void): Promise<void> {
  const over = start.node.over ?? '';
  const items = mapItems(over, start.upstream, start.params);
  if (typeof items === 'string') {
    const errorType = isTemplateText(over) ? EXPRESSION_FAILED : 'TapflowMapItems';
    onOutcome({ kind: 'failed', error: items, errorType, attempts: 1 });
    return;
  }
  // The items travel as `item`; the rest of upstream goes to every item as it is (all of it,
  // when an expression picked the items).
  const source = isTemplateText(over) ? undefined : (over.split('.')[0] as string);
  const upstream = Object.fromEntries(Object.entries(start.upstream).filter(([k]) => k !== source));
  const shardCount = Math.ceil(items.length / MAP_SHARD_SIZE);
  const finished = start.finished ?? new Map<number, unknown[]>();
  const outputs: unknown[][] = [];
  const toRun: number[] = [];
  let done = 0;
  for (let k = 0; k < shardCount; k++) {
    const reused = finished.get(k);
    if (reused) {
      outputs[k] = reused;
      done += reused.length;
    } else {
      toRun.push(k);
    }
  }
  const running = Math.max(1, Math.min(toRun.length, start.maxParallel));
  const concurrency = Math.max(1, Math.floor(start.maxParallel / running));
  const live = new Set<string>();
  let next = 0;
  let failed: NodeOutcome | undefined;
  start.onProgress(done, items.length);

  const runShard = async (k: number): Promise<void> => {
    const workflowId = `${start.baseId}/shard-${k}`;
    const slice = items.slice(k * MAP_SHARD_SIZE, (k + 1) * MAP_SHARD_SIZE);
    const input: MapShardInput = {
      runId: start.runId,
      nodeId: start.nodeId,
      input: start.input,
      params: start.params,
      upstream,
      items: slice,
      offset: k * MAP_SHARD_SIZE,
      concurrency,
      ...(start.node.pipeline
        ? { pipeline: start.node.pipeline as PipelineSpec, meta: start.meta, nesting: { depth: start.nesting.depth + 1, maxDepth: start.nesting.maxDepth } }
        : {
            activity: start.node.activity,
            activityOptions: start.activityOptions,
            ...(start.node.batchSize !== undefined ? { batchSize: start.node.batchSize } : {}),
          }),
      childTaskQueue: start.node.taskQueue ?? start.taskQueue,
    };
    live.add(workflowId);
    start.onShards([...live]);
    try {
      const handle = await startChild(MAP_SHARD_WORKFLOW_TYPE, { workflowId, taskQueue: start.taskQueue, args: [input] });
      outputs[k] = (await handle.result()) as unknown[];
      finished.set(k, outputs[k]);
      done += slice.length;
      start.onProgress(done, items.length);
    } finally {
      live.delete(workflowId);
      start.onShards([...live]);
    }
  };

  // The first shard that fails cancels the others.
  const scope = new CancellationScope();
  const worker = async (): Promise<void> => {
    while (next < toRun.length && !failed) {
      const k = toRun[next++] as number;
      try {
        await runShard(k);
      } catch (err) {
        if (!failed) {
          failed = childFailureOutcome(err);
          if (failed.kind === 'failed') scope.cancel();
        }
      }
    }
  };
  await scope.run(() => Promise.all(Array.from({ length: running }, worker))).catch(() => undefined);
  if (failed) {
    onOutcome(failed);
    return;
  }
  onOutcome({ kind: 'completed', output: outputs.flat(), attempts: 1 });
}
