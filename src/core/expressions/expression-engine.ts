/**
 * CEL expressions: checked where a spec is validated, evaluated where the workflow runs a node.
 *
 * CEL (the Common Expression Language) has no side effects and no unbounded loops, but a full
 * library does not limit cost: nested comprehensions over large lists can run for seconds, and a
 * workflow task must finish in well under two. So what can be written is bounded here (the text's
 * length, comprehension nesting) and what is evaluated too: the lists and maps an expression reads
 * count every item they hand out, and an evaluation that visits more than {@link VISIT_BUDGET}
 * fails. Regular expressions (`matches`) run on RE2, in linear time. Never `eval`.
 *
 * This module loads the CEL library: import it only where expressions are checked or evaluated
 * (see `load-expressions.ts`), so `import('tapflow')` does not pay for it.
 *
 * Runs inside the workflow sandbox: pure.
 */
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { celTypeName, fromCelValue, toCelValue, type VisitBudget } from './cel-values';
import { readExpression, type Expr, type ExpressionReads, type ExpressionScope } from './expression-ast';

/** Longest expression text, in characters. */
export const MAX_EXPRESSION_LENGTH = 2000;
/** Deepest comprehension nesting: a loop inside a loop, no deeper. */
export const MAX_COMPREHENSION_NESTING = 2;
/**
 * Most list items and map entries one evaluation may visit: each step of a loop, each item `in`
 * looks at, each pair of a comparison of lists. It bounds what a loop costs whatever builds it
 * (a loop inside a loop, `in` inside a loop, lists joined before a loop); past it the evaluation
 * fails.
 */
export const VISIT_BUDGET = 500_000;

/** A checked expression, ready to evaluate. */
export interface CheckedExpression {
  text: string;
  expr: Expr;
  reads: ExpressionReads;
  /** The node's needs: all that `upstream` holds when the expression uses it whole. */
  needs: readonly string[];
}

/** The outcome of {@link checkExpression}: the checked expression, or one line saying what is wrong. */
export type ExpressionCheck = { ok: true; checked: CheckedExpression } | { ok: false; problem: string };

/** The outcome of an evaluation: the value as JSON, or one line saying what went wrong. */
export type ExpressionResult = { ok: true; value: unknown } | { ok: false; error: string };

const env = celEnv();

/**
 * Parses and checks an expression against the scope it is written in. Never throws. A problem is
 * one line, even when the text spans several (line breaks in it are written `\n`).
 */
export function checkExpression(text: string, scope: ExpressionScope): ExpressionCheck {
  const check = checkText(text, scope);
  return check.ok ? check : { ok: false, problem: oneLine(check.problem) };
}

function checkText(text: string, scope: ExpressionScope): ExpressionCheck {
  if (text.trim() === '') return { ok: false, problem: 'the expression is empty' };
  if (text.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, problem: `the expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH}` };
  }
  let expr: Expr;
  try {
    expr = parse(text).expr;
  } catch (err) {
    return { ok: false, problem: syntaxProblem(err) };
  }
  let reads: ExpressionReads;
  try {
    reads = readExpression(expr, scope);
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, problem: 'the expression is nested too deeply' };
    throw err;
  }
  if (reads.problems.length > 0) return { ok: false, problem: reads.problems.join('; ') };
  if (reads.nesting > MAX_COMPREHENSION_NESTING) {
    return {
      ok: false,
      problem: `comprehensions (all, exists, exists_one, map, filter) nest ${reads.nesting} deep; at most ${MAX_COMPREHENSION_NESTING} (a loop inside a loop)`,
    };
  }
  return { ok: true, checked: { text, expr, reads, needs: [...scope.needs] } };
}

/**
 * Evaluates a checked expression. `variables` holds the values of the variables in its scope
 * (`upstream` by node id); only those it reads are converted. Never throws. An error is one line.
 */
export function evaluateChecked(checked: CheckedExpression, variables: Readonly<Record<string, unknown>>): ExpressionResult {
  const result = evaluate(checked, variables);
  return result.ok ? result : { ok: false, error: oneLine(result.error) };
}

function evaluate(checked: CheckedExpression, variables: Readonly<Record<string, unknown>>): ExpressionResult {
  const budget: VisitBudget = { left: VISIT_BUDGET, limit: VISIT_BUDGET };
  const bindings: Record<string, CelInput> = {};
  try {
    for (const name of checked.reads.variables) {
      if (name === 'upstream') bindings.upstream = upstreamBinding(checked.reads.upstream, checked.needs, variables.upstream, budget);
      else bindings[name] = toCelValue(variables[name], budget);
    }
  } catch (err) {
    return { ok: false, error: `${checked.text}: ${(err as Error).message}` };
  }
  let result;
  try {
    result = plan(env, checked.expr)(bindings);
  } catch (err) {
    return { ok: false, error: `${checked.text}: ${(err as Error).message}` };
  }
  if (isCelError(result)) return { ok: false, error: `${checked.text}: ${result.message}` };
  try {
    return { ok: true, value: fromCelValue(result) };
  } catch (err) {
    return { ok: false, error: `${checked.text}: ${(err as Error).message} (${celTypeName(result)})` };
  }
}

/** Checks and evaluates an expression in one go; a check problem comes back as the error. */
export function evaluateExpression(
  text: string,
  scope: ExpressionScope,
  variables: Readonly<Record<string, unknown>>,
): ExpressionResult {
  const check = checkExpression(text, scope);
  if (!check.ok) return { ok: false, error: `${oneLine(text)}: ${check.problem}` };
  return evaluateChecked(check.checked, variables);
}

/**
 * The `upstream` map with only the nodes the expression names (all the node's needs when it uses
 * it whole: never a node outside them, whatever `upstream` holds). A need without an output is null.
 */
function upstreamBinding(named: Set<string> | 'all', needs: readonly string[], upstream: unknown, budget: VisitBudget): CelInput {
  const outputs = (upstream ?? {}) as Record<string, unknown>;
  const ids = named === 'all' ? needs : [...named];
  // Own properties only: a node named `constructor` is not Object.prototype's.
  return toCelValue(Object.fromEntries(ids.map((id) => [id, Object.hasOwn(outputs, id) ? outputs[id] : null])), budget);
}

/**
 * A message as one line: line breaks (from a multi-line expression, or a quoted name in it) and
 * other control characters written as escapes (`\n`, `\u0000`); tabs kept.
 */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A parser error as one line: `column 3: found "+" but expecting end of input`. */
function syntaxProblem(err: unknown): string {
  if (err instanceof RangeError) return 'the expression is nested too deeply';
  const e = err as { rawMessage?: string; message?: string; location?: { start?: { line?: number; column?: number } } };
  const start = e.location?.start;
  const text = e.rawMessage ?? e.message ?? String(err);
  if (start?.column === undefined) return `syntax error: ${text}`;
  const line = start.line !== undefined && start.line > 1 ? `line ${start.line} ` : '';
  return `syntax error at ${line}column ${start.column}: ${text}`;
}
