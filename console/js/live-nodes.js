/**
 * What the run page shows of a run's nodes and progress. Node states and progress are the run's
 * own (the `nodes` and `progress` of its status: what `GET /api/runs/:id`, `tapflow status` and
 * the event streams show), never worked out again from the node attempts: attempts know nothing
 * of a map node's items, an event node waiting, a sleep or a child run, so states read from them
 * disagreed with every other view (a map node pending with all its items done, a waiting event
 * node pending). Attempts only add detail: how many there were, and when the first started. Pure.
 * @module live-nodes
 */

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
 * The nodes with the detail their attempts add: the attempt count (an activity retrying has made
 * attempts its run counts only once it ends) and the first attempt's start. Never the state.
 * @param {Array<{ id: string, state: string, attempts?: number, startedAt?: string }>} nodes from the status
 * @param {Iterable<{ nodeId: string, attempt: number, startedAt?: string | null }>} attempts
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
    // A node that has not started (again, after a retry or rerun) keeps what its status says.
    if (!seen || node.state === 'pending') return node;
    const attemptsMade = Math.max(node.attempts ?? 0, seen.latest.attempt);
    const startedAt = node.startedAt ?? seen.first.startedAt ?? undefined;
    if (attemptsMade === node.attempts && startedAt === node.startedAt) return node;
    return { ...node, attempts: attemptsMade, ...(startedAt ? { startedAt } : {}) };
  });
}

/**
 * The run's progress as it reported it. Statuses from before the skipped count have none: it is
 * counted from the nodes then, and the percentage counts skipped nodes as done, as the run's own.
 * @param {{ completed: number, skipped?: number, total: number, running?: number, failed?: number, percent?: number } | undefined} reported
 * @param {Array<{ state: string }>} nodes
 * @returns {{ completed: number, skipped: number, total: number, running: number, failed: number, percent: number }}
 */
export function progressOf(reported, nodes) {
  const count = (state) => nodes.filter((n) => n.state === state).length;
  const total = reported && reported.total > 0 ? reported.total : nodes.length;
  const completed = reported && reported.total > 0 ? reported.completed : count('completed');
  const skipped = reported?.skipped ?? count('skipped');
  return {
    completed,
    skipped,
    total,
    running: reported?.running ?? count('running'),
    failed: reported?.failed ?? count('failed'),
    percent: reported?.percent ?? (total === 0 ? 100 : Math.floor(((completed + skipped) * 100) / total)),
  };
}
