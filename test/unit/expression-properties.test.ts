/**
 * Property-based tests of the expression engine and templates (fast-check): whatever the text,
 * checking and evaluating it gives a value or one line saying what is wrong, never a throw or a
 * hang (a hang times the test out); any JSON value read through `upstream` comes back as it was;
 * a string without `${{` is not touched by template resolution.
 *
 * Every property runs with a fixed seed. On a failure fast-check prints the seed and the
 * counterexample's path; replay it with
 * `TAPFLOW_FC_SEED=<seed> TAPFLOW_FC_PATH=<path> npx jest test/unit/expression-properties.test.ts`.
 *
 * JSON round trip, the one exception found: `-0` comes back as `0` (a JSON number has no sign of
 * zero: both serialise as `0`, so the comparison is made on the JSON text). Whole numbers beyond
 * the safe integers are CEL doubles and come back unchanged.
 */
import fc from 'fast-check';
import { checkExpression, evaluateExpression, type ExpressionResult } from '../../src/core/expressions/expression-engine';
import type { ExpressionScope } from '../../src/core/expressions/expression-ast';
import { holdsTemplates, isTemplateText, parseTemplate, resolveTemplates, templateStrings } from '../../src/core/expressions/templates';
import { propertyParams } from '../helpers/spec-arbitraries';

const SCOPE: ExpressionScope = { variables: ['params', 'upstream', 'round', 'previous'], needs: ['x', 'y'] };
const VARIABLES = {
  params: { n: 2, s: 'abc', f: 1.5, list: [1, 2, 3] },
  upstream: { x: { count: 3, list: [1, 2, 3], name: 'probe', m: { a: 1, b: [true] } }, y: ['a', 'b'] },
  round: 2,
  previous: null,
};

/** Per-test limit: each property takes well under a second; only a hang comes near this. */
const HANG_MS = 30_000;

/** One line: not empty, no line break of any kind. */
const ONE_LINE = /^[^\r\n\u2028\u2029]+$/;

/** Whether `value` is plain JSON: no BigInt, no Map, no non-finite number, anywhere. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainJson);
}

/** Asserts the shape every evaluation must have. */
function assertResult(result: ExpressionResult): void {
  if (result.ok) {
    if (!isPlainJson(result.value)) throw new Error(`a value that is not plain JSON: ${String(result.value)}`);
  } else {
    expect(result.error).toMatch(ONE_LINE);
  }
}

/** Checks and evaluates `text`, asserting neither throws and both answer as they must. */
function checkAndEvaluate(text: string): void {
  const check = checkExpression(text, SCOPE);
  if (check.ok) expect(check.checked.text).toBe(text);
  else expect(check.problem).toMatch(ONE_LINE);
  const result = evaluateExpression(text, SCOPE, VARIABLES);
  assertResult(result);
  // A text the checker refuses never evaluates.
  if (!check.ok) expect(result.ok).toBe(false);
}

/** Pieces of CEL, and of things that are nearly CEL, to join into token soup. */
const TOKENS = [
  // names
  'params', 'upstream', 'round', 'previous', 'output', 'x', 'y', 'v', 'a', 'b', 'count', 'list', 'name', 'm',
  'nope', 'has', 'size', 'int', 'uint', 'double', 'string', 'bytes', 'dyn', 'type', 'null', 'true', 'false',
  'timestamp', 'duration', 'matches', 'contains', 'startsWith', 'endsWith', 'google.protobuf.Timestamp',
  // selections and macros
  '.', '.x', '.count', '.list', '.m', '.a', '.all(', '.exists(', '.exists_one(', '.map(', '.filter(',
  '.all(v, ', '.exists(v, ', '.map(v, ', '.filter(v, ', '.size()', '.matches(', 'upstream.x', 'upstream["y"]',
  'upstream[', 'params.list', 'upstream.x.list', 'upstream.x.list.all(a, ', 'has(upstream.x.',
  // operators and punctuation
  '+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '!', '?', ':', ',', 'in',
  '(', ')', '[', ']', '{', '}', '"', "'", '"""', '`', '\\', '$', '${{', '}}', '#', '//', '\n', '\t',
  // literals
  '0', '1', '-1', '2', '1.5', '1e308', '9223372036854775807', '-9223372036854775808', '18446744073709551615u',
  '0x1F', '1u', '"a"', "'b'", '"\\u0000"', '"(a+)+$"', 'b"\\xff"', 'r"\\d+"', '"2024-01-01T00:00:00Z"', '"90s"',
  '[]', '{}', '[1, 2, 3]', '{"k": 1}',
];

/** Token soup: CEL-ish text, sometimes valid, mostly not. */
const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom('', '', ' ')), { minLength: 1, maxLength: 30 })
  .map((pieces) => pieces.map(([token, space]) => token + space).join(''));

/** Well-formed expressions built from the grammar, to reach evaluation more often than soup does. */
const { expr: grammarExpr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('1', '2.5', '"s"', 'true', 'null', 'params.n', 'params.f', 'params.s', 'upstream.x.count', 'upstream.x.list',
      'upstream.y', 'upstream.x.m', 'round', 'previous', 'upstream.x.missing', '[1, 2]', '{"k": 1}', 'b"z"'),
    fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '==', '<', '&&', '||', 'in'), tie('expr')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, e]) => `(${c} ? ${t} : ${e})`),
    fc.tuple(fc.constantFrom('all', 'exists', 'map', 'filter', 'exists_one'), tie('expr'), tie('expr')).map(([m, range, body]) => `${range}.${m}(v, ${body})`),
    fc.tuple(fc.constantFrom('size', 'string', 'int', 'double', 'type', 'dyn', 'timestamp', 'duration', 'bytes'), tie('expr')).map(([f, a]) => `${f}(${a})`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `[${a}, ${b}]`),
    fc.tuple(tie('expr'), tie('expr')).map(([k, v]) => `{${k}: ${v}}`),
    tie('expr').map((e) => `${e}[0]`),
    tie('expr').map((e) => `-${e}`),
    tie('expr').map((e) => `!${e}`),
  ),
}));

/** Strings with UTF-16 units of every kind, lone surrogates included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 });

describe('any text: checkExpression and evaluateExpression answer, never throw', () => {
  test.each<[string, fc.Arbitrary<string>]>([
    ['fc.string', fc.string({ maxLength: 80 })],
    ['full unicode (code points)', fc.string({ unit: 'binary', maxLength: 60 })],
    ['graphemes', fc.string({ unit: 'grapheme', maxLength: 40 })],
    ['UTF-16 units, lone surrogates too', anyUnits],
    ['CEL-ish token soup', tokenSoup],
    ['well-formed expressions', grammarExpr],
  ])('%s', (_name, arbitrary) => {
    fc.assert(fc.property(arbitrary, checkAndEvaluate), propertyParams(400));
  }, HANG_MS);

  test('the generators reach every outcome: values, check problems and evaluation errors', () => {
    let values = 0;
    let problems = 0;
    let errors = 0;
    for (const text of fc.sample(fc.oneof(tokenSoup, grammarExpr), { numRuns: 400, seed: 7 })) {
      const check = checkExpression(text, SCOPE);
      if (!check.ok) problems++;
      else if (evaluateExpression(text, SCOPE, VARIABLES).ok) values++;
      else errors++;
    }
    expect(values).toBeGreaterThan(10);
    expect(problems).toBeGreaterThan(10);
    expect(errors).toBeGreaterThan(10);
  });
});

describe('any JSON value read through upstream comes back as it was', () => {
  const readBack = (v: unknown): ExpressionResult =>
    evaluateExpression('upstream.a', { variables: ['upstream'], needs: ['a'] }, { upstream: { a: v } });

  test.each<[string, fc.Arbitrary<unknown>]>([
    ['fc.jsonValue()', fc.jsonValue()],
    ['fc.jsonValue() with any code point in strings and keys', fc.jsonValue({ stringUnit: 'binary' })],
    ['numbers of every size, -0 included', fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(-0, 2 ** 53, -(2 ** 53), 2 ** 63, 1e21, Number.MAX_VALUE, Number.MIN_VALUE))],
  ])('%s', (_name, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (v) => {
        const result = readBack(v);
        if (!result.ok) throw new Error(result.error);
        expect(isPlainJson(result.value)).toBe(true);
        // Same JSON text: same keys in the same order, same numbers (`-0` and `0` both write `0`).
        expect(JSON.stringify(result.value)).toBe(JSON.stringify(v));
        expect(result.value).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      propertyParams(400),
    );
  });

  test('-0 comes back as 0: the one exception, invisible in JSON', () => {
    const result = readBack(-0);
    expect(result).toEqual({ ok: true, value: 0 });
    expect(Object.is(result.ok && result.value, 0)).toBe(true);
  });

  test('"__proto__" keys, which JSON.parse makes, come back as keys', () => {
    const v = JSON.parse('{"__proto__": {"x": [1, {"__proto__": 2}]}, "b": null}') as unknown;
    const result = readBack(v);
    expect(result.ok && JSON.stringify(result.value)).toBe('{"__proto__":{"x":[1,{"__proto__":2}]},"b":null}');
  });

  test('int arithmetic on any safe integers is exact, as BigInt computes it', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (a, b) => {
        const result = evaluateExpression('upstream.x.a + upstream.x.b', { variables: ['upstream'], needs: ['x'] }, { upstream: { x: { a, b } } });
        expect(result).toEqual({ ok: true, value: Number(BigInt(a) + BigInt(b)) });
      }),
      propertyParams(300),
    );
  });
});

describe('templates', () => {
  /** Text made mostly of the characters templates are made of. */
  const templateish = fc.string({ unit: fc.constantFrom('$', '{', '}', ' ', 'x', '\\', '"', 'é', '\n'), maxLength: 40 });
  const noOpen = (s: string): boolean => !s.includes('${{');

  test('resolveTemplates of any string without "${{" is the identity, and evaluates nothing', () => {
    const never = (): never => {
      throw new Error('evaluate must not be called');
    };
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), anyUnits, templateish).filter(noOpen), (s) => {
        expect(resolveTemplates(s, 'input', never)).toBe(s);
        expect(isTemplateText(s)).toBe(false);
        expect(parseTemplate(s)).toEqual({ ok: true, parts: [{ text: s }] });
      }),
      propertyParams(500),
    );
  });

  test('resolveTemplates of any JSON value without "${{" gives an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        fc.pre(!JSON.stringify(v).includes('${{'));
        const out = resolveTemplates(v, 'input', () => {
          throw new Error('evaluate must not be called');
        });
        expect(JSON.stringify(out)).toBe(JSON.stringify(v));
        expect(out).toEqual(v);
        expect(holdsTemplates(v)).toBe(false);
        expect(templateStrings(v, 'input')).toEqual([]);
      }),
      propertyParams(400),
    );
  });

  test('parseTemplate of any string answers with parts or one line; a parsed string resolves without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(templateish, fc.string()), (s) => {
        const parsed = parseTemplate(s);
        if (!parsed.ok) {
          expect(parsed.problem).toMatch(ONE_LINE);
          expect(() => resolveTemplates(s, 'input', () => 1)).toThrow(parsed.problem);
          return;
        }
        for (const part of parsed.parts) if ('expression' in part) expect(part.expression.trim()).toBe(part.expression);
        const resolved = resolveTemplates(s, 'input', (e) => `<${e}>`);
        expect(typeof resolved).toBe('string');
      }),
      propertyParams(500),
    );
  });
});
