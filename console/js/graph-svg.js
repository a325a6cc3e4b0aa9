/**
 * The pipeline graph as SVG: one box per node, coloured by its state (class `state-<state>`, or
 * `state-held`; a skipped node also `skip-<cause>`, so a branch not taken does not look like a
 * node lost to a failure), with arrows for `needs` (dotted into a conditional node, as
 * `tapflow graph` draws them), and a legend. Boxes are focusable buttons: Enter or a
 * click picks the node (the run page then shows its row in the nodes table). Drawn at 1:1 so the
 * text keeps its size; a large graph scrolls in its box.
 * @module graph-svg
 */
import { h, s, replaceChildren } from './dom.js';
import { layoutGraph } from './graph-layout.js';
import { nodeLook, skipCauseOf, SKIP_HELP, STATE_HELP, stateWords } from './states.js';

/**
 * What the legend lists, in the order a node meets them: each state, and the two skips that
 * differ most (a condition's, planned; an upstream one, after a failure) beside the plain one.
 */
const LEGEND = [
  { state: 'pending' },
  { state: 'running' },
  { state: 'completed' },
  { state: 'failed' },
  { state: 'held' },
  { state: 'skipped' },
  { state: 'skipped', cause: 'condition' },
  { state: 'skipped', cause: 'upstream' },
  { state: 'cancelled' },
];

/** The `skip-<cause>` class of a skipped node, for the causes the stylesheet knows. */
function skipClass(node) {
  const cause = skipCauseOf(node);
  return cause && Object.hasOwn(SKIP_HELP, cause) ? ` skip-${cause}` : '';
}

/** JSON on one line, cut to `max` characters (a tooltip, not the place for a whole input). */
function shortJson(value, max = 200) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  text = text ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Characters that fit in a box line (13 px system font, ~7.4 px a character). */
function fit(text, width, px = 7.4) {
  const room = Math.floor((width - 20) / px);
  return text.length <= room ? text : `${text.slice(0, Math.max(1, room - 1))}…`;
}

function detailOf(node) {
  const look = stateWords(node);
  const round = node.round ? ` · round ${node.round}` : '';
  const attempts = node.attempts > 1 ? ` · ${node.attempts} attempts` : '';
  const items = node.items ? ` · ${node.items.done}/${node.items.total}` : '';
  // A waiting event node is running as far as the run goes; the box says what it waits for.
  const waiting = node.waitingFor ? ` · waits for ${node.waitingFor}` : '';
  return `${look}${round}${waiting}${items}${attempts}`;
}

function labelOf(node) {
  const kind = node.kind ? `${node.kind} node` : `activity ${node.activity ?? ''}`.trim();
  const waiting = node.waitingFor ? `, waits for ${node.waitingFor}` : '';
  const round = node.round ? `, round ${node.round}` : '';
  const reason = node.state === 'skipped' && node.skipReason ? `: ${node.skipReason}` : '';
  return `${node.id}: ${stateWords(node)}${reason}${round}${waiting} (${kind}${node.attempts ? `, ${node.attempts} attempt${node.attempts === 1 ? '' : 's'}` : ''})`;
}

/**
 * The legend: a swatch and a word per state.
 * @returns {HTMLElement}
 */
export function graphLegend() {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Node colours' },
    LEGEND.map(({ state, cause }) =>
      h(
        'li',
        { title: cause ? SKIP_HELP[cause] : STATE_HELP[state], 'data-cause': cause },
        h('span', { class: `swatch state-${state}${cause ? ` skip-${cause}` : ''}`, 'aria-hidden': 'true' }),
        cause ? `${state} (${cause})` : state,
      ),
    ),
  );
}

/**
 * A graph view to mount once and update with each status.
 * @param {{ onPick?: (nodeId: string) => void }} [options]
 * @returns {{ element: HTMLElement, update(nodes: Array<{ id: string, needs?: string[], state: string, held?: boolean, attempts?: number, kind?: string, activity?: string, when?: string, skipCause?: string, skipReason?: string, round?: number, input?: unknown }>): void }}
 */
export function createGraphView({ onPick } = {}) {
  const box = h('div', { class: 'graph-box' });
  let shape = '';
  /** @type {Map<string, { g: SVGElement, detail: SVGElement, title: SVGElement }>} */
  let drawn = new Map();
  let edgeEls = [];

  function build(nodes) {
    const layout = layoutGraph(nodes);
    const svg = s('svg', {
      class: 'graph',
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: 'group',
      'aria-label': `Pipeline graph: ${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
    });
    svg.append(
      s('defs', {}, s('marker', { id: 'graph-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'graph-arrowhead' }))),
    );
    edgeEls = layout.edges.map((e) => {
      const path = s('path', { class: 'graph-edge', d: e.d, 'marker-end': 'url(#graph-arrow)', 'data-from': e.from, 'data-to': e.to });
      svg.append(path);
      return path;
    });
    drawn = new Map();
    layout.nodes.forEach((p) => {
      const title = s('title');
      const detail = s('text', { class: 'graph-detail', x: p.x + 10, y: p.y + 33 });
      const g = s(
        'g',
        { class: 'graph-node', 'data-node': p.id, tabindex: 0, role: 'button', 'data-layer': p.layer },
        title,
        s('rect', { x: p.x, y: p.y, width: p.width, height: p.height, rx: 6 }),
        s('text', { class: 'graph-id', x: p.x + 10, y: p.y + 17 }, fit(p.id, p.width)),
        detail,
      );
      const pick = () => onPick?.(p.id);
      g.addEventListener('click', pick);
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          pick();
        }
      });
      svg.append(g);
      drawn.set(p.id, { g, detail, title, width: p.width });
    });
    replaceChildren(box, svg);
  }

  return {
    element: box,
    update(nodes) {
      const nextShape = JSON.stringify(nodes.map((n) => [n.id, n.needs ?? []]));
      if (nextShape !== shape) {
        shape = nextShape;
        build(nodes);
      }
      const done = new Set();
      // Edges into a node with a condition are dotted, as in `tapflow graph`. A run's status
      // carries the spec's `when`; one written before it did still shows a node its condition
      // skipped as conditional.
      const conditional = new Set();
      for (const n of nodes) {
        const el = drawn.get(n.id);
        if (!el) continue;
        const look = nodeLook(n);
        if (look === 'completed' || look === 'skipped') done.add(n.id);
        if (n.when || skipCauseOf(n) === 'condition') conditional.add(n.id);
        el.g.setAttribute('class', `graph-node state-${look}${skipClass(n)}`);
        el.g.dataset.state = look;
        if (skipCauseOf(n)) el.g.dataset.skipCause = skipCauseOf(n);
        else delete el.g.dataset.skipCause;
        el.g.setAttribute('aria-label', labelOf(n));
        el.detail.textContent = fit(detailOf(n), el.width, 6.6);
        const when = n.when ? `\nwhen: ${n.when}` : '';
        const input = n.input !== undefined ? `\ninput: ${shortJson(n.input)}` : '';
        el.title.textContent = `${labelOf(n)}${n.error ? `\n${n.error}` : ''}${when}${input}`;
      }
      for (const e of edgeEls) {
        e.classList.toggle('graph-edge-done', done.has(e.dataset.from));
        e.classList.toggle('graph-edge-conditional', conditional.has(e.dataset.to));
      }
    },
  };
}
