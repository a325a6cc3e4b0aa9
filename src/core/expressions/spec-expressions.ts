/**
 * Whether a spec decides or wires data anywhere (`when`, `trigger`, `repeat`, `${{ }}` in an
 * input or a map's `over`), in its own nodes or in the child specs it holds. The workflow asks
 * before it reads any of them: runs started before expressions existed replay as they ran.
 *
 * Takes any value (the workflow's argument is not yet validated). Pure.
 */
import { holdsTemplates, isTemplateText } from './templates';

/** Whether the spec, or a child spec inside it, uses expressions. */
export function specUsesExpressions(spec: unknown): boolean {
  const nodes = (spec as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes)) return false;
  return nodes.some((node: unknown) => {
    if (typeof node !== 'object' || node === null) return false;
    const n = node as Record<string, unknown>;
    if (n.when !== undefined || n.trigger !== undefined || n.repeat !== undefined) return true;
    if (holdsTemplates(n.input)) return true;
    if (typeof n.over === 'string' && isTemplateText(n.over)) return true;
    return specUsesExpressions(n.pipeline);
  });
}
