import { buildGraph, downstreamOf, findCycle, MinIndexQueue, type GraphNode } from '../../src/core/graph';

/** A deterministic pseudo-random generator (mulberry32), so "random" tests never flake. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chainOf(n: number): GraphNode[] {
  return Array.from({ length: n }, (_, i) => ({ id: `n${i}`, needs: i === 0 ? [] : [`n${i - 1}`] }));
}

/** Asserts that `cycle` closes on itself and that each step follows a real `needs` edge. */
function expectRealCycle(nodes: readonly GraphNode[], cycle: string[] | undefined): void {
  expect(cycle).toBeDefined();
  const path = cycle as string[];
  expect(path.length).toBeGreaterThanOrEqual(2);
  expect(path[0]).toBe(path[path.length - 1]);
  const needs = new Map(nodes.map((n) => [n.id, n.needs ?? []]));
  for (let i = 0; i + 1 < path.length; i++) {
    // Run order: the next node in the path needs the one before it.
    expect(needs.get(path[i + 1] as string)).toContain(path[i]);
  }
  // Each node appears once, apart from the closing repeat.
  expect(new Set(path.slice(0, -1)).size).toBe(path.length - 1);
}

const thumbnails: GraphNode[] = [
  { id: 'fetch' },
  { id: 'small', needs: ['fetch'] },
  { id: 'large', needs: ['fetch'] },
  { id: 'report', needs: ['small', 'large'] },
];

describe('buildGraph', () => {
  test('indexes the thumbnails pipeline', () => {
    const g = buildGraph(thumbnails);
    expect(g.ids).toEqual(['fetch', 'small', 'large', 'report']);
    expect(g.index.get('large')).toBe(2);
    expect(g.order).toEqual(['fetch', 'small', 'large', 'report']);
    expect(g.levels).toEqual([['fetch'], ['small', 'large'], ['report']]);
    expect(g.leaves).toEqual(['report']);
    expect(g.dependents.get('fetch')).toEqual(['small', 'large']);
    expect(g.dependents.get('report')).toEqual([]);
    expect(g.needs.get('report')).toEqual(['small', 'large']);
    expect(g.needs.get('fetch')).toEqual([]);
  });

  test('breaks ties between ready nodes by spec order, not by name or by when they became ready', () => {
    // z and a are both roots; y becomes ready after z, b after a.
    const g = buildGraph([
      { id: 'z' },
      { id: 'b', needs: ['a'] },
      { id: 'a' },
      { id: 'y', needs: ['z'] },
    ]);
    // y was ready before b, but b is declared earlier, so b goes first.
    expect(g.order).toEqual(['z', 'a', 'b', 'y']);
  });

  test('a node declared before what it needs still comes after it in the order', () => {
    const g = buildGraph([
      { id: 'report', needs: ['small', 'large'] },
      { id: 'large', needs: ['fetch'] },
      { id: 'small', needs: ['fetch'] },
      { id: 'fetch' },
    ]);
    expect(g.order).toEqual(['fetch', 'large', 'small', 'report']);
    expect(g.levels).toEqual([['fetch'], ['large', 'small'], ['report']]);
    expect(g.leaves).toEqual(['report']);
  });

  test('the order is topological: every node comes after all it needs', () => {
    const random = rng(7);
    const nodes: GraphNode[] = [];
    for (let i = 0; i < 300; i++) {
      const needs = [];
      for (let j = 0; j < i; j++) if (random() < 0.02) needs.push(`n${j}`);
      nodes.push({ id: `n${i}`, needs });
    }
    // Shuffle the declaration order so the order is not just the indices.
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j] as GraphNode, nodes[i] as GraphNode];
    }
    const g = buildGraph(nodes);
    expect(g.order).toHaveLength(300);
    const position = new Map(g.order.map((id, i) => [id, i]));
    for (const n of nodes) {
      for (const need of n.needs ?? []) {
        expect(position.get(need) as number).toBeLessThan(position.get(n.id) as number);
      }
    }
  });

  test('levels put a node one past the deepest of its needs, each level in spec order', () => {
    // a -> b -> c -> d, and a -> d directly: d's level is set by its longest path.
    const g = buildGraph([
      { id: 'd', needs: ['a', 'c'] },
      { id: 'c', needs: ['b'] },
      { id: 'x' },
      { id: 'b', needs: ['a'] },
      { id: 'a' },
      { id: 'y', needs: ['x'] },
    ]);
    expect(g.levels).toEqual([['x', 'a'], ['b', 'y'], ['c'], ['d']]);
  });

  test('leaves are the nodes nothing depends on, in spec order', () => {
    const g = buildGraph([{ id: 'a' }, { id: 'lone' }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['a'] }]);
    expect(g.leaves).toEqual(['lone', 'b', 'c']);
  });

  test('a need listed twice counts once', () => {
    const g = buildGraph([{ id: 'a' }, { id: 'b', needs: ['a', 'a'] }]);
    expect(g.needs.get('b')).toEqual(['a']);
    expect(g.dependents.get('a')).toEqual(['b']);
    expect(g.order).toEqual(['a', 'b']);
  });

  test('independent nodes form one level', () => {
    const g = buildGraph([{ id: 'p' }, { id: 'q' }, { id: 'r' }]);
    expect(g.levels).toEqual([['p', 'q', 'r']]);
    expect(g.leaves).toEqual(['p', 'q', 'r']);
  });

  test('throws with the cycle path when the graph has a cycle', () => {
    expect(() =>
      buildGraph([{ id: 'a', needs: ['c'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }]),
    ).toThrow('cycle: a -> b -> c -> a');
  });

  test('handles a 10,000-node chain', () => {
    const g = buildGraph(chainOf(10_000));
    expect(g.order).toHaveLength(10_000);
    expect(g.order[0]).toBe('n0');
    expect(g.order[9_999]).toBe('n9999');
    expect(g.levels).toHaveLength(10_000);
    expect(g.levels[9_999]).toEqual(['n9999']);
    expect(g.leaves).toEqual(['n9999']);
  });

  test('handles a node with many needs (a wide fan-in)', () => {
    const roots = Array.from({ length: 5_000 }, (_, i) => ({ id: `r${i}` }));
    const g = buildGraph([...roots, { id: 'join', needs: roots.map((r) => r.id) }]);
    expect(g.levels).toHaveLength(2);
    expect(g.levels[1]).toEqual(['join']);
    expect(g.order[g.order.length - 1]).toBe('join');
  });
});

describe('findCycle', () => {
  test('returns undefined for acyclic graphs', () => {
    expect(findCycle([])).toBeUndefined();
    expect(findCycle(thumbnails)).toBeUndefined();
    expect(findCycle([{ id: 'a' }, { id: 'b' }])).toBeUndefined();
  });

  test('finds a two-node cycle', () => {
    const nodes = [{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }];
    const cycle = findCycle(nodes);
    expectRealCycle(nodes, cycle);
    expect(cycle).toHaveLength(3);
  });

  test('finds a self-loop', () => {
    expect(findCycle([{ id: 'a', needs: ['a'] }])).toEqual(['a', 'a']);
  });

  test('reports a three-node cycle in run order', () => {
    // b needs a, c needs b, a needs c: runs a -> b -> c -> a.
    const nodes = [{ id: 'a', needs: ['c'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }];
    expect(findCycle(nodes)).toEqual(['a', 'b', 'c', 'a']);
  });

  test('reports only the cycle, not the acyclic path that leads into it', () => {
    // entry -> x -> y -> z -> x, plus an unrelated branch.
    const nodes = [
      { id: 'tail', needs: ['z'] },
      { id: 'z', needs: ['y'] },
      { id: 'y', needs: ['x'] },
      { id: 'x', needs: ['entry', 'z'] },
      { id: 'entry' },
      { id: 'other', needs: ['entry'] },
    ];
    const cycle = findCycle(nodes);
    expectRealCycle(nodes, cycle);
    expect(new Set(cycle)).toEqual(new Set(['x', 'y', 'z']));
  });

  test('finds a cycle reached only after a finished acyclic part', () => {
    const nodes = [
      { id: 'a' },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['b', 'e'] },
      { id: 'd', needs: ['c'] },
      { id: 'e', needs: ['d'] },
    ];
    const cycle = findCycle(nodes);
    expectRealCycle(nodes, cycle);
    expect(new Set(cycle)).toEqual(new Set(['c', 'd', 'e']));
  });

  test('ignores needs that name unknown nodes', () => {
    expect(findCycle([{ id: 'a', needs: ['ghost'] }, { id: 'b', needs: ['a', 'ghost'] }])).toBeUndefined();
  });

  test('does not overflow the stack on a 10,000-node chain', () => {
    expect(findCycle(chainOf(10_000))).toBeUndefined();
    // The same chain declared leaf first, so the search goes 10,000 deep at once.
    expect(findCycle(chainOf(10_000).reverse())).toBeUndefined();
  });

  test('finds a 10,000-node cycle and reports all of it', () => {
    const nodes = chainOf(10_000);
    nodes[0] = { id: 'n0', needs: ['n9999'] };
    const cycle = findCycle(nodes);
    expectRealCycle(nodes, cycle);
    expect(cycle).toHaveLength(10_001);
  });
});

describe('downstreamOf', () => {
  const g = buildGraph([
    { id: 'a' },
    { id: 'b', needs: ['a'] },
    { id: 'c', needs: ['a'] },
    { id: 'd', needs: ['b', 'c'] },
    { id: 'e', needs: ['d'] },
    { id: 'side' },
    { id: 'f', needs: ['side'] },
  ]);

  test('lists everything reachable through dependents, in spec order, once each', () => {
    expect(downstreamOf(g, 'a')).toEqual(['b', 'c', 'd', 'e']);
    expect(downstreamOf(g, 'c')).toEqual(['d', 'e']);
    expect(downstreamOf(g, 'side')).toEqual(['f']);
  });

  test('is empty for a leaf and for an unknown id', () => {
    expect(downstreamOf(g, 'e')).toEqual([]);
    expect(downstreamOf(g, 'nope')).toEqual([]);
  });
});

describe('MinIndexQueue', () => {
  test('pops by spec index regardless of push order', () => {
    const q = new MinIndexQueue(new Map([['a', 0], ['b', 1], ['c', 2]]));
    q.push('c');
    q.push('a');
    q.push('b');
    expect(q.size).toBe(3);
    expect([q.pop(), q.pop(), q.pop()]).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
  });

  test('ids missing from the index come last', () => {
    const q = new MinIndexQueue(new Map([['a', 5]]));
    q.push('unknown');
    q.push('a');
    expect(q.pop()).toBe('a');
    expect(q.pop()).toBe('unknown');
  });

  test('matches a sort under random pushes and pops', () => {
    const random = rng(42);
    const n = 2_000;
    const index = new Map(Array.from({ length: n }, (_, i) => [`id${i}`, i]));
    const q = new MinIndexQueue(index);
    const model: number[] = [];
    for (let step = 0; step < 10_000; step++) {
      if (model.length > 0 && random() < 0.4) {
        model.sort((x, y) => x - y);
        const expected = model.shift() as number;
        expect(q.pop()).toBe(`id${expected}`);
      } else {
        const i = Math.floor(random() * n);
        q.push(`id${i}`);
        model.push(i);
      }
      expect(q.size).toBe(model.length);
    }
    model.sort((x, y) => x - y);
    const drained: string[] = [];
    while (q.size > 0) drained.push(q.pop());
    expect(drained).toEqual(model.map((i) => `id${i}`));
  });
});
