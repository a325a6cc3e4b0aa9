/**
 * A pipeline as a Mermaid flowchart, optionally coloured by node state (for a run).
 * Pure: used by `tapflow graph` and any UI.
 */
import type { NodeState } from './states';

/**
 * What the drawing needs of a node. A spec's `NodeSpec` and a run's `NodeStatus` both fit it, so
 * a caller passes either as it is and the fields it has are drawn.
 */
export interface DrawableNode {
  id: string;
  activity?: string;
  needs?: readonly string[];
  state?: NodeState;
  /**
   * The node's CEL condition (a spec's `when`): the edges into it are drawn dotted, as they are
   * into a node skipped with the cause `condition`.
   */
  when?: string;
  /** The node's trigger rule; shown when it is not the default `all_success`. */
  trigger?: string;
  /** A skipped node's cause (`condition`, `upstream`, `operator`, `timeout`): its own colour. */
  skipCause?: string;
  /** A repeated `pipeline` node's round (a run's status). */
  round?: number;
}

/** The trigger rule a node has when its spec names none: not worth a line in the box. */
const DEFAULT_TRIGGER = 'all_success';

/** Most characters of a condition shown in a box; the rest is cut with `...`. */
const MAX_CONDITION_LENGTH = 48;

const STATE_STYLE: Record<NodeState, string> = {
  pending: 'fill:#f4f4f5,stroke:#a1a1aa,color:#3f3f46',
  running: 'fill:#dbeafe,stroke:#2563eb,color:#1e3a8a',
  completed: 'fill:#dcfce7,stroke:#16a34a,color:#14532d',
  failed: 'fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
  cancelled: 'fill:#fef3c7,stroke:#d97706,color:#78350f',
  skipped: 'fill:#f4f4f5,stroke:#a1a1aa,color:#71717a,stroke-dasharray:4 3',
};

/**
 * Skipped nodes by cause, so a branch not taken (`condition`: grey, as planned) does not look like
 * a node lost to a failure upstream (`upstream`: red edge), and a skip that stood in an output
 * (`operator`, `timeout`: the completed green edge, since what needs it goes on) reads as such.
 * All dashed: each is still `skipped`. A cause this table does not know falls back to `skipped`.
 */
const SKIP_STYLE: Record<string, string> = {
  condition: 'fill:#f4f4f5,stroke:#a1a1aa,color:#71717a,stroke-dasharray:4 3',
  upstream: 'fill:#fef2f2,stroke:#dc2626,color:#7f1d1d,stroke-dasharray:4 3',
  operator: 'fill:#f0fdf4,stroke:#16a34a,color:#14532d,stroke-dasharray:4 3',
  timeout: 'fill:#fffbeb,stroke:#d97706,color:#78350f,stroke-dasharray:4 3',
};

/**
 * Renders `flowchart TD` text. Node ids are mapped to safe Mermaid ids (`n0`, `n1`, ...) and
 * shown as labels, so any valid tapflow id draws correctly. A box shows the node's id, activity,
 * `when: <condition>` (shortened), `trigger: <rule>` when not the default, a repeated node's
 * round, and its state (`skipped (condition)` with the cause of a skip). Edges into a node with
 * a `when` (or skipped by one) are dotted (`-.->`): the node runs only when its condition holds.
 * A skipped node's class says its cause (`skipped_condition`, `skipped_upstream`, ...). The output depends
 * only on the input (its order included), so it can be compared and diffed.
 */
export function toMermaid(nodes: readonly DrawableNode[], title?: string): string {
  const ids = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  const lines: string[] = [];
  if (title) lines.push('---', `title: ${title.replace(/[\r\n]/g, ' ')}`, '---');
  lines.push('flowchart TD');
  for (const node of nodes) {
    lines.push(`  ${ids.get(node.id)}["${labelOf(node).map(escapeLabel).join('<br/>')}"]`);
  }
  for (const node of nodes) {
    // A run's status does not carry the spec's `when`, but a node its condition skipped had one.
    const arrow = node.when || (node.state === 'skipped' && node.skipCause === 'condition') ? '-.->' : '-->';
    for (const need of node.needs ?? []) {
      const from = ids.get(need);
      if (from) lines.push(`  ${from} ${arrow} ${ids.get(node.id)}`);
    }
  }
  // Classes in the order their first member appears, so the same nodes give the same text.
  const classes = new Map<string, { style: string; members: string[] }>();
  for (const node of nodes) {
    const look = classOf(node);
    if (!look) continue;
    const entry = classes.get(look.name) ?? { style: look.style, members: [] };
    entry.members.push(ids.get(node.id) ?? '');
    classes.set(look.name, entry);
  }
  for (const [name, { style, members }] of classes) {
    lines.push(`  classDef ${name} ${style}`, `  class ${members.join(',')} ${name}`);
  }
  return lines.join('\n');
}

/** The lines of a node's box, unescaped. */
function labelOf(node: DrawableNode): string[] {
  const label = [node.id];
  if (node.activity) label.push(node.activity);
  if (node.when) label.push(`when: ${shorten(node.when, MAX_CONDITION_LENGTH)}`);
  if (node.trigger && node.trigger !== DEFAULT_TRIGGER) label.push(`trigger: ${node.trigger}`);
  // Only a repeated node has a round, so it is said from the first (as `tapflow status` does).
  if (node.round !== undefined) label.push(`round ${node.round}`);
  if (node.state) label.push(node.state === 'skipped' && node.skipCause ? `skipped (${node.skipCause})` : node.state);
  return label;
}

/** The class a node is drawn with: its state, or `skipped_<cause>` for a skip with a known cause. */
function classOf(node: DrawableNode): { name: string; style: string } | undefined {
  if (!node.state) return undefined;
  if (node.state === 'skipped' && node.skipCause && Object.hasOwn(SKIP_STYLE, node.skipCause)) {
    return { name: `skipped_${node.skipCause}`, style: SKIP_STYLE[node.skipCause] ?? STATE_STYLE.skipped };
  }
  return { name: node.state, style: STATE_STYLE[node.state] };
}

/** One line of at most `max` characters: a condition may span lines and be long. */
function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * Mermaid's entity codes (`#quot;`) for what would end the quoted label or be read as HTML. `#`
 * goes first and becomes `#35;`: a condition may hold `#` (`x == "#1"`), which Mermaid would
 * otherwise take as the start of an entity code.
 */
function escapeLabel(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;');
}
