/**
 * The run's timeline as a Gantt chart in SVG: a row per node, a bar per node attempt (a retry is
 * a bar of its own, `#2`, `#3`, ...), coloured by how the attempt ended; an attempt still running
 * grows to now. Nodes that run no activity (event, sleep, child pipeline) show their waiting span
 * as a hatched bar. Map items (`node[3]`) share their map node's row.
 * @module gantt
 */
import { h, s, replaceChildren } from './dom.js';
import { formatDateTime, formatDuration } from './format.js';
import { nodeLook } from './states.js';

const LABEL_WIDTH = 170;
const ROW = 26;
const BAR = 16;
const AXIS = 26;
/** Most bars drawn; past it the chart says how many were left out. */
const MAX_BARS = 3000;
const STEPS = [100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 21600e3, 43200e3, 86400e3];

/** The row a node attempt goes in: a map item's map node. @param {string} nodeId */
export function rowOf(nodeId) {
  return nodeId.replace(/\[\d+\]$/, '');
}

function ms(iso) {
  if (!iso) return undefined;
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The bars to draw: each attempt, and a span for a started node that has no attempt or that
 * waits (event, sleep, child pipeline).
 * @param {Array<{ nodeId: string, attempt: number, outcome: string, startedAt?: string | null, finishedAt?: string | null, errorMessage?: string | null, worker?: string | null, source?: string }>} attempts
 * @param {Array<{ id: string, kind?: string, state: string, held?: boolean, startedAt?: string, finishedAt?: string }>} nodes
 * @param {number} now epoch ms
 */
export function timelineBars(attempts, nodes, now) {
  const bars = [];
  const withAttempts = new Set();
  for (const a of attempts) {
    const start = ms(a.startedAt) ?? ms(a.finishedAt);
    if (start === undefined) continue;
    const running = a.outcome === 'running';
    const end = ms(a.finishedAt) ?? (running ? Math.max(now, start) : start);
    withAttempts.add(rowOf(a.nodeId));
    const worker = a.source === 'reconciled' ? 'none recorded (added at the run\'s end)' : a.worker ?? '';
    bars.push({ kind: 'attempt', row: rowOf(a.nodeId), nodeId: a.nodeId, attempt: a.attempt, look: a.outcome, start, end, running, error: a.errorMessage ?? '', worker });
  }
  for (const n of nodes) {
    const start = ms(n.startedAt);
    // A node that waits rather than works (event, sleep, child pipeline) shows how long it waited.
    const waits = n.kind === 'event' || n.kind === 'sleep' || n.kind === 'pipeline';
    if (start === undefined || (withAttempts.has(n.id) && !waits)) continue;
    const running = n.state === 'running';
    const end = ms(n.finishedAt) ?? (running ? Math.max(now, start) : start);
    bars.push({ kind: 'span', row: n.id, nodeId: n.id, attempt: 0, look: nodeLook(n), start, end, running, error: '', worker: '' });
  }
  return bars;
}

function tickStep(span, width) {
  const most = Math.max(2, Math.floor(width / 90));
  return STEPS.find((step) => span / step <= most) ?? STEPS[STEPS.length - 1];
}

/**
 * A timeline view to mount once; `update` with the attempts and the nodes, `tick` to let running
 * bars grow.
 * @returns {{ element: HTMLElement, update(attempts: object[], nodes: object[]): void, tick(): void, readonly running: boolean }}
 */
export function createTimeline() {
  const box = h('div', { class: 'gantt-box' });
  let attempts = [];
  let nodes = [];
  let running = false;

  function render() {
    const now = Date.now();
    const all = timelineBars(attempts, nodes, now);
    running = all.some((b) => b.running);
    if (all.length === 0) {
      replaceChildren(box, h('p', { class: 'muted' }, 'No node has started yet.'));
      return;
    }
    const bars = all.slice(0, MAX_BARS);
    const order = [...new Set([...nodes.map((n) => n.id), ...bars.map((b) => b.row)])].filter((id) => bars.some((b) => b.row === id));
    const t0 = Math.min(...bars.map((b) => b.start));
    const t1 = Math.max(t0 + 1000, ...bars.map((b) => b.end));
    const plot = Math.max(360, (box.clientWidth || 900) - LABEL_WIDTH - 16);
    const width = LABEL_WIDTH + plot + 8;
    const height = AXIS + order.length * ROW + 4;
    const x = (t) => LABEL_WIDTH + ((t - t0) / (t1 - t0)) * plot;
    const svg = s('svg', { class: 'gantt', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Timeline: ${bars.filter((b) => b.kind === 'attempt').length} attempts over ${order.length} nodes, from ${formatDateTime(new Date(t0).toISOString())}` });
    svg.append(s('defs', {}, s('pattern', { id: 'gantt-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { width: 6, height: 6, class: 'gantt-hatch-bg' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'gantt-hatch-line' }))));

    const step = tickStep(t1 - t0, plot);
    for (let t = 0; t <= t1 - t0; t += step) {
      svg.append(s('line', { class: 'gantt-grid', x1: x(t0 + t), x2: x(t0 + t), y1: AXIS - 6, y2: height }));
      // A label that would run off the right edge is left out.
      if (x(t0 + t) + 60 <= width) svg.append(s('text', { class: 'gantt-tick', x: x(t0 + t) + 3, y: AXIS - 10 }, t === 0 ? '0' : `+${formatDuration(t)}`));
    }
    order.forEach((id, i) => {
      const y = AXIS + i * ROW;
      svg.append(
        s('rect', { class: i % 2 ? 'gantt-row odd' : 'gantt-row', x: 0, y, width, height: ROW }),
        s('text', { class: 'gantt-label', x: 8, y: y + ROW / 2 + 4 }, id.length > 22 ? `${id.slice(0, 21)}…` : id, s('title', {}, id)),
      );
    });
    for (const b of bars) {
      const y = AXIS + order.indexOf(b.row) * ROW + (ROW - BAR) / 2;
      const x1 = x(b.start);
      const w = Math.max(3, x(b.end) - x1);
      const took = formatDuration(b.end - b.start);
      const what = b.kind === 'attempt' ? `${b.nodeId} attempt ${b.attempt}: ${b.look}` : `${b.nodeId}: ${b.look} (waiting, no activity)`;
      const title = `${what}${b.running ? ' (still running)' : ''}, ${took}, from ${formatDateTime(new Date(b.start).toISOString())}${b.worker ? `, worker ${b.worker}` : ''}${b.error ? `\n${b.error}` : ''}`;
      const bar = s(
        'g',
        { class: `gantt-${b.kind === 'attempt' ? 'bar' : 'span'} look-${b.look}${b.running ? ' running' : ''}`, 'data-node': b.nodeId, 'data-attempt': b.attempt || null, 'data-outcome': b.look },
        s('title', {}, title),
        s('rect', { x: x1, y, width: w, height: BAR, rx: 3 }),
      );
      if (b.kind === 'attempt' && w > 30) bar.append(s('text', { class: 'gantt-bar-label', x: x1 + 5, y: y + BAR - 4 }, `#${b.attempt}`));
      svg.append(bar);
    }
    const left = all.length - bars.length;
    replaceChildren(box, svg, left > 0 ? h('p', { class: 'muted' }, `${left} more bars not drawn.`) : null);
  }

  // Redrawn to the box's new width (the text keeps its size); a change of height alone is the chart's own.
  let seenWidth = 0;
  new ResizeObserver(() => {
    if (box.clientWidth === seenWidth) return;
    seenWidth = box.clientWidth;
    if (attempts.length || nodes.length) render();
  }).observe(box);

  return {
    element: box,
    update(nextAttempts, nextNodes) {
      attempts = nextAttempts;
      nodes = nextNodes;
      render();
    },
    tick() {
      if (running) render();
    },
    get running() {
      return running;
    },
  };
}
