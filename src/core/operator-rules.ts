/**
 * When an operator's node action applies, and what a rerun would do. Pure: the workflow's update
 * validators refuse with these messages, and the client uses the same rules to plan a rerun
 * (`--dry-run`) and to explain a refusal.
 */
import { downstreamOf, buildGraph } from './graph';
import { isFinal, type NodeStatus, type RunState } from './states';
import { withArticle } from './value-checks';

/** The part of a run's status the rules look at. */
export interface RunView {
  state: RunState;
  nodes: readonly NodeStatus[];
}

/** Most bytes of JSON an operator may give as an input, an output or an event's data. */
export const MAX_OPERATOR_PAYLOAD_BYTES = 512 * 1024;

/** Kinds whose input an operator may change (the others take no `input`). */
const KINDS_WITH_INPUT = new Set([undefined, 'pipeline', 'map']);

function liveRefusal(action: string, run: RunView): string | undefined {
  if (isFinal(run.state)) {
    const hint = action === 'rerun' ? '' : `; use "tapflow rerun ID --from NODE" to run it again as a new run`;
    return `cannot ${action}: the run has already ended (${run.state})${hint}`;
  }
  if (run.state === 'cancelling') return `cannot ${action}: the run is being cancelled`;
  return undefined;
}

function findNode(action: string, run: RunView, id: string): NodeStatus | string {
  const node = run.nodes.find((n) => n.id === id);
  if (node) return node;
  const names = run.nodes.slice(0, 8).map((n) => n.id).join(', ');
  return `cannot ${action}: the run has no node "${id}" (nodes: ${names}${run.nodes.length > 8 ? ', ...' : ''})`;
}

/** Why a payload (input, output, event data) cannot be taken, or `undefined`. */
export function payloadRefusal(what: string, value: unknown): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return `${what} is not JSON`;
  }
  const bytes = text === undefined ? 0 : new TextEncoder().encode(text).length;
  if (bytes > MAX_OPERATOR_PAYLOAD_BYTES) {
    return `${what} is ${bytes} bytes of JSON; at most ${MAX_OPERATOR_PAYLOAD_BYTES} are taken (pass a reference to larger data)`;
  }
  return undefined;
}

/** Why `retry` does not apply to `nodeId`, or `undefined` when it does. */
export function retryRefusal(run: RunView, nodeId: string, input?: { value: unknown }): string | undefined {
  const live = liveRefusal('retry', run);
  if (live) return live;
  const node = findNode('retry', run, nodeId);
  if (typeof node === 'string') return node;
  if (!node.held) {
    const instead = node.state === 'completed' || node.state === 'skipped' ? `; use "tapflow rerun ID --from ${node.id}"` : '';
    return `cannot retry: node "${node.id}" is ${node.state}, not held${instead}`;
  }
  if (input) {
    if (!KINDS_WITH_INPUT.has(node.kind)) return `cannot retry with an input: node "${node.id}" is ${withArticle(node.kind ?? 'activity')} node and takes none`;
    return payloadRefusal('the input', input.value);
  }
  return undefined;
}

/** Why `skip` does not apply to `nodeId`, or `undefined` when it does. */
export function skipRefusal(run: RunView, nodeId: string, output: unknown): string | undefined {
  const live = liveRefusal('skip', run);
  if (live) return live;
  const node = findNode('skip', run, nodeId);
  if (typeof node === 'string') return node;
  if (!node.held && node.state !== 'pending') {
    return `cannot skip: node "${node.id}" is ${node.state}; skip applies to a held or pending node`;
  }
  return payloadRefusal('the output', output);
}

/** Why `edit` does not apply to `nodeId`, or `undefined` when it does. */
export function editRefusal(run: RunView, nodeId: string, input: unknown): string | undefined {
  const live = liveRefusal('edit', run);
  if (live) return live;
  const node = findNode('edit', run, nodeId);
  if (typeof node === 'string') return node;
  if (!KINDS_WITH_INPUT.has(node.kind)) return `cannot edit: node "${node.id}" is ${withArticle(node.kind ?? 'activity')} node and takes no input`;
  if (node.held) return payloadRefusal('the input', input);
  if (node.state !== 'pending') return `cannot edit: node "${node.id}" is ${node.state}; only a pending or held node's input can change`;
  if (run.state !== 'paused') {
    return `cannot edit: the run is ${run.state}; pause it first (tapflow pause ID) so the node cannot start while you edit`;
  }
  return payloadRefusal('the input', input);
}

/** What a rerun from a node would do. */
export interface RerunPlan {
  from: string;
  /** The node and everything downstream of it, in spec order: these run again. */
  rerun: string[];
  /**
   * Nodes outside that set whose outputs are kept: completed or skipped ones. (For an ended run,
   * the client keeps only those whose outputs the store holds; the others run again too.)
   */
  reused: string[];
  /** Nodes outside the set that have not finished: they carry on as they are. */
  unaffected: string[];
}

/**
 * The rerun plan from `from`: `rerun` is `from` and everything downstream of it.
 *
 * @returns the plan, or a refusal message.
 */
export function planRerun(run: RunView, from: string): RerunPlan | string {
  const node = findNode('rerun', run, from);
  if (typeof node === 'string') return node;
  const graph = buildGraph(run.nodes.map((n) => ({ id: n.id, needs: n.needs })));
  const set = new Set([from, ...downstreamOf(graph, from)]);
  const rerun = graph.ids.filter((id) => set.has(id));
  const reused: string[] = [];
  const unaffected: string[] = [];
  for (const n of run.nodes) {
    if (set.has(n.id)) continue;
    if (n.state === 'completed' || n.state === 'skipped') reused.push(n.id);
    else unaffected.push(n.id);
  }
  return { from, rerun, reused, unaffected };
}

/**
 * Why a rerun from `from` cannot happen in this (live) run, or `undefined` when it can. An ended
 * run is rerun as a new run; see `TapflowClient.rerun`.
 */
export function rerunRefusal(run: RunView, from: string): string | undefined {
  const live = liveRefusal('rerun', run);
  if (live) return live;
  const plan = planRerun(run, from);
  if (typeof plan === 'string') return plan;
  const byId = new Map(run.nodes.map((n) => [n.id, n]));
  const inFlight = plan.rerun.filter((id) => byId.get(id)?.state === 'running');
  if (inFlight.length > 0) {
    return `cannot rerun from "${from}": ${list(inFlight)} ${inFlight.length === 1 ? 'is' : 'are'} in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun`;
  }
  const set = new Set(plan.rerun);
  for (const id of plan.rerun) {
    for (const need of byId.get(id)?.needs ?? []) {
      if (!set.has(need) && byId.get(need)?.outputDropped) {
        return `cannot rerun from "${from}": the run no longer holds the output of "${need}" (dropped when it continued as new); rerun from "${need}" or further up`;
      }
    }
  }
  return undefined;
}

/** Why an event cannot be delivered, or `undefined` when some unfinished node takes it. */
export function sendRefusal(run: RunView, event: string, data: unknown): string | undefined {
  const live = liveRefusal('send an event', run);
  if (live) return live;
  const takers = eventTakers(run, event);
  if (takers.waiting.length + takers.later.length === 0) {
    const waiting = run.nodes.filter((n) => n.waitingFor).map((n) => `${n.id} (${n.waitingFor})`);
    return `no node of this run waits for event "${event}"${waiting.length > 0 ? `; waiting: ${waiting.join(', ')}` : ''}`;
  }
  return payloadRefusal('the event data', data);
}

/**
 * The nodes an event goes to: event nodes of that name waiting now, and pending ones that will
 * take it when they start.
 */
export function eventTakers(run: RunView, event: string): { waiting: string[]; later: string[] } {
  const waiting: string[] = [];
  const later: string[] = [];
  for (const n of run.nodes) {
    if (n.kind !== 'event' || n.activity !== `event:${event}`) continue;
    if (n.state === 'running') waiting.push(n.id);
    else if (n.state === 'pending') later.push(n.id);
  }
  return { waiting, later };
}

function list(ids: readonly string[]): string {
  const quoted = ids.slice(0, 5).map((id) => `"${id}"`);
  return ids.length > 5 ? `${quoted.join(', ')} and ${ids.length - 5} more` : quoted.join(', ');
}
