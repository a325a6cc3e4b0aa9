/**
 * Node states brought up to date with the node attempts. A run's `status` event carries the
 * nodes as the workflow last wrote them to the store, which it does when the run's state
 * changes; the `attempt` events come with every attempt's start and end. So an activity node
 * whose latest attempt is running is shown running, and one whose attempt completed is shown
 * completed, before the next status says so. States only an operator or the run decide (failed,
 * held, skipped, cancelled) are kept as the status has them. Pure.
 * @module live-nodes
 */

const SETTLED = new Set(['failed', 'skipped', 'cancelled']);

/**
 * Remembers what each node is (its kind and activity: they never change in a run) from any
 * status that says, and fills them in where a later status does not (a status rebuilt from the
 * store before the workflow has reported its nodes knows only the spec's ids and needs).
 * @returns {(nodes: Array<{ id: string, kind?: string, activity?: string }>) => Array<object>}
 */
export function createShapeMemory() {
  /** @type {Map<string, { kind?: string, activity?: string }>} */
  const known = new Map();
  return (nodes) =>
    nodes.map((node) => {
      const seen = known.get(node.id) ?? {};
      const shape = { kind: node.kind ?? seen.kind, activity: node.activity || seen.activity };
      known.set(node.id, shape);
      if (node.kind === shape.kind && node.activity === shape.activity) return node;
      return { ...node, ...(shape.kind ? { kind: shape.kind } : {}), ...(shape.activity ? { activity: shape.activity } : {}) };
    });
}

/**
 * @param {Array<{ id: string, state: string, held?: boolean, attempts?: number, startedAt?: string, finishedAt?: string }>} nodes from the status
 * @param {Iterable<{ nodeId: string, attempt: number, outcome: string, startedAt?: string | null, finishedAt?: string | null }>} attempts
 * @returns the nodes, with the ones the attempts tell more about replaced by updated copies
 */
export function withAttempts(nodes, attempts) {
  /** @type {Map<string, { latest: any, first: any }>} */
  const byNode = new Map();
  for (const a of attempts) {
    const seen = byNode.get(a.nodeId);
    if (!seen) byNode.set(a.nodeId, { latest: a, first: a });
    else {
      if (a.attempt > seen.latest.attempt) seen.latest = a;
      if (a.attempt < seen.first.attempt) seen.first = a;
    }
  }
  return nodes.map((node) => {
    const seen = byNode.get(node.id);
    if (!seen || node.held || SETTLED.has(node.state) || node.state === 'completed') return node;
    const { latest, first } = seen;
    const next = { ...node, attempts: Math.max(node.attempts ?? 0, latest.attempt) };
    if (!next.startedAt && first.startedAt) next.startedAt = first.startedAt;
    if (latest.outcome === 'completed') {
      next.state = 'completed';
      if (!next.finishedAt && latest.finishedAt) next.finishedAt = latest.finishedAt;
    } else {
      // Running, or failed and about to be tried again: the node is in flight until the run says otherwise.
      next.state = 'running';
    }
    return next;
  });
}

/**
 * Progress counted over `nodes`, never below what the run reported.
 * @param {{ completed: number, total: number, running?: number, failed?: number, percent?: number } | undefined} reported
 * @param {Array<{ state: string }>} nodes
 */
export function progressOver(reported, nodes) {
  const total = Math.max(reported?.total ?? 0, nodes.length);
  const completed = Math.max(reported?.completed ?? 0, nodes.filter((n) => n.state === 'completed').length);
  return {
    completed,
    total,
    running: nodes.filter((n) => n.state === 'running').length,
    failed: nodes.filter((n) => n.state === 'failed').length,
    percent: total === 0 ? 100 : Math.floor((completed * 100) / total),
  };
}
