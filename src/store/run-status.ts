/**
 * A run's status (the shape of the `status` query and `tapflow status --json`) rebuilt from what
 * the store keeps, for a run Temporal can no longer answer for. Pure.
 *
 * The run row's `nodes` (every node's status as the workflow last reported it) is used as it is.
 * Rows written before the workflow reported nodes have none: their nodes are rebuilt from the
 * row's `spec` (ids, activities, needs, in spec order) and the node attempts, and the node's
 * state read from its last attempt and the run's state.
 */
import type { NodeState, NodeStatus, Progress, RunState, RunStatus } from '../core/states';
import type { NodeAttemptRecord, RunRecord } from './types';

/**
 * The status of `run` as the store last recorded it.
 *
 * - `runId` is the run's first Temporal run id, or `''` when the store never learned it.
 * - `startedAt` is when the run started, or when it was created if its start was not recorded.
 * - `progress.completed`, `.skipped` and `.total` are the counts the workflow reported, when it
 *   reported any (`skipped` is counted from the nodes for rows written before the store kept it);
 *   `running` and `failed` are counted from the nodes. `percent` counts skipped nodes as done,
 *   as the workflow's own progress does.
 *
 * @param attempts the run's node attempts; read only when the row has no `nodes`.
 */
export function runStatusFromStore(run: RunRecord, attempts: readonly NodeAttemptRecord[] = []): RunStatus {
  const nodes = run.nodes ? run.nodes.map(copyNode) : nodesFromAttempts(run, attempts);
  const status: RunStatus = {
    workflowId: run.workflowId,
    runId: run.firstRunId ?? '',
    pipeline: run.pipeline,
    state: run.state,
    progress: progressOf(run, nodes),
    nodes,
    startedAt: (run.startedAt ?? run.createdAt).toISOString(),
  };
  if (run.pipelineVersion !== null && run.pipelineVersion !== undefined) status.pipelineVersion = run.pipelineVersion;
  if (run.scheduleId) status.scheduleId = run.scheduleId;
  if (run.reason) status.reason = run.reason;
  if (run.finishedAt) status.finishedAt = run.finishedAt.toISOString();
  return status;
}

function copyNode(node: NodeStatus): NodeStatus {
  return { ...node, needs: [...(node.needs ?? [])] };
}

function progressOf(run: RunRecord, nodes: readonly NodeStatus[]): Progress {
  const reported = run.progressTotal > 0;
  const total = reported ? run.progressTotal : nodes.length;
  const completed = reported ? run.progressCompleted : nodes.filter((n) => n.state === 'completed').length;
  const counted = nodes.filter((n) => n.state === 'skipped').length;
  // A row written before migration 9 (or by a writer that does not send it) has 0 skipped even
  // when its nodes say otherwise: the nodes are the better answer then.
  const skipped = Math.max(reported ? (run.progressSkipped ?? 0) : 0, counted);
  return {
    completed,
    skipped,
    total,
    running: nodes.filter((n) => n.state === 'running').length,
    failed: nodes.filter((n) => n.state === 'failed').length,
    percent: total === 0 ? 100 : Math.floor(((completed + skipped) * 100) / total),
  };
}

interface SpecNode {
  id: string;
  activity: string;
  needs: string[];
}

/** The spec's nodes, or, when the row has no readable spec, the nodes its attempts name. */
function specNodes(spec: unknown, attempts: readonly NodeAttemptRecord[]): SpecNode[] {
  const listed = (spec as { nodes?: unknown } | null | undefined)?.nodes;
  if (Array.isArray(listed)) {
    const nodes: SpecNode[] = [];
    for (const entry of listed as Array<Record<string, unknown> | null>) {
      if (typeof entry?.id !== 'string') continue;
      nodes.push({
        id: entry.id,
        activity: typeof entry.activity === 'string' ? entry.activity : '',
        needs: Array.isArray(entry.needs) ? entry.needs.filter((n): n is string => typeof n === 'string') : [],
      });
    }
    if (nodes.length > 0) return nodes;
  }
  const seen = new Map<string, SpecNode>();
  for (const a of attempts) if (!seen.has(a.nodeId)) seen.set(a.nodeId, { id: a.nodeId, activity: a.activity, needs: [] });
  return [...seen.values()];
}

function nodesFromAttempts(run: RunRecord, attempts: readonly NodeAttemptRecord[]): NodeStatus[] {
  const byNode = new Map<string, NodeAttemptRecord[]>();
  for (const a of attempts) byNode.set(a.nodeId, [...(byNode.get(a.nodeId) ?? []), a]);
  return specNodes(run.spec, attempts).map((spec) => {
    const tries = (byNode.get(spec.id) ?? []).slice().sort((x, y) => x.attempt - y.attempt);
    const last = tries[tries.length - 1];
    const state = nodeState(last, run.state);
    const node: NodeStatus = { id: spec.id, activity: spec.activity, needs: spec.needs, state, attempts: last?.attempt ?? 0 };
    const started = tries.map((t) => t.startedAt).filter((t): t is Date => t !== null);
    if (started.length > 0) node.startedAt = new Date(Math.min(...started.map((t) => t.getTime()))).toISOString();
    if (state !== 'pending' && state !== 'running') {
      const finished = last?.finishedAt ?? run.finishedAt;
      if (finished) node.finishedAt = finished.toISOString();
    }
    const failedTry = state === 'completed' ? undefined : [...tries].reverse().find((t) => t.errorMessage !== null);
    if (failedTry?.errorMessage) {
      node.error = failedTry.errorMessage;
      if (failedTry.errorType) node.errorType = failedTry.errorType;
    }
    return node;
  });
}

/**
 * A node's state from its last attempt and the run's state. A run completes only once every
 * node has; a failed attempt of a run still going is waiting for its retry (`running`, as the
 * live status shows it); a node that never ran is `skipped` in a failed run and `cancelled` in a
 * cancelled one.
 */
function nodeState(last: NodeAttemptRecord | undefined, run: RunState): NodeState {
  if (run === 'completed') return 'completed';
  const ended = run === 'failed' || run === 'cancelled';
  if (!last) return run === 'failed' ? 'skipped' : run === 'cancelled' ? 'cancelled' : 'pending';
  switch (last.outcome) {
    case 'completed':
      return 'completed';
    case 'cancelled':
      return 'cancelled';
    case 'running':
      return ended ? (run as 'failed' | 'cancelled') : 'running';
    case 'failed':
    case 'timed_out':
      if (run === 'cancelled') return 'cancelled';
      return ended || run === 'held' ? 'failed' : 'running';
  }
}
