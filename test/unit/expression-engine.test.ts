/**
 * The CEL expression engine: checking (`checkExpression`), evaluation (`evaluateChecked`,
 * `evaluateExpression`) and the mapping of JSON values into CEL and of CEL results back to JSON
 * (`toCelValue`, `fromCelValue`, `celTypeName`).
 */
import { parse, plan, celEnv, type CelValue } from '@bufbuild/cel';
import { celTypeName, fromCelValue, toCelValue, VisitBudgetExceeded, type VisitBudget } from '../../src/core/expressions/cel-values';
import {
  checkExpression,
  evaluateChecked,
  evaluateExpression,
  MAX_COMPREHENSION_NESTING,
  MAX_EXPRESSION_LENGTH,
  VISIT_BUDGET,
  type ExpressionResult,
} from '../../src/core/expressions/expression-engine';
import type { ExpressionScope } from '../../src/core/expressions/expression-ast';

const SCOPE: ExpressionScope = { variables: ['params', 'upstream'], needs: ['x', 'y'] };

const UPSTREAM = {
  x: {
    count: 3,
    ratio: 2.5,
    name: 'probe',
    list: [1, 2, 3],
    words: ['a', 'b'],
    map: { a: 1, b: 'two' },
    at: '2024-01-02T03:04:05Z',
    nothing: null,
    flag: true,
    big: 2 ** 60,
  },
  y: { files: ['a.png', 'b.jpg'] },
};
const VARIABLES = { params: { n: 2, s: 'abc', f: 1.5 }, upstream: UPSTREAM };

/** Evaluates `text` in {@link SCOPE}, with {@link VARIABLES} unless others are given. */
function run(text: string, variables: Record<string, unknown> = VARIABLES, scope: ExpressionScope = SCOPE): ExpressionResult {
  return evaluateExpression(text, scope, variables);
}

/** The value of `text`, failing the test with the error when there is none. */
function valueOf(text: string, variables?: Record<string, unknown>, scope?: ExpressionScope): unknown {
  const result = run(text, variables, scope);
  if (!result.ok) throw new Error(`expected a value, got the error: ${result.error}`);
  return result.value;
}

/** The error of `text`, failing the test when it has a value. */
function errorOf(text: string, variables?: Record<string, unknown>, scope?: ExpressionScope): string {
  const result = run(text, variables, scope);
  if (result.ok) throw new Error(`expected an error, got the value ${JSON.stringify(result.value)}`);
  return result.error;
}

/** Every BigInt (or other non-JSON leaf) found in `value`, with its path. */
function nonJsonLeaves(value: unknown, path = '$'): string[] {
  if (value === null) return [];
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return [];
    case 'number':
      return Number.isFinite(value) ? [] : [`${path}: ${value}`];
    case 'object':
      break;
    default:
      return [`${path}: ${typeof value}`];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => nonJsonLeaves(item, `${path}[${i}]`));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return [`${path}: ${(value as object).constructor?.name ?? 'object'}`];
  return Object.entries(value).flatMap(([key, item]) => nonJsonLeaves(item, `${path}.${key}`));
}

/** A raw CEL result, evaluated by the library itself (no conversion). */
function celResult(text: string): CelValue {
  return plan(celEnv(), parse(text).expr)({}) as CelValue;
}

describe('evaluation: numbers', () => {
  test('a whole upstream number is a CEL int, so int arithmetic works and gives a JS number', () => {
    const value = valueOf('upstream.x.count + 1');
    expect(value).toBe(4);
    expect(typeof value).toBe('number');
  });

  test('int arithmetic keeps ints: division truncates, modulo works', () => {
    expect(valueOf('upstream.x.count / 2')).toBe(1);
    expect(valueOf('upstream.x.count % 2')).toBe(1);
    expect(valueOf('params.n * upstream.x.count - 10')).toBe(-4);
  });

  test('a fractional number is a double; mixing it with an int needs a conversion', () => {
    expect(valueOf('upstream.x.ratio * 2.0')).toBe(5);
    expect(valueOf('params.f + 1.0')).toBe(2.5);
    expect(valueOf('double(upstream.x.count) / 2.0')).toBe(1.5);
    expect(errorOf('upstream.x.ratio * 2')).toMatch(/no matching overload for '_\*_' applied to '\(double, int\)'/);
  });

  test('a whole number beyond the safe integers is a double, as JSON holds it', () => {
    expect(valueOf('upstream.x.big')).toBe(2 ** 60);
    expect(valueOf('type(upstream.x.big) == double')).toBe(true);
    expect(valueOf('type(upstream.x.count) == int')).toBe(true);
  });

  test('int and uint results come back as numbers, never BigInt', () => {
    expect(valueOf('9223372036854775807')).toBe(Number(2n ** 63n - 1n));
    expect(valueOf('1u + 2u')).toBe(3);
    expect(valueOf('-5')).toBe(-5);
  });

  test('int overflow is an error, not a wrapped value', () => {
    expect(errorOf('9223372036854775807 + 1')).toMatch(/overflow/);
  });

  test('division and modulo by zero are errors naming the expression', () => {
    expect(errorOf('upstream.x.count / 0')).toBe('upstream.x.count / 0: int divide by zero');
    expect(errorOf('params.n % 0')).toBe('params.n % 0: int modulus by zero');
  });

  test('a double result JSON cannot hold (infinity, NaN) is an error naming its type', () => {
    expect(errorOf('1.0 / 0.0')).toBe('1.0 / 0.0: the result Infinity is not a JSON number (double)');
    expect(errorOf('-1.0 / 0.0')).toMatch(/-Infinity is not a JSON number \(double\)$/);
    expect(errorOf('double("NaN")')).toMatch(/NaN is not a JSON number \(double\)$/);
    expect(errorOf('1e308 * 10.0')).toMatch(/Infinity is not a JSON number/);
  });
});

describe('evaluation: strings, lists, maps', () => {
  test('strings', () => {
    expect(valueOf('upstream.x.name + "-" + params.s')).toBe('probe-abc');
    expect(valueOf('upstream.x.name.size()')).toBe(5);
    expect(valueOf('upstream.x.name.startsWith("pro")')).toBe(true);
    expect(valueOf('string(upstream.x.count)')).toBe('3');
    expect(valueOf('"\\u00e9t\\u00e9"')).toBe('été');
  });

  test('lists come back as arrays, and comprehensions work over them', () => {
    expect(valueOf('upstream.x.list')).toEqual([1, 2, 3]);
    expect(valueOf('upstream.x.list.map(v, v * 2)')).toEqual([2, 4, 6]);
    expect(valueOf('upstream.x.list.filter(v, v > 1)')).toEqual([2, 3]);
    expect(valueOf('upstream.x.list.all(v, v > 0)')).toBe(true);
    expect(valueOf('upstream.x.list.exists(v, v == 2)')).toBe(true);
    expect(valueOf('upstream.x.list.exists_one(v, v > 2)')).toBe(true);
    expect(valueOf('size(upstream.y.files)')).toBe(2);
    expect(valueOf('upstream.y.files[1]')).toBe('b.jpg');
    expect(valueOf('2 in upstream.x.list')).toBe(true);
    expect(valueOf('upstream.x.list + [4]')).toEqual([1, 2, 3, 4]);
    expect(valueOf('[1, 2.5, "a", [true], {"k": null}]')).toEqual([1, 2.5, 'a', [true], { k: null }]);
  });

  test('an index past the end is an error', () => {
    expect(errorOf('upstream.x.list[5]')).toMatch(/^upstream\.x\.list\[5\]: index 5 out of bounds/);
  });

  test('maps come back as objects, whatever their keys (ints, uints, bools become strings)', () => {
    expect(valueOf('upstream.x.map')).toEqual({ a: 1, b: 'two' });
    expect(valueOf('upstream.x.map.a + 1')).toBe(2);
    expect(valueOf('upstream.x.map["b"]')).toBe('two');
    expect(valueOf('{"a": 1, 2: "b", 3u: true, false: null}')).toEqual({ a: 1, '2': 'b', '3': true, false: null });
    expect(valueOf('upstream.x.map.all(k, k in ["a", "b"])')).toBe(true);
    expect(valueOf('{"a": upstream.x.count, "b": [upstream.x.name]}')).toEqual({ a: 3, b: ['probe'] });
  });

  test('null and booleans', () => {
    expect(valueOf('upstream.x.nothing')).toBeNull();
    expect(valueOf('upstream.x.nothing == null')).toBe(true);
    expect(valueOf('upstream.x.flag && !false')).toBe(true);
    expect(valueOf('upstream.x.count > 2 ? "many" : "few"')).toBe('many');
  });

  test('a map key conflict is an error', () => {
    expect(errorOf('{"a": 1, "a": 2}')).toMatch(/map key conflict/);
  });

  test('a map whose keys collide as JSON keys (1 and "1") is an error rather than losing an entry', () => {
    expect(errorOf('{1: "int", "1": "string"}')).toMatch(/^\{1: "int", "1": "string"\}: .*"1".*\(map\)$/);
  });

  test('a whole variable can be read', () => {
    expect(valueOf('params')).toEqual({ n: 2, s: 'abc', f: 1.5 });
    expect(valueOf('size(params)')).toBe(3);
  });
});

describe('evaluation: has(), matches, timestamps, durations, other types', () => {
  test('has() tests a field without failing on its absence', () => {
    expect(valueOf('has(upstream.x.count)')).toBe(true);
    expect(valueOf('has(upstream.x.missing)')).toBe(false);
    // Not tested: has() of a field whose value is null. CEL says true; @bufbuild/cel 0.6.1 says
    // false (its map's `has` is `get(key) != undefined`), and `"nothing" in upstream.x` too.
    expect(valueOf('has(upstream.x.missing) ? upstream.x.missing : 0')).toBe(0);
  });

  test('matches runs RE2 regular expressions', () => {
    expect(valueOf('upstream.x.name.matches("^pr[a-z]+$")')).toBe(true);
    expect(valueOf('upstream.y.files.filter(f, f.matches("\\\\.png$"))')).toEqual(['a.png']);
    expect(valueOf('"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!".matches("^(a+)+$")')).toBe(false);
  });

  test('RE2 refuses what it cannot run in linear time (backreferences, lookbehind): an error, not a throw', () => {
    expect(errorOf('"aa".matches("(a)\\\\1")')).toMatch(/error parsing regexp/);
    expect(errorOf('"ab".matches("(?<=a)b")')).toMatch(/error parsing regexp/);
    expect(errorOf('"a".matches("a{1001}")')).toMatch(/invalid repeat count/);
  });

  test('a timestamp result is an ISO-8601 string', () => {
    expect(valueOf('timestamp("2024-01-02T03:04:05Z")')).toBe('2024-01-02T03:04:05.000Z');
    expect(valueOf('timestamp(upstream.x.at) + duration("1h")')).toBe('2024-01-02T04:04:05.000Z');
    expect(valueOf('timestamp(0) - duration("0.5s")')).toBe('1969-12-31T23:59:59.500Z');
    expect(valueOf('timestamp("0001-01-01T00:00:00Z")')).toBe('0001-01-01T00:00:00.000Z');
    expect(valueOf('[timestamp("1970-01-02T00:00:00Z")]')).toEqual(['1970-01-02T00:00:00.000Z']);
    expect(valueOf('google.protobuf.Timestamp{seconds: 1, nanos: 999999999}')).toBe('1970-01-01T00:00:01.999Z');
    // Not tested: timestamp(int). CEL reads the int as seconds; @bufbuild/cel 0.6.1 as milliseconds.
  });

  test('timestamps compare, and their parts can be read', () => {
    expect(valueOf('timestamp(upstream.x.at) > timestamp("2024-01-01T00:00:00Z")')).toBe(true);
    expect(valueOf('timestamp(upstream.x.at).getFullYear()')).toBe(2024);
  });

  test('a duration result is seconds as a string, exact to the nanosecond', () => {
    expect(valueOf('duration("90s")')).toBe('90s');
    expect(valueOf('duration("1h30m")')).toBe('5400s');
    expect(valueOf('duration("1.5s")')).toBe('1.5s');
    expect(valueOf('duration("-1.5s")')).toBe('-1.5s');
    expect(valueOf('duration("-0.25s")')).toBe('-0.25s');
    expect(valueOf('duration("0s")')).toBe('0s');
    expect(valueOf('duration("0.000000001s")')).toBe('0.000000001s');
    expect(valueOf('duration("0.0000001s")')).toBe('0.0000001s');
    // A JS number cannot hold this one: 1e9 s and 1 ns.
    expect(valueOf('duration("1000000000.000000001s")')).toBe('1000000000.000000001s');
    expect(valueOf('google.protobuf.Duration{seconds: 1, nanos: 5}')).toBe('1.000000005s');
    // Signs that disagree (not a valid protobuf duration, but CEL builds it): the sum.
    expect(valueOf('google.protobuf.Duration{seconds: -1, nanos: 5}')).toBe('-0.999999995s');
    expect(valueOf('timestamp("2024-01-02T00:00:00Z") - timestamp("2024-01-01T00:00:00Z")')).toBe('86400s');
  });

  test('bytes come back as base64, types as their names', () => {
    expect(valueOf('b"abc"')).toBe('YWJj');
    expect(valueOf('b"ab"')).toBe('YWI=');
    expect(valueOf('b"a"')).toBe('YQ==');
    expect(valueOf('b""')).toBe('');
    expect(valueOf('b"\\xff\\x00"')).toBe('/wA=');
    expect(valueOf('type(1)')).toBe('int');
    expect(valueOf('type(upstream.x.map)')).toBe('map');
    expect(valueOf('type(null)')).toBe('null_type');
  });

  test('well-known wrapper and JSON messages come back as their JSON', () => {
    expect(valueOf('google.protobuf.Int64Value{value: 5}')).toBe(5);
    expect(valueOf('google.protobuf.Struct{fields: {"a": google.protobuf.Value{number_value: 1.0}}}')).toEqual({ a: 1 });
    expect(valueOf('google.protobuf.ListValue{}')).toEqual([]);
  });

  test('a timestamp beyond what a JS Date holds is an error, not a throw', () => {
    expect(errorOf('google.protobuf.Timestamp{seconds: 9000000000000000}')).toMatch(/\(google\.protobuf\.Timestamp\)$/);
  });

  test('an unknown message type is an error', () => {
    expect(errorOf('Foo{a: 1}')).toMatch(/^Foo\{a: 1\}: unknown type/);
  });
});

describe('evaluation errors', () => {
  test('a missing field is an error naming the expression and the field', () => {
    expect(errorOf('upstream.x.missing')).toBe('upstream.x.missing: field not found: missing');
    expect(errorOf('upstream.x.missing.deeper + 1')).toBe('upstream.x.missing.deeper + 1: field not found: missing');
    expect(errorOf('params.nope == 1')).toMatch(/^params\.nope == 1: field not found: nope$/);
  });

  test('a type mismatch is an error', () => {
    expect(errorOf('"x" + 1')).toMatch(/^"x" \+ 1: found no matching overload/);
    expect(errorOf('upstream.x.count.all(v, true)')).toMatch(/^upstream\.x\.count\.all\(v, true\): /);
  });

  test('an upstream node that has no output yet reads as null', () => {
    expect(valueOf('upstream.x', { upstream: {} })).toBeNull();
    expect(valueOf('upstream.x == null', { upstream: { y: 1 } })).toBe(true);
    expect(valueOf('params', {})).toBeNull();
  });

  test('an error message is one line, even for an expression written on several lines', () => {
    const error = errorOf('upstream.x\n  .missing');
    expect(error).toMatch(/^upstream\.x\\n {2}\.missing: field not found: missing$/);
    expect(errorOf('upstream.x["a\\nb"]')).toMatch(/field not found: a\\nb$/);
    expect(errorOf('1 +\n 2 +')).toMatch(/^[^\n]*syntax error at line 2 column 4[^\n]*$/);
  });

  test('check problems come back as the error, prefixed with the expression', () => {
    expect(errorOf('nope + 1')).toBe('nope + 1: unknown variable "nope"; here an expression can use "params", "upstream"');
    expect(errorOf('upstream.z')).toBe('upstream.z: upstream.z: "z" is not in the node\'s needs (its needs are "x", "y")');
    expect(errorOf('1 +')).toBe('1 +: syntax error at column 3: found + but expecting end of input');
  });
});

describe('checkExpression', () => {
  test('an accepted expression says what it reads', () => {
    const check = checkExpression('upstream.x.count + size(upstream["y"].files) + params.n', SCOPE);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect([...check.checked.reads.variables].sort()).toEqual(['params', 'upstream']);
    expect(check.checked.reads.upstream).toEqual(new Set(['x', 'y']));
    expect(check.checked.reads.nesting).toBe(0);
    expect(check.checked.text).toBe('upstream.x.count + size(upstream["y"].files) + params.n');
  });

  test('upstream used whole reads every node', () => {
    const check = checkExpression('size(upstream)', SCOPE);
    expect(check.ok && check.checked.reads.upstream).toBe('all');
  });

  test('comprehension nesting is counted: sequential loops do not nest', () => {
    const nesting = (text: string): number => {
      const check = checkExpression(text, SCOPE);
      if (!check.ok) throw new Error(check.problem);
      return check.checked.reads.nesting;
    };
    expect(nesting('1 + 1')).toBe(0);
    expect(nesting('[1].all(a, a > 0)')).toBe(1);
    expect(nesting('[1].map(a, a).all(b, b > 0)')).toBe(1);
    expect(nesting('[1].all(a, a > 0) && [1].exists(b, b > 0)')).toBe(1);
    expect(nesting('[1].all(a, [1].exists(b, a == b))')).toBe(2);
  });

  test('loop variables are bound inside their loop only', () => {
    expect(checkExpression('[1].all(v, v > 0)', SCOPE).ok).toBe(true);
    expect(checkExpression('[1].all(v, v > 0) && v', SCOPE)).toEqual({
      ok: false,
      problem: 'unknown variable "v"; here an expression can use "params", "upstream"',
    });
    // A loop variable named `upstream` shadows the variable: its fields are not node ids.
    expect(checkExpression('[{"z": 1}].all(upstream, upstream.z == 1)', SCOPE).ok).toBe(true);
  });

  test('type names are known without a declaration', () => {
    expect(checkExpression('type(params) == map && type(1) == int && dyn(1) == 1', SCOPE).ok).toBe(true);
  });

  test('empty, whitespace and too-long texts are refused before parsing', () => {
    expect(checkExpression('', SCOPE)).toEqual({ ok: false, problem: 'the expression is empty' });
    expect(checkExpression(' \n\t ', SCOPE)).toEqual({ ok: false, problem: 'the expression is empty' });
    const longest = `1${' + 1'.repeat((MAX_EXPRESSION_LENGTH - 1) / 4)}`.padEnd(MAX_EXPRESSION_LENGTH, ' ');
    expect(longest).toHaveLength(MAX_EXPRESSION_LENGTH);
    expect(checkExpression(longest, SCOPE).ok).toBe(true);
    expect(checkExpression(`${longest} `, SCOPE)).toEqual({
      ok: false,
      problem: `the expression is ${MAX_EXPRESSION_LENGTH + 1} characters long; at most ${MAX_EXPRESSION_LENGTH}`,
    });
  });

  test('a syntax error says where', () => {
    expect(checkExpression('1 + + ', SCOPE)).toEqual({ ok: false, problem: expect.stringMatching(/^syntax error at column \d+: /) });
    expect(checkExpression('(1 + 2', SCOPE)).toEqual({ ok: false, problem: expect.stringMatching(/^syntax error at column \d+: /) });
    expect(checkExpression('1 +\n 2 +', SCOPE)).toEqual({ ok: false, problem: expect.stringMatching(/^syntax error at line 2 column 4: /) });
  });

  test(`loops nested deeper than ${MAX_COMPREHENSION_NESTING} are refused`, () => {
    expect(checkExpression('[1].all(a, [1].all(b, [1].all(c, true)))', SCOPE)).toEqual({
      ok: false,
      problem: 'comprehensions (all, exists, exists_one, map, filter) nest 3 deep; at most 2 (a loop inside a loop)',
    });
    // A loop in the range of another loop's inner loop is still 3 deep.
    expect(checkExpression('[1].all(a, [[1]].exists(b, b.map(c, c).size() > 0))', SCOPE).ok).toBe(false);
  });

  test('a text nested too deeply for the parser is a problem, not a stack overflow', () => {
    const deep = `${'['.repeat(990)}${']'.repeat(990)}`;
    expect(checkExpression(deep, SCOPE)).toEqual({ ok: false, problem: 'the expression is nested too deeply' });
  });

  test('every problem is listed once, joined', () => {
    const check = checkExpression('nope + nope + upstream.z + upstream.z', SCOPE);
    expect(check).toEqual({
      ok: false,
      problem:
        'unknown variable "nope"; here an expression can use "params", "upstream"; upstream.z: "z" is not in the node\'s needs (its needs are "x", "y")',
    });
  });

  test('a node with no needs says so', () => {
    expect(checkExpression('upstream.a', { variables: ['upstream'], needs: [] })).toEqual({
      ok: false,
      problem: 'upstream.a: "a" is not in the node\'s needs (the node needs none)',
    });
  });

  test('a computed upstream key is refused; a quoted one is checked against needs', () => {
    expect(checkExpression('upstream[params.s]', SCOPE)).toEqual({
      ok: false,
      problem: 'upstream[...] must name a node with a quoted id (upstream["my-node"]): a computed name cannot be checked before the run',
    });
    expect(checkExpression('upstream["x"].count', SCOPE).ok).toBe(true);
    expect(checkExpression('upstream["z"]', SCOPE)).toEqual({ ok: false, problem: expect.stringMatching(/^upstream\.z: "z" is not in/) });
  });

  test('a problem naming a quoted id with a line break stays one line', () => {
    const check = checkExpression('upstream["a\\nb"]', SCOPE);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.problem).toMatch(/^[^\n\r]*$/);
  });
});

describe('evaluateChecked: what is converted', () => {
  test('only the upstream nodes the expression names are converted', () => {
    // `y` holds something JSON cannot: reading `x` does not touch it.
    const upstream = { x: { count: 1 }, y: { bad: () => 1 } };
    expect(run('upstream.x.count', { upstream })).toEqual({ ok: true, value: 1 });
    expect(run('upstream.y.bad', { upstream })).toEqual({ ok: false, error: 'upstream.y.bad: a function is not a JSON value' });
  });

  test('a variable the expression does not use is not converted', () => {
    expect(run('upstream.x.count', { upstream: { x: { count: 1 } }, params: { bad: Symbol('s') } })).toEqual({ ok: true, value: 1 });
    expect(run('params', { params: { bad: Symbol('s') } })).toEqual({ ok: false, error: 'params: a symbol is not a JSON value (map)' });
  });

  test('upstream used whole holds the node\'s needs only, even when more outputs are given', () => {
    const upstream = { x: 1, y: 2, other: 3 };
    expect(valueOf('size(upstream)', { upstream })).toBe(2);
    expect(valueOf('upstream', { upstream })).toEqual({ x: 1, y: 2 });
    expect(valueOf('dyn(upstream)["x"]', { upstream })).toBe(1);
    expect(run('[upstream][0].other', { upstream })).toEqual({ ok: false, error: '[upstream][0].other: field not found: other' });
    // A need without an output reads as null, whether named or read through the whole map.
    expect(valueOf('upstream', { upstream: { x: 1 } })).toEqual({ x: 1, y: null });
  });

  test('an upstream id that is also an Object.prototype name reads the output, not the prototype', () => {
    const scope = { variables: ['upstream'], needs: ['constructor', 'toString'] };
    expect(valueOf('upstream.constructor', { upstream: {} }, scope)).toBeNull();
    expect(valueOf('upstream.toString', { upstream: { toString: 7 } }, scope)).toBe(7);
    expect(valueOf('upstream', { upstream: {} }, scope)).toEqual({ constructor: null, toString: null });
  });

  test('an output with a "__proto__" key (JSON.parse makes one) keeps it as a key', () => {
    const output = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as unknown;
    const value = valueOf('upstream.x', { upstream: { x: output } }) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'b']);
    expect(value.polluted).toBeUndefined();
    expect(JSON.stringify(value)).toBe('{"__proto__":{"polluted":true},"b":2}');
    expect(valueOf('upstream.x["__proto__"].polluted', { upstream: { x: output } })).toBe(true);
  });

  test('evaluateChecked runs a checked expression again with other values', () => {
    const check = checkExpression('upstream.x.count * 2', SCOPE);
    if (!check.ok) throw new Error(check.problem);
    expect(evaluateChecked(check.checked, { upstream: { x: { count: 2 } } })).toEqual({ ok: true, value: 4 });
    expect(evaluateChecked(check.checked, { upstream: { x: { count: 21 } } })).toEqual({ ok: true, value: 42 });
    expect(evaluateChecked(check.checked, { upstream: { x: {} } })).toEqual({ ok: false, error: 'upstream.x.count * 2: field not found: count' });
  });

  test('an input nested too deeply to convert is an error, not a throw', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const result = run('upstream.x', { upstream: { x: deep } });
    expect(result.ok).toBe(false);
  });
});

describe(`the visit budget (${VISIT_BUDGET})`, () => {
  const list = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const nested = 'upstream.x.list.all(a, upstream.x.list.exists(b, b == a))';
  const overBudget = { ok: false, error: expect.stringContaining('visits more than 500,000 list items and map entries') };

  test('a loop inside a loop within the budget runs', () => {
    expect(run(nested, { upstream: { x: { list: list(500) } } })).toEqual({ ok: true, value: true });
  });

  test('a loop inside a loop past the budget fails with why', () => {
    expect(run(nested, { upstream: { x: { list: list(1500) } } })).toEqual(overBudget);
  });

  test('maps count their entries when iterated', () => {
    const map = Object.fromEntries(list(1500).map((i) => [`k${i}`, i]));
    expect(run('upstream.x.map.all(k, upstream.x.map.exists(j, j == k))', { upstream: { x: { map } } })).toEqual(overBudget);
    // A lookup by key is not a visit.
    expect(run('upstream.x.map.all(k, upstream.x.map[k] >= 0)', { upstream: { x: { map } } })).toEqual({ ok: true, value: true });
  });

  test('in inside a loop counts each item it looks at', () => {
    expect(run('upstream.x.list.all(a, a in upstream.x.list)', { upstream: { x: { list: list(5000) } } })).toEqual(overBudget);
  });

  test('lists joined before a loop count every visit', () => {
    const l = 'upstream.x.list';
    const joined = `(${l}+${l}+${l}+${l}).all(a, (${l}+${l}+${l}+${l}).all(b, true))`;
    expect(run(joined, { upstream: { x: { list: list(300) } } })).toEqual(overBudget);
  });

  test('comparing two lists counts their items', () => {
    expect(run('upstream.x.list.all(a, upstream.x.list == upstream.x.list)', { upstream: { x: { list: list(2000) } } })).toEqual(overBudget);
  });

  test('a single loop may read a wide list', () => {
    expect(run('upstream.x.list.all(a, a >= 0)', { upstream: { x: { list: list(50_000) } } })).toEqual({ ok: true, value: true });
    expect(valueOf('upstream.x.list.filter(a, a % 1000 == 0).size()', { upstream: { x: { list: list(50_000) } } })).toBe(50);
  });

  test('lists the expression does not read do not count', () => {
    const upstream = { x: { list: [1, 2] }, y: { list: list(3000) } };
    expect(run(nested, { upstream })).toEqual({ ok: true, value: true });
  });
});

describe('results are JSON: never a BigInt', () => {
  test.each([
    'upstream.x.count',
    'upstream.x.list.map(v, v * 1000000)',
    '{"a": [1, 2u, {"b": -3}], "c": {1: 2}}',
    '[[[[1]]], {"k": [2u]}]',
    'upstream',
    'params',
    'upstream.x.map',
    '[timestamp(0), duration("1s"), b"x", int, 1.5, null, true]',
    '{"now": timestamp(upstream.x.at), "in": duration("2m")}',
  ])('%s', (text) => {
    const value = valueOf(text);
    expect(nonJsonLeaves(value)).toEqual([]);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  test('the checker of this test finds a BigInt deep inside', () => {
    expect(nonJsonLeaves({ a: [1, { b: 2n }] })).toEqual(['$.a[1].b: bigint']);
    expect(nonJsonLeaves([new Map()])).toEqual(['$[0]: Map']);
  });
});

describe('toCelValue', () => {
  test('maps JSON to CEL inputs: safe integers to bigint, other numbers stay numbers', () => {
    expect(toCelValue(3)).toBe(3n);
    expect(toCelValue(-0)).toBe(0n);
    expect(toCelValue(2.5)).toBe(2.5);
    expect(toCelValue(Number.MAX_SAFE_INTEGER)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(toCelValue(Number.MAX_SAFE_INTEGER + 1)).toBe(Number.MAX_SAFE_INTEGER + 1);
    expect(toCelValue(1e21)).toBe(1e21);
    expect(toCelValue('s')).toBe('s');
    expect(toCelValue(false)).toBe(false);
    expect(toCelValue(null)).toBeNull();
    expect(toCelValue(undefined)).toBeNull();
    const converted = toCelValue({ a: [1, 'b'] }) as Map<string, unknown>;
    expect([...converted.keys()]).toEqual(['a']);
    expect([...(converted.get('a') as unknown[])]).toEqual([1n, 'b']);
  });

  test('converts lazily: only what is read, and each item handed out counts as a visit', () => {
    const budget: VisitBudget = { left: 100, limit: 100 };
    // A function deep inside is not reached by reading `a`.
    const value = toCelValue({ a: [1, 2, 3], b: { bad: () => 1 } }, budget) as Map<string, unknown>;
    expect(budget.left).toBe(100);
    const a = value.get('a') as unknown[];
    expect(a[1]).toBe(2n);
    expect(budget.left).toBe(99);
    expect([...a]).toEqual([1n, 2n, 3n]);
    expect(budget.left).toBe(96);
    // Iterating a map counts its entries; a lookup by key does not.
    expect([...value.keys()]).toEqual(['a', 'b']);
    expect(budget.left).toBe(94);
    expect(() => (value.get('b') as Map<string, unknown>).get('bad')).toThrow('a function is not a JSON value');
  });

  test('a spent budget throws', () => {
    const budget: VisitBudget = { left: 2, limit: 2 };
    const list = toCelValue([1, 2, 3], budget) as unknown[];
    expect(() => [...list]).toThrow(VisitBudgetExceeded);
  });

  test('refuses what JSON cannot hold', () => {
    expect(() => toCelValue(() => 1)).toThrow('a function is not a JSON value');
    expect(() => toCelValue(Symbol('s'))).toThrow('a symbol is not a JSON value');
  });
});

describe('fromCelValue and celTypeName', () => {
  test.each<[string, unknown, string]>([
    ['1', 1, 'int'],
    ['1u', 1, 'uint'],
    ['1.5', 1.5, 'double'],
    ['"s"', 's', 'string'],
    ['true', true, 'bool'],
    ['null', null, 'null'],
    ['b"hi"', 'aGk=', 'bytes'],
    ['[1, "a"]', [1, 'a'], 'list'],
    ['{"a": 1}', { a: 1 }, 'map'],
    ['int', 'int', 'type'],
    ['timestamp(0)', '1970-01-01T00:00:00.000Z', 'google.protobuf.Timestamp'],
    ['duration("3s")', '3s', 'google.protobuf.Duration'],
  ])('%s', (text, json, type) => {
    const result = celResult(text);
    expect(fromCelValue(result)).toEqual(json);
    expect(celTypeName(result)).toBe(type);
  });

  test('keeps a "__proto__" key as a key, not as the prototype', () => {
    const value = fromCelValue(celResult('{"__proto__": {"polluted": true}, "b": 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'b']);
    expect(value.polluted).toBeUndefined();
    expect(JSON.stringify(value)).toBe('{"__proto__":{"polluted":true},"b":1}');
  });

  test('throws on NaN and infinities', () => {
    expect(() => fromCelValue(Number.NaN)).toThrow('the result NaN is not a JSON number');
    expect(() => fromCelValue(Number.POSITIVE_INFINITY)).toThrow('the result Infinity is not a JSON number');
  });
});
