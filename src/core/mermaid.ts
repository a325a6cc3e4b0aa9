/**
 * A pipeline as a Mermaid flowchart, optionally coloured by node state (for a run).
 * Pure: used by `tapflow graph` and any UI.
 */
import type { NodeState } from './states';

/** What the drawing needs of a node. */
export interface DrawableNode {
  id: string;
  activity?: string;
  needs?: readonly string[];
  state?: NodeState;
}

const STATE_STYLE: Record<NodeState, string> = {
  pending: 'fill:#f4f4f5,stroke:#a1a1aa,color:#3f3f46',
  running: 'fill:#dbeafe,stroke:#2563eb,color:#1e3a8a',
  completed: 'fill:#dcfce7,stroke:#16a34a,color:#14532d',
  failed: 'fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
  cancelled: 'fill:#fef3c7,stroke:#d97706,color:#78350f',
  skipped: 'fill:#f4f4f5,stroke:#a1a1aa,color:#71717a,stroke-dasharray:4 3',
};

/**
 * Renders `flowchart TD` text. Node ids are mapped to safe Mermaid ids (`n0`, `n1`, ...) and
 * shown as labels, so any valid tapflow id draws correctly.
 */
export function toMermaid(nodes: readonly DrawableNode[], title?: string): string {
  const ids = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  const lines: string[] = [];
  if (title) lines.push('---', `title: ${title.replace(/[\r\n]/g, ' ')}`, '---');
  lines.push('flowchart TD');
  for (const node of nodes) {
    const label = [node.id, node.activity, node.state].filter((t): t is string => Boolean(t)).map(escapeLabel).join('<br/>');
    lines.push(`  ${ids.get(node.id)}["${label}"]`);
  }
  for (const node of nodes) {
    for (const need of node.needs ?? []) {
      const from = ids.get(need);
      if (from) lines.push(`  ${from} --> ${ids.get(node.id)}`);
    }
  }
  const used = new Set(nodes.map((n) => n.state).filter((s): s is NodeState => s !== undefined));
  for (const state of used) {
    lines.push(`  classDef ${state} ${STATE_STYLE[state]}`);
    const members = nodes.filter((n) => n.state === state).map((n) => ids.get(n.id));
    lines.push(`  class ${members.join(',')} ${state}`);
  }
  return lines.join('\n');
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
