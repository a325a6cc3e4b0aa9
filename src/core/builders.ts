/**
 * TypeScript builders that produce the same spec a JSON/YAML file would.
 *
 * ```ts
 * const spec = pipeline('report', chain(
 *   step('split', 'splitCorpus', { input: { path: 'examples/data/corpus.txt' } }),
 *   group(step('countA', 'countWords'), step('countB', 'countWords')),
 *   step('merge', 'mergeCounts'),
 * ));
 * ```
 * `chain` makes each part need the one before it (a group's members all need the previous part,
 * and the next part needs every member), so each node's output reaches the next through
 * `upstream`, Celery-chain style. `group` runs its parts side by side. `dag` takes nodes whose
 * `needs` are written by hand.
 */
import type { NodeSpec, PipelineSpec } from './types';

/** A piece of a pipeline: its nodes, where it begins (entries) and where it ends (exits). */
export interface Fragment {
  nodes: NodeSpec[];
  /** Nodes with no predecessor inside the fragment. */
  entries: string[];
  /** Nodes with no successor inside the fragment. */
  exits: string[];
}

/** Options of {@link step}: any node field except `id` and `activity`. */
export type StepOptions = Omit<NodeSpec, 'id' | 'activity'>;

/** One activity node. */
export function step(id: string, activity: string, options: StepOptions = {}): Fragment {
  const node: NodeSpec = { id, activity, ...options };
  return { nodes: [node], entries: [id], exits: [id] };
}

/** Parts that run one after another; each part needs every exit of the part before. */
export function chain(...parts: Array<Fragment | NodeSpec>): Fragment {
  const frags = parts.map(toFragment);
  const nodes: NodeSpec[] = [];
  let previousExits: string[] = [];
  for (const frag of frags) {
    if (frag.nodes.length === 0) continue;
    for (const node of frag.nodes) {
      if (frag.entries.includes(node.id) && previousExits.length > 0) {
        nodes.push({ ...node, needs: unique([...(node.needs ?? []), ...previousExits]) });
      } else nodes.push(node);
    }
    previousExits = frag.exits;
  }
  return { nodes, entries: frags.find((f) => f.nodes.length > 0)?.entries ?? [], exits: previousExits };
}

/** Parts that run side by side. */
export function group(...parts: Array<Fragment | NodeSpec>): Fragment {
  const frags = parts.map(toFragment);
  return {
    nodes: frags.flatMap((f) => f.nodes),
    entries: frags.flatMap((f) => f.entries),
    exits: frags.flatMap((f) => f.exits),
  };
}

/** Nodes whose `needs` are given explicitly. */
export function dag(...nodes: NodeSpec[]): Fragment {
  const needed = new Set(nodes.flatMap((n) => n.needs ?? []));
  return {
    nodes,
    entries: nodes.filter((n) => (n.needs ?? []).length === 0).map((n) => n.id),
    exits: nodes.filter((n) => !needed.has(n.id)).map((n) => n.id),
  };
}

/** Wraps a fragment into a named pipeline spec. Validate it with `validateSpec` before use. */
export function pipeline(
  name: string,
  body: Fragment | NodeSpec,
  options: Omit<PipelineSpec, 'name' | 'nodes'> = {},
): PipelineSpec {
  return { name, ...options, nodes: toFragment(body).nodes };
}

function toFragment(part: Fragment | NodeSpec): Fragment {
  if ('nodes' in part && Array.isArray(part.nodes)) return part;
  const node = part as NodeSpec;
  return { nodes: [node], entries: [node.id], exits: [node.id] };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
