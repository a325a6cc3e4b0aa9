/**
 * `${{ expression }}` templates in input strings: reading them (`parseTemplate`), finding them
 * in a value (`templateStrings`, `holdsTemplates`, `isTemplateText`, `holdsTemplate`) and
 * replacing them with their values (`resolveTemplates`), with the CEL engine and without it.
 */
import { evaluateExpression } from '../../src/core/expressions/expression-engine';
import {
  holdsTemplates,
  isTemplateText,
  parseTemplate,
  resolveTemplates,
  templateStrings,
  TemplateError,
} from '../../src/core/expressions/templates';

/** An evaluator that looks expressions up in a table, failing on any other. */
function table(values: Record<string, unknown>): (expression: string) => unknown {
  return (expression) => {
    if (!Object.hasOwn(values, expression)) throw new Error(`no value for "${expression}"`);
    return values[expression];
  };
}

/** An evaluator running the CEL engine over `upstream` and `params`. */
function cel(upstream: Record<string, unknown>, params: unknown = {}): (expression: string) => unknown {
  const scope = { variables: ['params', 'upstream'], needs: Object.keys(upstream) };
  return (expression) => {
    const result = evaluateExpression(expression, scope, { upstream, params });
    if (!result.ok) throw new Error(result.error);
    return result.value;
  };
}

/** The TemplateError `fn` throws. */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw new Error(`expected a TemplateError, got ${String(err)}`);
  }
  throw new Error('expected a TemplateError, but nothing was thrown');
}

const never = (): never => {
  throw new Error('evaluate must not be called');
};

describe('parseTemplate', () => {
  test('a string that is one template is one expression, trimmed', () => {
    expect(parseTemplate('${{ upstream.a.count }}')).toEqual({ ok: true, parts: [{ expression: 'upstream.a.count' }] });
    expect(parseTemplate('${{x}}')).toEqual({ ok: true, parts: [{ expression: 'x' }] });
    expect(parseTemplate('${{\n  x\n}}')).toEqual({ ok: true, parts: [{ expression: 'x' }] });
  });

  test('text and expressions alternate', () => {
    expect(parseTemplate('out/${{ params.name }}.png')).toEqual({
      ok: true,
      parts: [{ text: 'out/' }, { expression: 'params.name' }, { text: '.png' }],
    });
    expect(parseTemplate('${{ a }}${{ b }}')).toEqual({ ok: true, parts: [{ expression: 'a' }, { expression: 'b' }] });
    expect(parseTemplate(' ${{ a }} ')).toEqual({ ok: true, parts: [{ text: ' ' }, { expression: 'a' }, { text: ' ' }] });
  });

  test('text without a template is one text part, even empty', () => {
    expect(parseTemplate('plain')).toEqual({ ok: true, parts: [{ text: 'plain' }] });
    expect(parseTemplate('')).toEqual({ ok: true, parts: [{ text: '' }] });
    expect(parseTemplate('${ x } {{ y }} $ { {')).toEqual({ ok: true, parts: [{ text: '${ x } {{ y }} $ { {' }] });
  });

  test('"$${{" is a literal "${{", joined with the text around it', () => {
    expect(parseTemplate('$${{ x }}')).toEqual({ ok: true, parts: [{ text: '${{ x }}' }] });
    expect(parseTemplate('a $${{ b }} ${{ c }} d')).toEqual({
      ok: true,
      parts: [{ text: 'a ${{ b }} ' }, { expression: 'c' }, { text: ' d' }],
    });
    // An escape needs no closing braces.
    expect(parseTemplate('cost: $${{')).toEqual({ ok: true, parts: [{ text: 'cost: ${{' }] });
    // `$$${{` is a `$` then an escaped `${{`.
    expect(parseTemplate('$$${{ x }}')).toEqual({ ok: true, parts: [{ text: '$${{ x }}' }] });
  });

  test('the first "}}" closes the template', () => {
    expect(parseTemplate('${{ {"a": {"b": 1}} }}')).toEqual({
      ok: true,
      parts: [{ expression: '{"a": {"b": 1' }, { text: ' }}' }],
    });
    expect(parseTemplate('${{ {"a": {"b": 1} } }}')).toEqual({ ok: true, parts: [{ expression: '{"a": {"b": 1} }' }] });
    expect(parseTemplate('${{ a }}}')).toEqual({ ok: true, parts: [{ expression: 'a' }, { text: '}' }] });
  });

  test('an unclosed template is a problem naming where it starts', () => {
    expect(parseTemplate('${{ x')).toEqual({ ok: false, problem: '"${{" at character 1 is not closed with "}}"' });
    expect(parseTemplate('ab ${{ x } }')).toEqual({ ok: false, problem: '"${{" at character 4 is not closed with "}}"' });
    expect(parseTemplate('${{ a }} ${{ b')).toEqual({ ok: false, problem: '"${{" at character 10 is not closed with "}}"' });
  });

  test('an empty template is a problem naming where it starts', () => {
    expect(parseTemplate('${{}}')).toEqual({ ok: false, problem: 'the template at character 1 is empty' });
    expect(parseTemplate('x ${{  \n }}')).toEqual({ ok: false, problem: 'the template at character 3 is empty' });
  });
});

describe('finding templates', () => {
  test('isTemplateText: a template or an escape', () => {
    expect(isTemplateText('${{ x }}')).toBe(true);
    expect(isTemplateText('$${{ x }}')).toBe(true);
    expect(isTemplateText('${ {')).toBe(false);
    expect(isTemplateText('{{ x }}')).toBe(false);
  });

  test('holdsTemplates looks through arrays and objects', () => {
    expect(holdsTemplates({ a: [1, { b: 'x ${{ y }}' }] })).toBe(true);
    expect(holdsTemplates(['$${{ escaped }}'])).toBe(true);
    expect(holdsTemplates({ a: [1, { b: 'plain' }], c: null, d: true })).toBe(false);
    expect(holdsTemplates('${{')).toBe(true);
    expect(holdsTemplates(42)).toBe(false);
    expect(holdsTemplates(undefined)).toBe(false);
  });

  test('templateStrings lists every template string with its path, depth first in key order', () => {
    const input = {
      codec: '${{ upstream.probe.codec }}',
      files: ['${{ upstream.list.files[0] }}', 'plain', 'b/$${{ literal }}'],
      nested: { deep: [{ x: 'x=${{ params.x }}' }], n: 1 },
      plain: 'no template',
    };
    expect(templateStrings(input, 'input')).toEqual([
      { path: 'input.codec', text: '${{ upstream.probe.codec }}' },
      { path: 'input.files[0]', text: '${{ upstream.list.files[0] }}' },
      { path: 'input.files[2]', text: 'b/$${{ literal }}' },
      { path: 'input.nested.deep[0].x', text: 'x=${{ params.x }}' },
    ]);
    expect(templateStrings('${{ a }}', 'nodes[1].input')).toEqual([{ path: 'nodes[1].input', text: '${{ a }}' }]);
    expect(templateStrings(['${{ a }}'], 'input')).toEqual([{ path: 'input[0]', text: '${{ a }}' }]);
    expect(templateStrings(undefined, 'input')).toEqual([]);
    expect(templateStrings({ a: 1, b: [null, true] }, 'input')).toEqual([]);
  });
});

describe('resolveTemplates', () => {
  test('a string that is exactly one template keeps the value\'s type', () => {
    const evaluate = table({ n: 4, list: [1, 'a'], obj: { k: true }, nil: null, yes: false, s: 'text' });
    expect(resolveTemplates('${{ n }}', 'input', evaluate)).toBe(4);
    expect(resolveTemplates('${{ list }}', 'input', evaluate)).toEqual([1, 'a']);
    expect(resolveTemplates('${{ obj }}', 'input', evaluate)).toEqual({ k: true });
    expect(resolveTemplates('${{ nil }}', 'input', evaluate)).toBeNull();
    expect(resolveTemplates('${{ yes }}', 'input', evaluate)).toBe(false);
    expect(resolveTemplates('${{   s   }}', 'input', evaluate)).toBe('text');
  });

  test('inside text, strings go in as they are and anything else as JSON', () => {
    const evaluate = table({ n: 4, list: [1, 'a'], obj: { k: true }, nil: null, s: 'say "hi"', u: undefined, d: 1.5 });
    expect(resolveTemplates('n=${{ n }}', 'input', evaluate)).toBe('n=4');
    expect(resolveTemplates('${{ list }}!', 'input', evaluate)).toBe('[1,"a"]!');
    expect(resolveTemplates('o: ${{ obj }}', 'input', evaluate)).toBe('o: {"k":true}');
    expect(resolveTemplates('${{ nil }} ', 'input', evaluate)).toBe('null ');
    expect(resolveTemplates('<${{ s }}>', 'input', evaluate)).toBe('<say "hi">');
    expect(resolveTemplates('[${{ u }}]', 'input', evaluate)).toBe('[null]');
    expect(resolveTemplates('${{ n }}${{ d }}', 'input', evaluate)).toBe('41.5');
    expect(resolveTemplates(' ${{ n }}', 'input', evaluate)).toBe(' 4');
  });

  test('an escape becomes a literal "${{", and nothing is evaluated for it', () => {
    expect(resolveTemplates('$${{ not.evaluated }}', 'input', never)).toBe('${{ not.evaluated }}');
    expect(resolveTemplates('price: $${{', 'input', never)).toBe('price: ${{');
    expect(resolveTemplates('$${{ a }} ${{ b }}', 'input', table({ b: 2 }))).toBe('${{ a }} 2');
  });

  test('strings without templates, and non-strings, come back as they are', () => {
    expect(resolveTemplates('plain {{ x }} ${ y }', 'input', never)).toBe('plain {{ x }} ${ y }');
    expect(resolveTemplates(42, 'input', never)).toBe(42);
    expect(resolveTemplates(null, 'input', never)).toBeNull();
    expect(resolveTemplates(undefined, 'input', never)).toBeUndefined();
    expect(resolveTemplates({ a: [1, true, null, 'x'] }, 'input', never)).toEqual({ a: [1, true, null, 'x'] });
  });

  test('nested objects and arrays are resolved in place; the input is not changed', () => {
    const input = {
      codec: '${{ upstream.probe.codec }}',
      size: '${{ upstream.probe.width * 2 }}',
      files: ['${{ upstream.list.files[0] }}', 'static', 'out/${{ params.name }}-${{ upstream.probe.width }}.png'],
      meta: { tags: ['${{ upstream.list.files }}'], kept: 7, note: 'literal $${{ x }}' },
    };
    const before = structuredClone(input);
    const evaluate = cel({ probe: { codec: 'h264', width: 640 }, list: { files: ['a.mp4', 'b.mp4'] } }, { name: 'clip' });
    expect(resolveTemplates(input, 'input', evaluate)).toEqual({
      codec: 'h264',
      size: 1280,
      files: ['a.mp4', 'static', 'out/clip-640.png'],
      meta: { tags: [['a.mp4', 'b.mp4']], kept: 7, note: 'literal ${{ x }}' },
    });
    expect(input).toEqual(before);
  });

  test('a "__proto__" key stays a key of the result', () => {
    const input = JSON.parse('{"__proto__": {"a": "${{ n }}"}, "b": 1}') as unknown;
    const out = resolveTemplates(input, 'input', table({ n: 5 })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'b']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"a":5},"b":1}');
  });

  test('an evaluation error is a TemplateError naming the string\'s path', () => {
    const evaluate = cel({ list: { files: [] } });
    const err = templateError(() => resolveTemplates({ files: ['ok', '${{ upstream.list.missing }}'] }, 'input', evaluate));
    expect(err.path).toBe('input.files[1]');
    expect(err.reason).toBe('upstream.list.missing: field not found: missing');
    expect(err.message).toBe('input.files[1]: upstream.list.missing: field not found: missing');
    expect(err.name).toBe('TemplateError');
    expect(err).toBeInstanceOf(Error);
  });

  test('the first failing string is named, in key order', () => {
    const evaluate = table({ ok: 1 });
    const err = templateError(() => resolveTemplates({ a: { b: ['${{ ok }}', 'x ${{ bad1 }}'] }, c: '${{ bad2 }}' }, 'input', evaluate));
    expect(err.path).toBe('input.a.b[1]');
    expect(err.reason).toBe('no value for "bad1"');
  });

  test('an unclosed or empty template is a TemplateError at its path', () => {
    expect(templateError(() => resolveTemplates({ files: ['${{ x'] }, 'input', never))).toMatchObject({
      path: 'input.files[0]',
      reason: '"${{" at character 1 is not closed with "}}"',
    });
    expect(templateError(() => resolveTemplates(['ok', { name: 'a-${{ }}' }], 'nodes[2].input', never))).toMatchObject({
      path: 'nodes[2].input[1].name',
      reason: 'the template at character 3 is empty',
    });
  });

  test('a TemplateError thrown by the evaluator keeps its own path', () => {
    const inner = (): never => {
      throw new TemplateError('elsewhere', 'inner reason');
    };
    expect(templateError(() => resolveTemplates({ a: '${{ x }}' }, 'input', inner))).toMatchObject({ path: 'elsewhere', reason: 'inner reason' });
  });

  test('a value that cannot go into text as JSON is an error at its path', () => {
    const err = templateError(() => resolveTemplates({ a: 'n=${{ big }}' }, 'input', table({ big: 1n })));
    expect(err.path).toBe('input.a');
    expect(err.reason).toMatch(/BigInt/);
  });
});
