/**
 * Limits that keep a hostile or broken YAML spec from crashing or stalling tapflow.
 *
 * The `yaml` package composes documents recursively (a few thousand nested collections
 * overflow the stack, and near the limit V8 can abort the whole process instead of throwing),
 * and it resolves each alias by scanning every anchor and alias before it (quadratic in their
 * number). Its own `maxAliasCount` stops "billion laughs" expansion but neither of these. So the
 * text is first read into yaml's concrete syntax tree (built without recursion) and measured
 * here, before anything recursive touches it. Not imported by workflow code.
 */
import type * as Yaml from 'yaml';

/** Deepest nesting of YAML collections (maps and sequences) a spec file may have. */
export const MAX_YAML_DEPTH = 256;

/** Most anchors and aliases, together, one spec file may hold. */
export const MAX_YAML_ANCHORS_AND_ALIASES = 1000;

/** Why a YAML text was refused, and where (an offset into the text). */
export interface YamlLimitBreach {
  offset: number;
  message: string;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * Measures YAML text against {@link MAX_YAML_DEPTH} and {@link MAX_YAML_ANCHORS_AND_ALIASES}
 * without recursion, in time linear in the text's length.
 *
 * @returns the first limit the text passes, or `undefined` when it stays within them. Syntax
 *   errors are not reported here: the full parse reports them with their positions.
 */
export function checkYamlLimits(text: string): YamlLimitBreach | undefined {
  let anchorsAndAliases = 0;
  for (const token of new (yaml().Parser)().parse(text)) {
    // Walks every object of the syntax tree; entering a collection token is one level deeper.
    const stack: Array<[unknown, number]> = [[token, 0]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop() as [unknown, number];
      // Children are pushed last first, so they are visited in document order and the breach
      // reported is the first one in the text.
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const item: unknown = value[i];
          if (typeof item === 'object' && item !== null) stack.push([item, depth]);
        }
        continue;
      }
      const node = value as { type?: unknown; offset?: unknown };
      let inner = depth;
      if (node.type === 'anchor' || node.type === 'alias') {
        anchorsAndAliases++;
        if (anchorsAndAliases > MAX_YAML_ANCHORS_AND_ALIASES) {
          return {
            offset: offsetOf(node),
            message: `more than ${MAX_YAML_ANCHORS_AND_ALIASES} anchors and aliases; a spec file may hold at most ${MAX_YAML_ANCHORS_AND_ALIASES}`,
          };
        }
      } else if (typeof node.type === 'string' && COLLECTIONS.has(node.type)) {
        inner = depth + 1;
        if (inner > MAX_YAML_DEPTH) {
          return {
            offset: offsetOf(node),
            message: `collections nest more than ${MAX_YAML_DEPTH} levels deep; a spec file may nest at most ${MAX_YAML_DEPTH}`,
          };
        }
      }
      const children = Object.values(node);
      for (let i = children.length - 1; i >= 0; i--) {
        const child: unknown = children[i];
        if (typeof child === 'object' && child !== null) stack.push([child, inner]);
      }
    }
  }
  return undefined;
}

/**
 * Whether a value parsed from YAML contains itself (an alias inside the collection its anchor
 * names, such as `a: &a [*a]`). Such a value cannot be sent to Temporal (JSON has no cycles) and
 * sends naive walkers into endless loops. Iterative; shared (aliased) parts are visited once.
 */
export function isCircular(root: unknown): boolean {
  const done = new Set<object>();
  const open = new Set<object>();
  // A frame is entered once (pushing its children above an exit marker) and left once.
  const stack: Array<{ value: object; exit: boolean }> = [];
  const enter = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || done.has(value)) return false;
    if (open.has(value)) return true;
    stack.push({ value, exit: false });
    return false;
  };
  if (enter(root)) return true;
  while (stack.length > 0) {
    const frame = stack.pop() as { value: object; exit: boolean };
    if (frame.exit) {
      open.delete(frame.value);
      done.add(frame.value);
      continue;
    }
    if (done.has(frame.value)) continue;
    if (open.has(frame.value)) return true;
    open.add(frame.value);
    stack.push({ value: frame.value, exit: true });
    const children = frame.value instanceof Map || frame.value instanceof Set ? [...frame.value.values()] : Object.values(frame.value);
    for (const child of children) if (enter(child)) return true;
  }
  return false;
}

function offsetOf(node: { offset?: unknown }): number {
  return typeof node.offset === 'number' ? node.offset : 0;
}

/**
 * The YAML parser, loaded on first use: `import('tapflow')` stays light for the many callers
 * that never read YAML text (the parser is a fifth of what the entry point would load).
 */
export function yaml(): typeof Yaml {
  return require('yaml') as typeof Yaml;
}
