/**
 * Where each node of a pipeline graph goes: left to right in layers by `needs` (a node's layer
 * is one past the furthest of the nodes it needs, so every edge points right), ordered within a
 * layer by where the nodes they need sit (fewer crossings). A layer taller than
 * {@link GRAPH_SIZES}.maxRows is wrapped into side-by-side sub-columns, so a wide fan-out
 * (30 nodes, 28 of them in parallel) still fits a laptop screen; edges into and out of a wrapped
 * layer run along the gaps between its boxes, never across them. Pure: no DOM.
 * @module graph-layout
 */

/**
 * @typedef {{ id: string, needs?: string[] }} GraphNodeInput
 * @typedef {{ id: string, layer: number, column: number, row: number, x: number, y: number, width: number, height: number }} PlacedNode
 * @typedef {{ from: string, to: string, d: string }} PlacedEdge  `d`: the SVG path, ending at the target's left side
 * @typedef {{ width: number, height: number, nodes: PlacedNode[], edges: PlacedEdge[] }} GraphLayout
 */

/** Sizes in SVG user units (CSS pixels when drawn 1:1), and the most rows a layer has before it wraps. */
export const GRAPH_SIZES = { nodeWidth: 160, nodeHeight: 42, layerGap: 64, rowGap: 12, columnGap: 28, margin: 16, maxRows: 8 };

/**
 * Each node's layer: 0 for a node that needs nothing, else one past its furthest need. Needs
 * naming unknown nodes are ignored; a cycle (a spec the API would have refused) is broken where found.
 * @param {GraphNodeInput[]} nodes
 * @returns {Map<string, number>}
 */
export function layersOf(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const layer = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let l = 0;
    for (const need of byId.get(id)?.needs ?? []) if (byId.has(need) && need !== id) l = Math.max(l, visit(need) + 1);
    visiting.delete(id);
    layer.set(id, l);
    return l;
  };
  for (const n of nodes) visit(n.id);
  return layer;
}

/**
 * Lays the graph out.
 * @param {GraphNodeInput[]} nodes in spec order
 * @param {Partial<typeof GRAPH_SIZES>} [sizes]
 * @returns {GraphLayout}
 */
export function layoutGraph(nodes, sizes = {}) {
  const { nodeWidth, nodeHeight, layerGap, rowGap, columnGap, margin, maxRows } = { ...GRAPH_SIZES, ...sizes };
  const layerOf = layersOf(nodes);
  /** @type {GraphNodeInput[][]} */
  const layers = [];
  for (const n of nodes) (layers[layerOf.get(n.id)] ??= []).push(n);

  // Order each layer by the mean position of the nodes it needs (barycentre), keeping spec order on ties.
  const rank = new Map();
  layers.forEach((members, l) => {
    if (l > 0) {
      const centre = (n) => {
        const ranks = (n.needs ?? []).map((need) => rank.get(need)).filter((r) => r !== undefined);
        return ranks.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : Number.POSITIVE_INFINITY;
      };
      const keyed = members.map((n, i) => ({ n, i, c: centre(n) }));
      keyed.sort((a, b) => a.c - b.c || a.i - b.i);
      layers[l] = keyed.map((k) => k.n);
    }
    const offset = (layers[l].length - 1) / 2;
    layers[l].forEach((n, i) => rank.set(n.id, (i - offset) / Math.max(1, layers[l].length)));
  });

  // Each layer: as few sub-columns as keep it within maxRows, filled top to bottom.
  const shapes = layers.map((members) => {
    const columns = Math.max(1, Math.ceil(members.length / maxRows));
    return { columns, rows: Math.ceil(members.length / columns) };
  });
  const tallest = Math.max(1, ...shapes.map((s) => s.rows));
  const height = margin * 2 + tallest * nodeHeight + (tallest - 1) * rowGap;
  const blockWidth = (s) => s.columns * nodeWidth + (s.columns - 1) * columnGap;
  const left = [];
  let x = margin;
  shapes.forEach((s, l) => {
    left[l] = x;
    x += blockWidth(s) + layerGap;
  });
  const width = x - layerGap + margin;
  const middle = height / 2;

  /** @type {Map<string, PlacedNode>} */
  const placed = new Map();
  layers.forEach((members, l) => {
    const { rows } = shapes[l];
    members.forEach((n, i) => {
      const column = Math.floor(i / rows);
      const row = i % rows;
      // Every sub-column of a layer starts at the same top, so their rows (and the gaps the edges
      // run along) line up; the layer is centred on the middle.
      const top = middle - (rows * nodeHeight + (rows - 1) * rowGap) / 2;
      placed.set(n.id, {
        id: n.id,
        layer: l,
        column,
        row,
        x: left[l] + column * (nodeWidth + columnGap),
        y: top + row * (nodeHeight + rowGap),
        width: nodeWidth,
        height: nodeHeight,
      });
    });
  });

  const edges = [];
  for (const n of nodes) {
    const to = placed.get(n.id);
    for (const need of n.needs ?? []) {
      const from = placed.get(need);
      if (!from || !to || from === to) continue;
      edges.push({ from: need, to: n.id, d: edgePath(from, to, shapes, left, blockWidth, rowGap) });
    }
  }
  return { width, height, nodes: nodes.map((n) => placed.get(n.id)), edges };
}

/**
 * An edge's path: out of a box that has sub-columns to its right along the gap below it, into a
 * box that has sub-columns to its left along the gap above it, and a curve between.
 */
function edgePath(from, to, shapes, left, blockWidth, rowGap) {
  const parts = [];
  let ax = from.x + from.width;
  let ay = from.y + from.height / 2;
  parts.push(`M${ax},${ay}`);
  if (from.column < shapes[from.layer].columns - 1) {
    const out = ax + 8;
    const gap = from.y + from.height + rowGap / 2;
    ax = left[from.layer] + blockWidth(shapes[from.layer]) + 8;
    parts.push(`L${out},${ay}`, `L${out},${gap}`, `L${ax},${gap}`);
    ay = gap;
  }
  const tx = to.x;
  const ty = to.y + to.height / 2;
  let bx = tx;
  let by = ty;
  const entering = to.column > 0;
  if (entering) {
    bx = left[to.layer] - 8;
    by = to.y - rowGap / 2;
  }
  const dx = Math.max(16, (bx - ax) / 2);
  parts.push(`C${ax + dx},${ay} ${bx - dx},${by} ${bx},${by}`);
  if (entering) parts.push(`L${tx - 8},${by}`, `L${tx - 8},${ty}`);
  parts.push(`L${tx - 2},${ty}`);
  return parts.join(' ');
}
