/**
 * What the workflow decides about a node the moment it would start: its `when` (false skips it
 * with the cause `condition`), and its input's `${{ }}` templates, resolved against `params` and
 * the outputs of its needs. An expression that fails on the run's data fails the node, with
 * where and why; its `onFailure` applies.
 */
import { expressionEngine } from '../core/expressions/load-expressions';
import { NODE_VARIABLES } from '../core/expressions/expression-ast';
import { holdsTemplates, resolveTemplates } from '../core/expressions/templates';
import { describe } from '../core/value-checks';
import type { RunBook } from './run-book';

/** What to do with a node that would start. */
export type NodeGate = { kind: 'run' } | { kind: 'skip' } | { kind: 'fail'; error: string };

/** Decides node `id` (just taken from the ready queue) and resolves its input when it runs. */
export function gateNode(book: RunBook, id: string, params: unknown): NodeGate {
  const node = book.spec(id);
  const upstream = book.upstreamOf(id);
  const scope = { variables: NODE_VARIABLES, needs: Object.keys(upstream) };
  if (node.when !== undefined) {
    const result = expressionEngine().evaluateExpression(node.when, scope, { params, upstream });
    if (!result.ok) return { kind: 'fail', error: `when: ${result.error}` };
    if (typeof result.value !== 'boolean') {
      return { kind: 'fail', error: `when: ${node.when}: gave ${describe(result.value)}, not true or false` };
    }
    if (!result.value) return { kind: 'skip' };
  }
  // A repeated node resolves its input at each round, with the round's variables.
  const written = book.writtenInputOf(id);
  if (node.repeat === undefined && holdsTemplates(written)) {
    const resolved = resolveInput(written, scope.needs, { params, upstream });
    if (!resolved.ok) return { kind: 'fail', error: resolved.error };
    book.setResolvedInput(id, resolved.input);
  }
  return { kind: 'run' };
}

/**
 * A node's input with its templates resolved over `variables` (`params`, `upstream`, and for a
 * repeated node `previous` and `round`).
 */
export function resolveInput(
  written: unknown,
  needs: readonly string[],
  variables: Readonly<Record<string, unknown>>,
): { ok: true; input: unknown } | { ok: false; error: string } {
  const scope = { variables: Object.keys(variables), needs };
  try {
    const input = resolveTemplates(written, 'input', (expression) => {
      const result = expressionEngine().evaluateExpression(expression, scope, variables);
      if (!result.ok) throw new Error(result.error);
      return result.value;
    });
    return { ok: true, input };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
