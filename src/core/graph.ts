/**
 * The pipeline as a graph: topological order, parallel levels, leaves, cycles.
 * Pure and deterministic (ties are always broken by the nodes' order in the spec), because the
 * workflow uses it to decide what starts next.
 */

/** The part of a node the graph needs. */
export interface GraphNode {
  id: string;
  needs?: readonly string[];
}

/** A pipeline's graph, indexed for the scheduler. */
export interface PipelineGraph {
  /** Node ids in spec order. */
  ids: string[];
  /** Position of each id in the spec. */
  index: Map<string, number>;
  /** For each node, the nodes that need it, in spec order. */
  dependents: Map<string, string[]>;
  /** For each node, the nodes it needs (deduplicated). */
  needs: Map<string, string[]>;
  /** Ids in a topological order (Kahn's algorithm; ready ties go by spec order). */
  order: string[];
  /** Parallel levels: level k holds the nodes whose longest path back to a root has k edges. */
  levels: string[][];
  /** Nodes nothing depends on, in spec order: their outputs form the run's result. */
  leaves: string[];
}

/**
 * Builds the graph of nodes whose ids are unique and whose `needs` all name existing nodes.
 *
 * @throws Error when the graph has a cycle; validate the spec first with `validateSpec`.
 */
export function buildGraph(nodes: readonly GraphNode[]): PipelineGraph {
  const ids = nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const needs = new Map<string, string[]>();
  const dependents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const node of nodes) {
    const unique = [...new Set(node.needs ?? [])];
    needs.set(node.id, unique);
    for (const need of unique) dependents.get(need)?.push(node.id);
  }

  const remaining = new Map(ids.map((id) => [id, needs.get(id)?.length ?? 0]));
  const level = new Map<string, number>();
  const ready = new MinIndexQueue(index);
  for (const id of ids) if (remaining.get(id) === 0) ready.push(id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    const myLevel = Math.max(-1, ...(needs.get(id) ?? []).map((n) => level.get(n) ?? 0)) + 1;
    level.set(id, myLevel);
    for (const dep of dependents.get(id) ?? []) {
      const left = (remaining.get(dep) ?? 0) - 1;
      remaining.set(dep, left);
      if (left === 0) ready.push(dep);
    }
  }
  if (order.length !== ids.length) {
    const cycle = findCycle(nodes);
    throw new Error(`cycle: ${(cycle ?? []).join(' -> ')}`);
  }

  const levels: string[][] = [];
  for (const id of order) {
    const l = level.get(id) ?? 0;
    (levels[l] ??= []).push(id);
  }
  for (const l of levels) l.sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
  const leaves = ids.filter((id) => (dependents.get(id)?.length ?? 0) === 0);
  return { ids, index, dependents, needs, order, levels, leaves };
}

/**
 * Finds one cycle, as the path that closes it (`["a", "b", "c", "a"]`), or `undefined`.
 * Needs naming unknown nodes are ignored. Iterative, so deep chains do not overflow the stack.
 */
export function findCycle(nodes: readonly GraphNode[]): string[] | undefined {
  const needs = new Map<string, readonly string[]>(nodes.map((n) => [n.id, n.needs ?? []]));
  const state = new Map<string, 'open' | 'done'>();
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const path: string[] = [];
    const stack: Array<{ id: string; next: number }> = [{ id: start.id, next: 0 }];
    state.set(start.id, 'open');
    path.push(start.id);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; next: number };
      const list = needs.get(top.id) ?? [];
      if (top.next >= list.length) {
        state.set(top.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const child = list[top.next++] as string;
      if (!needs.has(child)) continue;
      const s = state.get(child);
      if (s === 'open') {
        // The path runs against the edges (a node -> what it needs); report it in run order.
        const cycle = path.slice(path.indexOf(child)).concat(child);
        return cycle.reverse();
      }
      if (s === 'done') continue;
      state.set(child, 'open');
      path.push(child);
      stack.push({ id: child, next: 0 });
    }
  }
  return undefined;
}

/** All nodes downstream of `from` (not including it), in spec order. */
export function downstreamOf(graph: PipelineGraph, from: string): string[] {
  const seen = new Set<string>();
  const stack = [...(graph.dependents.get(from) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(graph.dependents.get(id) ?? []));
  }
  return graph.ids.filter((id) => seen.has(id));
}

/**
 * A priority queue of node ids ordered by their position in the spec, so that when several
 * nodes are ready the earliest-declared starts first. Binary heap: O(log n) per operation.
 */
export class MinIndexQueue {
  private readonly heap: string[] = [];

  constructor(private readonly index: ReadonlyMap<string, number>) {}

  get size(): number {
    return this.heap.length;
  }

  push(id: string): void {
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key(h[parent] as string) <= this.key(h[i] as string)) break;
      [h[parent], h[i]] = [h[i] as string, h[parent] as string];
      i = parent;
    }
  }

  /** The earliest-declared id, left in the queue. Call only when `size > 0`. */
  peek(): string {
    return this.heap[0] as string;
  }

  /** Removes and returns the earliest-declared id. Call only when `size > 0`. */
  pop(): string {
    const h = this.heap;
    const top = h[0] as string;
    const last = h.pop() as string;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.key(h[l] as string) < this.key(h[m] as string)) m = l;
        if (r < h.length && this.key(h[r] as string) < this.key(h[m] as string)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i] as string, h[m] as string];
        i = m;
      }
    }
    return top;
  }

  private key(id: string): number {
    return this.index.get(id) ?? Number.MAX_SAFE_INTEGER;
  }
}
