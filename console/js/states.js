/**
 * Run and node states, and when each control applies: the same rules as the API's
 * (src/core/run-transitions.ts `refusal`, src/core/operator-rules.ts `retryRefusal` and
 * `skipRefusal`), with the same words, so a button is enabled exactly when the run would take
 * the action and a disabled one says why. test/console/console.test.ts checks that the two agree
 * for every state.
 * @module states
 */

/** Every run state, in the order a run usually meets them. */
export const RUN_STATES = ['queued', 'running', 'pausing', 'paused', 'held', 'cancelling', 'cancelled', 'completed', 'failed', 'terminated'];

/** Every node state. `held` is not one: it is a failed node's flag, drawn as its own colour. */
export const NODE_STATES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'];

/** What the legend and the badges say about each state. */
export const STATE_HELP = {
  pending: 'waits for the nodes it needs',
  running: 'in flight',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'not run: skipped (by an operator or an event timeout, with an output, unless its cause says otherwise)',
  held: 'failed; waits for an operator (retry or skip)',
  pausing: 'pause asked; nodes in flight finish',
  paused: 'nothing starts until resumed',
  cancelling: 'cancel asked; nodes in flight are being cancelled',
  queued: 'waits for a concurrency slot; no node has started',
  terminated: 'ended by Temporal (a terminate or an execution timeout), not by the run',
};

/**
 * Why a skipped node was skipped (`skipCause` in its status; SKIP_CAUSES in src/core/states.ts),
 * in the words the legend and the node's tooltip use.
 */
export const SKIP_HELP = {
  condition: 'not run: its condition (when) was false; a branch not taken',
  upstream: 'not run: its trigger rule could no longer be met (a need failed or was skipped), or the run ended first',
  operator: 'skipped by an operator; their output stands in',
  timeout: 'its event did not come in time; skipped, as its onTimeout says',
};

const FINAL = new Set(['cancelled', 'completed', 'failed', 'terminated']);

/**
 * Whether a run in `state` has ended.
 * @param {string} state
 */
export function isFinal(state) {
  return FINAL.has(state);
}

/**
 * Why a run in `state` cannot take `action` (pause, resume, cancel), or `undefined` when it can.
 * @param {'pause' | 'resume' | 'cancel'} action
 * @param {string} state
 * @returns {string | undefined}
 */
export function runRefusal(action, state) {
  if (isFinal(state)) return `cannot ${action}: the run has already ended (${state})`;
  switch (action) {
    case 'pause':
      if (state === 'pausing' || state === 'paused') return `cannot pause: the run is already ${state}`;
      if (state === 'cancelling') return 'cannot pause: the run is being cancelled';
      return undefined;
    case 'resume':
      if (state === 'pausing' || state === 'paused') return undefined;
      if (state === 'cancelling') return 'cannot resume: the run is being cancelled';
      if (state === 'held') return 'cannot resume: the run is held, not paused; retry or skip the held node (tapflow retry|skip ID NODE)';
      return `cannot resume: the run is ${state}, not paused`;
    case 'cancel':
      if (state === 'cancelling') return 'cannot cancel: the run is already being cancelled';
      return undefined;
    default:
      return `unknown action ${action}`;
  }
}

function liveRefusal(action, run) {
  if (isFinal(run.state)) {
    const hint = action === 'rerun' ? '' : `; use "tapflow rerun ID --from NODE" to run it again as a new run`;
    return `cannot ${action}: the run has already ended (${run.state})${hint}`;
  }
  if (run.state === 'cancelling') return `cannot ${action}: the run is being cancelled`;
  return undefined;
}

function findNode(action, run, id) {
  const node = run.nodes.find((n) => n.id === id);
  if (node) return node;
  const names = run.nodes.slice(0, 8).map((n) => n.id).join(', ');
  return `cannot ${action}: the run has no node "${id}" (nodes: ${names}${run.nodes.length > 8 ? ', ...' : ''})`;
}

/**
 * Why `retry` does not apply to a node, or `undefined` when it does (the node is held and the run live).
 * @param {{ state: string, nodes: Array<{ id: string, state: string, held?: boolean }> }} run
 * @param {string} nodeId
 * @returns {string | undefined}
 */
export function retryRefusal(run, nodeId) {
  const live = liveRefusal('retry', run);
  if (live) return live;
  const node = findNode('retry', run, nodeId);
  if (typeof node === 'string') return node;
  if (!node.held) {
    const instead = node.state === 'completed' || node.state === 'skipped' ? `; use "tapflow rerun ID --from ${node.id}"` : '';
    return `cannot retry: node "${node.id}" is ${node.state}, not held${instead}`;
  }
  return undefined;
}

/**
 * Why `skip` does not apply to a node, or `undefined` when it does (held or pending, run live).
 * @param {{ state: string, nodes: Array<{ id: string, state: string, held?: boolean }> }} run
 * @param {string} nodeId
 * @returns {string | undefined}
 */
export function skipRefusal(run, nodeId) {
  const live = liveRefusal('skip', run);
  if (live) return live;
  const node = findNode('skip', run, nodeId);
  if (typeof node === 'string') return node;
  if (!node.held && node.state !== 'pending') {
    return `cannot skip: node "${node.id}" is ${node.state}; skip applies to a held or pending node`;
  }
  return undefined;
}

/**
 * The events the run's event nodes wait for now (running) or will take when they start (pending).
 * @param {{ nodes: Array<{ kind?: string, activity?: string, state: string }> }} run
 * @returns {string[]}
 */
export function awaitedEvents(run) {
  const names = new Set();
  for (const n of run.nodes) {
    if (n.kind !== 'event' || typeof n.activity !== 'string' || !n.activity.startsWith('event:')) continue;
    if (n.state === 'running' || n.state === 'pending') names.add(n.activity.slice('event:'.length));
  }
  return [...names];
}

/**
 * The class a node is drawn with: its state, or `held` for a failed node waiting for an operator.
 * @param {{ state: string, held?: boolean }} node
 */
export function nodeLook(node) {
  return node.held ? 'held' : node.state;
}

/**
 * A skipped node's cause (`condition`, `upstream`, `operator`, `timeout`), or `undefined` for any
 * other node and for a skip recorded before causes were kept. A cause this page does not know is
 * returned as it is (shown as words, drawn as a plain skip).
 * @param {{ state: string, skipCause?: string }} node
 * @returns {string | undefined}
 */
export function skipCauseOf(node) {
  return node.state === 'skipped' && typeof node.skipCause === 'string' && node.skipCause ? node.skipCause : undefined;
}

/**
 * A node's state in words, with a skip's cause: `skipped (condition)`, else as {@link nodeLook}.
 * @param {{ state: string, held?: boolean, skipCause?: string }} node
 */
export function stateWords(node) {
  const cause = skipCauseOf(node);
  return cause ? `skipped (${cause})` : nodeLook(node);
}
