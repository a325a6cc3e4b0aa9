/**
 * `${{ expression }}` templates in a node's `input` strings. A string that is exactly one
 * template becomes the expression's value with its type (an object, a number, a list); a
 * template inside longer text becomes text. `$${{` writes a literal `${{`. An expression cannot
 * hold `}}` (write `} }` inside a map literal): the first `}}` closes the template.
 *
 * No CEL here, only the text: the workflow and the validator hand each expression to the
 * engine. Runs inside the workflow sandbox: pure.
 */

/** One piece of a template string: literal text, or an expression to evaluate. */
export type TemplatePart = { text: string } | { expression: string };

/** A template string, read: its parts, or one line saying what is wrong with it. */
export type ParsedTemplate = { ok: true; parts: TemplatePart[] } | { ok: false; problem: string };

const OPEN = '${{';
const CLOSE = '}}';

/** Whether a string holds a template or an escape: only then is it read rather than taken as written. */
export function isTemplateText(text: string): boolean {
  return text.includes(OPEN);
}

/** Splits a string into literal text and expressions. */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let literal = '';
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf(OPEN, at);
    if (open < 0) {
      literal += text.slice(at);
      break;
    }
    if (text[open - 1] === '$') {
      // `$${{` is a literal `${{`: drop the escaping `$`.
      literal += text.slice(at, open - 1) + OPEN;
      at = open + OPEN.length;
      continue;
    }
    literal += text.slice(at, open);
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) return { ok: false, problem: `"${OPEN}" at character ${open + 1} is not closed with "${CLOSE}"` };
    const expression = text.slice(open + OPEN.length, close).trim();
    if (expression === '') return { ok: false, problem: `the template at character ${open + 1} is empty` };
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push({ expression });
    at = close + CLOSE.length;
  }
  if (literal !== '' || parts.length === 0) parts.push({ text: literal });
  return { ok: true, parts };
}

/**
 * Every template string in a value (an `input`), depth first in key order, each with its path
 * below `at`. Strings that only escape (`$${{`) are listed too, as they are read rather than taken
 * as written.
 */
export function templateStrings(value: unknown, at: string): Array<{ path: string; text: string }> {
  const found: Array<{ path: string; text: string }> = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      if (isTemplateText(v)) found.push({ path, text: v });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, item] of Object.entries(v)) walk(item, `${path}.${key}`);
    }
  };
  walk(value, at);
  return found;
}

/** Whether a value holds any template string (or escape). */
export function holdsTemplates(value: unknown): boolean {
  if (typeof value === 'string') return isTemplateText(value);
  if (Array.isArray(value)) return value.some(holdsTemplates);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsTemplates);
  return false;
}

/** A template string's value could not be found: where, and why. */
export class TemplateError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'TemplateError';
  }
}

/**
 * A value with every template string replaced by what it says. `evaluate` gives an expression's
 * value or throws with the reason.
 *
 * @throws {TemplateError} naming the first string that could not be resolved.
 */
export function resolveTemplates(value: unknown, at: string, evaluate: (expression: string) => unknown): unknown {
  if (typeof value === 'string') {
    if (!isTemplateText(value)) return value;
    const parsed = parseTemplate(value);
    if (!parsed.ok) throw new TemplateError(at, parsed.problem);
    const { parts } = parsed;
    try {
      const only = parts.length === 1 ? parts[0] : undefined;
      if (only && 'expression' in only) return evaluate(only.expression);
      return parts.map((part) => ('text' in part ? part.text : asText(evaluate(part.expression)))).join('');
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError(at, (err as Error).message);
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveTemplates(item, `${at}[${i}]`, evaluate));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Defined, not assigned: a `__proto__` key stays a key instead of replacing the prototype.
      const resolved = resolveTemplates(item, `${at}.${key}`, evaluate);
      Object.defineProperty(out, key, { value: resolved, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** A value placed inside text: strings as they are, anything else as JSON. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}
