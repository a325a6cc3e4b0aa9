/**
 * What each kind of node runs once the pipeline workflow launches it: an activity, a child
 * pipeline, or a map over shard workflows. Builds the call from the run book and returns it
 * unstarted; the workflow decides the scope it runs in (a node with a deadline gets its own).
 * Sleep and event nodes are not here: they wait rather than run (see `waiting-nodes.ts`).
 */
import type { PatchAsker } from './lean-bookkeeping';
import type { NodeSpec, PipelineSpec } from '../core/types';
import { childRunId, runChild } from './child-node';
import { runRepeat } from './repeat-node';
import type { RunMeta } from './definitions';
import { MAP_REUSE_SHARDS_PATCH, runMap } from './map-node';
import { activityOptionsFor, callOptionsFor, executeNode, type NodeCallOptions, type NodeOutcome } from './node-activity';
import type { LocalStepPacer } from './local-steps';
import type { RunBook } from './run-book';

/** What building a node's runner needs from the run. */
export interface RunnerContext {
  book: RunBook;
  spec: PipelineSpec;
  /** The run's workflow id and task queue. */
  runId: string;
  taskQueue: string;
  /** The run's input (its `params`). */
  params: unknown;
  meta: RunMeta;
  /** The run's `maxParallel` (a map's default). */
  maxParallel: number;
  nesting: { depth: number; maxDepth: number };
  /** Child run ids in flight by node: a runner keeps its node's entry current (pause cascades to them). */
  children: Map<string, string[]>;
  /** Whether a change behind a patch applies to this run (see `lean-bookkeeping.ts`). */
  since: PatchAsker;
  /** How each activity node is called, by node id, built once per node. */
  optionsCache: Map<string, NodeCallOptions>;
  /** Counts the local steps that end, so the run ends its workflow task often enough. */
  pacer: LocalStepPacer;
  /** Hands a node's outcome to the workflow. */
  finish(id: string, outcome: NodeOutcome): void;
  /** Resolves once the run may start work (it is not paused); rejects when it is cancelled. */
  mayStart(): Promise<void>;
}

/** Builds what node `id` (an activity, pipeline or map node) runs; call the result to start it. */
export function nodeRunner(ctx: RunnerContext, id: string): () => Promise<void> {
  const node = ctx.book.spec(id);
  const round = (ctx.book.recordOf(id).earlierAttempts ?? 0) + 1;
  if (node.kind === 'map') return mapRunner(ctx, id, node, round);
  if (node.kind === 'pipeline') return pipelineRunner(ctx, id, node, round);
  return activityRunner(ctx, id, node);
}

function mapRunner(ctx: RunnerContext, id: string, node: NodeSpec, round: number): () => Promise<void> {
  const { book, children } = ctx;
  children.set(id, []);
  // A retry of a held map runs only the shards the failed round did not finish.
  const kept = book.takeFinishedShards(id);
  const finished = new Map(kept && ctx.since(MAP_REUSE_SHARDS_PATCH) ? kept : []);
  const start = {
    runId: ctx.runId,
    nodeId: id,
    node,
    baseId: childRunId(ctx.runId, id, round),
    upstream: book.upstreamOf(id),
    input: book.inputOf(id),
    params: ctx.params,
    ...(node.activity ? { activityOptions: activityOptionsFor(ctx.spec, node, ctx.taskQueue) } : {}),
    maxParallel: node.maxParallel ?? ctx.maxParallel,
    meta: childMeta(ctx.meta),
    nesting: ctx.nesting,
    taskQueue: ctx.taskQueue,
    onShards: (running: readonly string[]) => {
      if (children.has(id)) children.set(id, [...running]);
    },
    onProgress: (done: number, total: number) => book.setItems(id, { total, done }),
    finished,
  };
  return () =>
    runMap(start, (outcome) => {
      if (outcome.kind === 'failed') book.keepFinishedShards(id, finished);
      ctx.finish(id, outcome);
    });
}

function pipelineRunner(ctx: RunnerContext, id: string, node: NodeSpec, round: number): () => Promise<void> {
  const { book, nesting } = ctx;
  const childId = childRunId(ctx.runId, id, round);
  if (node.repeat) {
    const repeat = {
      node: { ...node, repeat: node.repeat },
      baseId: childId,
      child: {
        spec: node.pipeline as PipelineSpec,
        meta: childMeta(ctx.meta),
        nesting: { depth: nesting.depth + 1, maxDepth: nesting.maxDepth },
        taskQueue: node.taskQueue ?? ctx.taskQueue,
        parentClose: node.parentClose,
      },
      writtenInput: book.writtenInputOf(id),
      params: ctx.params,
      upstream: book.upstreamOf(id),
      onRound: (repeatRound: number, roundChildId: string, input: unknown) => {
        book.setRound(id, repeatRound);
        book.setChildRunId(id, roundChildId);
        book.setResolvedInput(id, input);
        if (ctx.children.has(id)) ctx.children.set(id, [roundChildId]);
      },
      mayStart: ctx.mayStart,
    };
    ctx.children.set(id, []);
    return () => runRepeat(repeat, (outcome) => ctx.finish(id, outcome));
  }
  book.setChildRunId(id, childId);
  ctx.children.set(id, [childId]);
  const start = {
    workflowId: childId,
    spec: node.pipeline as PipelineSpec,
    params: { input: book.inputOf(id), params: ctx.params, upstream: book.upstreamOf(id) },
    meta: childMeta(ctx.meta),
    nesting: { depth: nesting.depth + 1, maxDepth: nesting.maxDepth },
    taskQueue: node.taskQueue ?? ctx.taskQueue,
    parentClose: node.parentClose,
  };
  return () => runChild(start, (outcome) => ctx.finish(id, outcome));
}

function activityRunner(ctx: RunnerContext, id: string, node: NodeSpec): () => Promise<void> {
  const { book } = ctx;
  let options = ctx.optionsCache.get(id);
  if (!options) {
    options = callOptionsFor(ctx.spec, node, ctx.taskQueue);
    ctx.optionsCache.set(id, options);
  }
  const how = options;
  const earlierAttempts = book.recordOf(id).earlierAttempts;
  const call = {
    input: book.inputOf(id),
    params: ctx.params,
    upstream: book.upstreamOf(id),
    node: {
      runId: ctx.runId,
      nodeId: id,
      key: `${ctx.runId}/${id}`,
      ...(earlierAttempts ? { earlierAttempts } : {}),
    },
  };
  return () =>
    executeNode(node, call, how, (outcome, ms) => {
      if (how.local) ctx.pacer.ended(ms);
      ctx.finish(id, outcome);
    });
}

/** What a child run inherits from its parent's meta. */
function childMeta(meta: RunMeta): RunMeta {
  return {
    ...(meta.user === undefined ? {} : { user: meta.user }),
    ...(meta.groups === undefined ? {} : { groups: meta.groups }),
    ...(meta.tags === undefined ? {} : { tags: meta.tags }),
    ...(meta.priority === undefined ? {} : { priority: meta.priority }),
    ...(meta.site === undefined ? {} : { site: meta.site }),
    ...(meta.onFailure === undefined ? {} : { onFailure: meta.onFailure }),
    createdAt: new Date().toISOString(),
  };
}
