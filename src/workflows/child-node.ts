/**
 * `pipeline` nodes: another spec run as a child workflow of the pipeline workflow, with its own
 * run id (`<parent id>/<node id>`, and `.<n>` for an operator's later rounds), its own status and
 * its own record in the store. The child's result is the node's output; its failure is the node's
 * failure, naming the child's failed node.
 *
 * Cancel reaches children through the node scope (Temporal asks the child to cancel and waits for
 * it to finish cancelling); pause and resume reach them as signals (see `cascade`).
 */
import type { PipelineRunArgs } from './run-args';
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  getExternalWorkflowHandle,
  isCancellation,
  startChild,
  type ChildWorkflowOptions,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { ParentClosePolicy as SpecParentClose, PipelineSpec } from '../core/types';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
  type ControlRequest,
  type RunMeta,
} from './definitions';
import type { NodeOutcome } from './node-activity';

const PARENT_CLOSE: Record<SpecParentClose, ChildWorkflowOptions['parentClosePolicy']> = {
  cancel: ParentClosePolicy.REQUEST_CANCEL,
  terminate: ParentClosePolicy.TERMINATE,
  abandon: ParentClosePolicy.ABANDON,
};

/** What a child run is started with. */
export interface ChildStart {
  /** The child's run id. */
  workflowId: string;
  spec: PipelineSpec;
  /** The child's run input: `{ input, params, upstream }` (and `item`, `index` in a map). */
  params: unknown;
  /** What the child inherits from the parent run (user, groups, tags, priority). */
  meta: RunMeta;
  /** How deep the child is nested, and the limit. */
  nesting: { depth: number; maxDepth: number };
  taskQueue: string;
  parentClose?: SpecParentClose;
}

/** The child run id of a node's `round`-th round (1 for the first). */
export function childRunId(parentId: string, nodeId: string, round: number): string {
  return round <= 1 ? `${parentId}/${nodeId}` : `${parentId}/${nodeId}.${round}`;
}

/**
 * Starts a child run and reports how it ended to `onOutcome` (never throws; cancellation of the
 * surrounding scope is reported as `cancelled`). Call inside the scope the run's nodes run in.
 *
 * @returns a promise that settles after `onOutcome` has run.
 */
export function runChild(start: ChildStart, onOutcome: (outcome: NodeOutcome) => void): Promise<void> {
  const input: PipelineRunArgs = { spec: start.spec, params: start.params, meta: start.meta, nesting: start.nesting };
  const options: ChildWorkflowOptions = {
    workflowId: start.workflowId,
    taskQueue: start.taskQueue,
    parentClosePolicy: PARENT_CLOSE[start.parentClose ?? 'cancel'],
    typedSearchAttributes: [
      { key: PIPELINE_SEARCH_ATTRIBUTE, value: start.spec.name },
      { key: STATE_SEARCH_ATTRIBUTE, value: 'running' },
      { key: PROGRESS_SEARCH_ATTRIBUTE, value: 0 },
    ],
    staticSummary: `tapflow pipeline ${start.spec.name} (child)`,
    ...(start.meta.priority === undefined ? {} : { priority: { priorityKey: start.meta.priority } }),
  };
  return startChild(PIPELINE_WORKFLOW_TYPE, { ...options, args: [input] })
    .then((handle) => handle.result())
    .then(
      (result) => onOutcome({ kind: 'completed', output: result, attempts: 1 }),
      (err: unknown) => onOutcome(childFailure(start.workflowId, err)),
    );
}

/**
 * How a child workflow's end by error counts for its node: cancelled when it was cancelled,
 * else failed with the child's own message (after `prefix`) and failure type.
 */
export function childFailureOutcome(err: unknown, prefix = ''): NodeOutcome {
  if (isCancellation(err)) return { kind: 'cancelled', attempts: 1 };
  const cause = err instanceof ChildWorkflowFailure ? (err.cause ?? err) : err;
  if (isCancellation(cause)) return { kind: 'cancelled', attempts: 1 };
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : (cause as Error | undefined)?.name;
  return { kind: 'failed', error: `${prefix}${message}`, errorType: type, attempts: 1 };
}

function childFailure(workflowId: string, err: unknown): NodeOutcome {
  if (err instanceof ChildWorkflowFailure || isCancellation(err)) return childFailureOutcome(err, `child run ${workflowId}: `);
  // The child could not start (its id is taken by a run that is still open, ...).
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'failed', error: `child run ${workflowId} could not start: ${message}`, errorType: 'TapflowChildNotStarted', attempts: 1 };
}

/**
 * Passes a pause or resume on to running children, as a signal (a child that has just ended
 * misses it, which is fine). Each child gets its own request id, derived from the parent's, so a
 * resent request is still taken once.
 */
export function cascade(signal: SignalDefinition<[ControlRequest]>, childIds: readonly string[], request: ControlRequest): void {
  for (const id of childIds) {
    const forwarded: ControlRequest = { ...request, reason: request.reason ?? `from the parent run` };
    if (request.requestId) forwarded.requestId = `${request.requestId}/${id}`;
    void getExternalWorkflowHandle(id)
      .signal(signal, forwarded)
      .catch(() => undefined);
  }
}
