/**
 * What a rerun's dry run says of the conditions it meets: for each node to run again that has a
 * `when`, whether it would run or be skipped given the outputs the rerun reuses. A node whose
 * needs run again too is decided only once they have: the dry run says so rather than guess.
 * Pure: the workflow answers it for a live run (its outputs are there), the client for an ended
 * one (from the store's).
 */
import { NODE_VARIABLES } from './expressions/expression-ast';
import { expressionEngine } from './expressions/load-expressions';
import type { PipelineSpec } from './types';

/** One condition a rerun would meet. */
export interface RerunCondition {
  node: string;
  when: string;
  /**
   * `run` (true on the reused outputs), `skip` (false), `later` (a need runs again first, so it is
   * decided then), `error` (it fails on the reused outputs: the node would fail).
   */
  verdict: 'run' | 'skip' | 'later' | 'error';
  /** For `later`, the needs that run first; for `error`, why. */
  detail?: string;
}

/** The conditions of the nodes in `rerun`, judged on the `reused` outputs and the run's `params`. */
export function rerunConditions(
  spec: PipelineSpec,
  rerun: readonly string[],
  reused: ReadonlyMap<string, unknown>,
  params: unknown,
): RerunCondition[] {
  const again = new Set(rerun);
  const conditions: RerunCondition[] = [];
  for (const node of spec.nodes) {
    if (!again.has(node.id) || node.when === undefined) continue;
    const needs = node.needs ?? [];
    const first = needs.filter((n) => again.has(n) || !reused.has(n));
    if (first.length > 0) {
      conditions.push({ node: node.id, when: node.when, verdict: 'later', detail: first.join(', ') });
      continue;
    }
    const upstream = Object.fromEntries(needs.map((n) => [n, reused.get(n)]));
    const result = expressionEngine().evaluateExpression(node.when, { variables: NODE_VARIABLES, needs }, { params, upstream });
    if (!result.ok) conditions.push({ node: node.id, when: node.when, verdict: 'error', detail: result.error });
    else if (typeof result.value !== 'boolean') {
      conditions.push({ node: node.id, when: node.when, verdict: 'error', detail: `gave ${JSON.stringify(result.value)}, not true or false` });
    } else conditions.push({ node: node.id, when: node.when, verdict: result.value ? 'run' : 'skip' });
  }
  return conditions;
}
