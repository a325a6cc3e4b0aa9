/**
 * Spec validation of the fields that decide and wire data: `when`, `trigger`, `repeat`,
 * `${{ }}` templates in `input`, and an expression in a map's `over`. Every expression is
 * parsed and checked where it is written (an unknown variable, a node outside `needs`, a
 * computed `upstream[x]`, loops nested too deep), so a spec that passes here fails at run time
 * only on the data (a missing field, a wrong type).
 *
 * The CEL library loads only when a node holds an expression. Pure.
 */
import { expressionEngine } from './expressions/load-expressions';
import { NODE_VARIABLES, REPEAT_INPUT_VARIABLES, UNTIL_VARIABLES, type ExpressionScope } from './expressions/expression-ast';
import { isTemplateText, parseTemplate, templateStrings } from './expressions/templates';
import { MAX_REPEAT_ROUNDS, TRIGGER_RULES, type NodeKind } from './types';
import { describe, isObject, isPositiveInt } from './value-checks';

type Add = (path: string, message: string) => void;

const REPEAT_FIELDS = new Set(['until', 'max']);

/** Reports the problems of a node's `when`, `trigger`, `repeat`, input templates and `over` expression. */
export function checkNodeExpressions(node: Record<string, unknown>, kind: NodeKind, at: string, add: Add): void {
  const needs = Array.isArray(node.needs) ? node.needs.filter((n): n is string => typeof n === 'string') : [];
  const scope = (variables: readonly string[]): ExpressionScope => ({ variables, needs });
  const expression = (path: string, text: string, variables: readonly string[]): void => {
    const check = expressionEngine().checkExpression(text, scope(variables));
    if (!check.ok) add(path, check.problem);
  };

  if (node.trigger !== undefined) {
    if (typeof node.trigger !== 'string' || !(TRIGGER_RULES as readonly string[]).includes(node.trigger)) {
      add(`${at}.trigger`, `must be one of ${TRIGGER_RULES.map((t) => `"${t}"`).join(', ')}, got ${describe(node.trigger)}`);
    } else if (needs.length === 0) {
      add(`${at}.trigger`, 'applies only to a node with needs');
    }
  }
  if (node.when !== undefined) {
    if (typeof node.when !== 'string' || node.when.trim() === '') add(`${at}.when`, `must be a CEL condition (a string), got ${describe(node.when)}`);
    else expression(`${at}.when`, node.when, NODE_VARIABLES);
  }
  const repeated = node.repeat !== undefined;
  // On another kind, `repeat` is refused as not applying (with the kind's fields): its content is
  // not read, so that one problem says what to fix. Its input may still use `previous` and `round`.
  if (repeated && kind === 'pipeline') {
    checkRepeat(node.repeat, `${at}.repeat`, add, (path, text) => expression(path, text, UNTIL_VARIABLES));
  }

  checkInputTemplates(node.input, `${at}.input`, needs, repeated, add);
  if (kind === 'map' && typeof node.over === 'string' && isTemplateText(node.over)) {
    const parsed = parseTemplate(node.over);
    const only = parsed.ok && parsed.parts.length === 1 ? parsed.parts[0] : undefined;
    if (!parsed.ok) add(`${at}.over`, parsed.problem);
    else if (!only || !('expression' in only)) add(`${at}.over`, 'an expression in "over" must be the whole value: "${{ upstream.list.files }}"');
    else expression(`${at}.over`, only.expression, NODE_VARIABLES);
  }
}

/**
 * Reports the problems of the `${{ }}` templates in an input (a spec's, or one an operator
 * gives with `edit` or `retry`), each at its path below `at`.
 *
 * @param repeated whether the node repeats (its input may also use `previous` and `round`).
 */
export function checkInputTemplates(input: unknown, at: string, needs: readonly string[], repeated: boolean, add: Add): void {
  const strings = templateStrings(input, at);
  if (strings.length === 0) return;
  const scope: ExpressionScope = { variables: repeated ? REPEAT_INPUT_VARIABLES : NODE_VARIABLES, needs };
  for (const { path, text } of strings) {
    const parsed = parseTemplate(text);
    if (!parsed.ok) {
      add(path, parsed.problem);
      continue;
    }
    for (const part of parsed.parts) {
      if (!('expression' in part)) continue;
      const check = expressionEngine().checkExpression(part.expression, scope);
      if (!check.ok) add(path, check.problem);
    }
  }
}

/** The first problem of the templates in an operator's input, as one line, or `undefined`. */
export function inputTemplateRefusal(input: unknown, needs: readonly string[], repeated: boolean): string | undefined {
  let first: string | undefined;
  checkInputTemplates(input, 'input', needs, repeated, (path, message) => {
    first ??= `${path}: ${message}`;
  });
  return first;
}

function checkRepeat(repeat: unknown, at: string, add: Add, until: (path: string, text: string) => void): void {
  if (!isObject(repeat)) {
    add(at, `must be an object with "until" and "max", got ${describe(repeat)}`);
    return;
  }
  for (const key of Object.keys(repeat)) if (!REPEAT_FIELDS.has(key)) add(`${at}.${key}`, 'unknown field; a repeat takes "until" and "max"');
  if (repeat.until === undefined) add(`${at}.until`, 'missing: the condition that ends the repeat');
  else if (typeof repeat.until !== 'string' || repeat.until.trim() === '') add(`${at}.until`, `must be a CEL condition (a string), got ${describe(repeat.until)}`);
  else until(`${at}.until`, repeat.until);
  if (repeat.max === undefined) add(`${at}.max`, 'missing: the most rounds to run');
  else if (!isPositiveInt(repeat.max) || repeat.max > MAX_REPEAT_ROUNDS) {
    add(`${at}.max`, `must be a whole number from 1 to ${MAX_REPEAT_ROUNDS}, got ${describe(repeat.max)}`);
  }
}
