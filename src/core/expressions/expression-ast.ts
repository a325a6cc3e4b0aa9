/**
 * What a parsed CEL expression reads, found by walking its syntax tree: the variables it uses,
 * the upstream nodes it names, and how deeply its comprehensions (`all`, `exists`, `map`,
 * `filter`) nest. Validation refuses what only run time could otherwise find (an unknown
 * variable, a node outside `needs`, `upstream[x]` with a computed key); evaluation converts only
 * the values an expression reads.
 *
 * Runs inside the workflow sandbox: pure.
 */
import type { parse } from '@bufbuild/cel';

/** A parsed expression's syntax tree. */
export type Expr = ReturnType<typeof parse>['expr'];

/** What a node's `when`, its input's templates and a map's `over` may use. */
export const NODE_VARIABLES: readonly string[] = ['params', 'upstream'];
/** What a repeated node's input may use: also the previous round's output and the round's number. */
export const REPEAT_INPUT_VARIABLES: readonly string[] = [...NODE_VARIABLES, 'previous', 'round'];
/** What a repeat's `until` may use: the round's output and number, with the node's own. */
export const UNTIL_VARIABLES: readonly string[] = ['output', 'round', ...NODE_VARIABLES];

/** The variables and upstream nodes an expression may read where it is written. */
export interface ExpressionScope {
  /** Variables it may use (`params`, `upstream`, and in some places `output`, `round`, `previous`). */
  variables: readonly string[];
  /** Node ids `upstream` may name: the node's `needs`. */
  needs: readonly string[];
}

/** What an expression reads. */
export interface ExpressionReads {
  /** Variables used. */
  variables: Set<string>;
  /** Upstream node ids named; `all` when `upstream` is used whole (`size(upstream)`). */
  upstream: Set<string> | 'all';
  /** Deepest nesting of comprehensions: 0 without any, 2 for a loop inside a loop. */
  nesting: number;
  /** Problems, each one line; empty when the expression is fine. */
  problems: string[];
}

/** Names CEL knows without a declaration: type names used as values (`type(x) == int`). */
const BUILT_IN_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Reads a parsed expression against the scope it is written in. */
export function readExpression(expr: Expr, scope: ExpressionScope): ExpressionReads {
  const reads: ExpressionReads = { variables: new Set(), upstream: new Set(), nesting: 0, problems: [] };
  const needs = new Set(scope.needs);
  const allowed = new Set(scope.variables);
  const problem = (message: string): void => {
    if (!reads.problems.includes(message)) reads.problems.push(message);
  };
  const nameUpstream = (id: string): void => {
    if (!needs.has(id)) {
      const listed = scope.needs.length === 0 ? 'the node needs none' : `its needs are ${scope.needs.map((n) => `"${n}"`).join(', ')}`;
      problem(`upstream.${id}: "${id}" is not in the node's needs (${listed})`);
      return;
    }
    if (reads.upstream !== 'all') reads.upstream.add(id);
  };
  /** Whether `e` is the variable `upstream` itself (not a loop variable of that name). */
  const isUpstream = (e: Expr | undefined, bound: ReadonlySet<string>): boolean =>
    e?.exprKind.case === 'identExpr' && e.exprKind.value.name === 'upstream' && !bound.has('upstream');

  const walk = (e: Expr | undefined, bound: ReadonlySet<string>, depth: number): void => {
    if (!e) return;
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return;
      case 'identExpr': {
        const name = kind.value.name;
        if (bound.has(name) || BUILT_IN_NAMES.has(name)) return;
        if (!allowed.has(name)) {
          problem(`unknown variable "${name}"; here an expression can use ${scope.variables.map((v) => `"${v}"`).join(', ')}`);
          return;
        }
        reads.variables.add(name);
        if (name === 'upstream') reads.upstream = 'all';
        return;
      }
      case 'selectExpr': {
        const { operand, field } = kind.value;
        if (isUpstream(operand, bound)) {
          reads.variables.add('upstream');
          nameUpstream(field);
          return;
        }
        walk(operand, bound, depth);
        return;
      }
      case 'callExpr': {
        const { target, args, function: fn } = kind.value;
        if (fn === '_[_]' && isUpstream(args[0], bound)) {
          reads.variables.add('upstream');
          const key = args[1]?.exprKind;
          if (key?.case === 'constExpr' && key.value.constantKind.case === 'stringValue') {
            nameUpstream(key.value.constantKind.value);
          } else {
            problem('upstream[...] must name a node with a quoted id (upstream["my-node"]): a computed name cannot be checked before the run');
            for (const arg of args.slice(1)) walk(arg, bound, depth);
          }
          return;
        }
        walk(target, bound, depth);
        for (const arg of args) walk(arg, bound, depth);
        return;
      }
      case 'listExpr':
        for (const element of kind.value.elements) walk(element, bound, depth);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, bound, depth);
          walk(entry.value, bound, depth);
        }
        return;
      case 'comprehensionExpr': {
        const c = kind.value;
        walk(c.iterRange, bound, depth);
        walk(c.accuInit, bound, depth);
        const inner = new Set(bound);
        for (const name of [c.iterVar, c.iterVar2, c.accuVar]) if (name) inner.add(name);
        const level = depth + 1;
        reads.nesting = Math.max(reads.nesting, level);
        walk(c.loopCondition, inner, level);
        walk(c.loopStep, inner, level);
        walk(c.result, inner, level);
        return;
      }
      default:
        return;
    }
  };
  walk(expr, new Set(), 0);
  return reads;
}
