/**
 * Spec validation of the fields that decide and wire data (`when`, `trigger`, `repeat`, `${{ }}`
 * templates in `input`, an expression in a map's `over`), through `validateSpec`: each problem as
 * the one line a user sees, with its path. And `{ expressions: false }`, with which old runs
 * replay: those fields unknown, templates taken as written.
 */
import { formatProblem, validateSpec, type ValidateOptions } from '../../src/core/validate';
import { MAX_EXPRESSION_LENGTH } from '../../src/core/expressions/expression-engine';

/** A spec of `nodes`, named so that only node problems show. */
function withNodes(...nodes: unknown[]): Record<string, unknown> {
  return { name: 'p', nodes };
}

/** Two upstream nodes, `probe` and `list`, then `node` (which needs both) with `extra` fields. */
function afterTwo(extra: Record<string, unknown>): Record<string, unknown> {
  return withNodes(
    { id: 'probe', activity: 'probe' },
    { id: 'list', activity: 'list' },
    { id: 'node', activity: 'work', needs: ['probe', 'list'], ...extra },
  );
}

/** A pipeline node (which needs `probe`) with `extra` fields, after `probe`. */
function pipelineAfterProbe(extra: Record<string, unknown>): Record<string, unknown> {
  return withNodes(
    { id: 'probe', activity: 'probe' },
    { id: 'node', kind: 'pipeline', needs: ['probe'], pipeline: withNodes({ id: 'c', activity: 'c' }), ...extra },
  );
}

/** The problems of a spec the validator must refuse, as one-line strings. */
function lines(spec: unknown, options?: ValidateOptions): string[] {
  const result = validateSpec(spec, options);
  if (result.ok) throw new Error('expected the spec to be refused, but it was accepted');
  return result.problems.map(formatProblem);
}

function accepts(spec: unknown, options?: ValidateOptions): void {
  const result = validateSpec(spec, options);
  expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
}

const NODE_VARS = 'here an expression can use "params", "upstream"';

describe('good specs pass', () => {
  test('when, trigger, templates and a map over an expression', () => {
    accepts(
      withNodes(
        { id: 'probe', activity: 'probe' },
        { id: 'list', activity: 'list', needs: ['probe'], when: 'upstream.probe.count > 0 && params.go == true' },
        {
          id: 'encode',
          activity: 'encode',
          needs: ['probe', 'list'],
          trigger: 'none_failed',
          when: 'has(upstream.probe.codec) && upstream["list"].files.exists(f, f.endsWith(".mp4"))',
          input: {
            codec: '${{ upstream.probe.codec }}',
            files: ['${{ upstream.list.files[0] }}', 'out/${{ params.name }}.mp4', 'literal $${{ x }}'],
            all: '${{ size(upstream) }}',
          },
        },
        { id: 'each', kind: 'map', needs: ['list'], over: '${{ upstream.list.files.filter(f, f != "") }}', activity: 'thumb' },
        { id: 'plainMap', kind: 'map', needs: ['list'], over: 'list.files', activity: 'thumb' },
      ),
    );
  });

  test('every trigger rule', () => {
    for (const trigger of ['all_success', 'none_failed', 'one_success', 'all_done']) accepts(afterTwo({ trigger }));
  });

  test('a repeated pipeline: until over output and round, input over previous and round', () => {
    accepts(
      pipelineAfterProbe({
        repeat: { until: 'output.done || round >= 3 || upstream.probe.max <= round || params.stop', max: 100 },
        input: { attempt: '${{ round }}', last: '${{ previous }}', from: '${{ upstream.probe.start }}' },
      }),
    );
    accepts(pipelineAfterProbe({ repeat: { until: 'true', max: 1 } }));
  });

  test('expressions in an inline child spec are checked against the child\'s own nodes', () => {
    accepts(
      pipelineAfterProbe({
        pipeline: withNodes({ id: 'a', activity: 'a' }, { id: 'b', activity: 'b', needs: ['a'], when: 'upstream.a.ok' }),
      }),
    );
  });

  test('input without templates is not read', () => {
    accepts(withNodes({ id: 'a', activity: 'a', input: { text: 'plain {{ not a template }} ${ nor this }', n: [1, null] } }));
  });
});

describe('when', () => {
  test('a malformed expression, with its column', () => {
    expect(lines(afterTwo({ when: 'upstream.probe.count >' }))).toEqual([
      'nodes[2].when: syntax error at column 22: found > but expecting end of input',
    ]);
  });

  test('an unknown variable', () => {
    expect(lines(afterTwo({ when: 'output.ok' }))).toEqual([`nodes[2].when: unknown variable "output"; ${NODE_VARS}`]);
    expect(lines(afterTwo({ when: 'round > 1' }))).toEqual([`nodes[2].when: unknown variable "round"; ${NODE_VARS}`]);
    expect(lines(afterTwo({ when: 'previous.ok' }))).toEqual([`nodes[2].when: unknown variable "previous"; ${NODE_VARS}`]);
  });

  test('a node outside needs', () => {
    expect(lines(afterTwo({ when: 'upstream.other.ok' }))).toEqual([
      'nodes[2].when: upstream.other: "other" is not in the node\'s needs (its needs are "probe", "list")',
    ]);
    expect(lines(withNodes({ id: 'a', activity: 'a' }, { id: 'b', activity: 'b', when: 'upstream["a"].ok' }))).toEqual([
      'nodes[1].when: upstream.a: "a" is not in the node\'s needs (the node needs none)',
    ]);
  });

  test('a computed upstream key', () => {
    expect(lines(afterTwo({ when: 'upstream[params.which].ok' }))).toEqual([
      'nodes[2].when: upstream[...] must name a node with a quoted id (upstream["my-node"]): a computed name cannot be checked before the run',
    ]);
  });

  test('loops nested too deep', () => {
    expect(lines(afterTwo({ when: 'upstream.list.files.all(a, [1].all(b, [2].exists(c, c == b)))' }))).toEqual([
      'nodes[2].when: comprehensions (all, exists, exists_one, map, filter) nest 3 deep; at most 2 (a loop inside a loop)',
    ]);
  });

  test('too long', () => {
    const when = `true${' && true'.repeat(MAX_EXPRESSION_LENGTH / 8)}`;
    expect(when.length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    expect(lines(afterTwo({ when }))).toEqual([
      `nodes[2].when: the expression is ${when.length} characters long; at most ${MAX_EXPRESSION_LENGTH}`,
    ]);
  });

  test('not a string, or empty', () => {
    expect(lines(afterTwo({ when: true }))).toEqual(['nodes[2].when: must be a CEL condition (a string), got boolean true']);
    expect(lines(afterTwo({ when: 1 }))).toEqual(['nodes[2].when: must be a CEL condition (a string), got number 1']);
    expect(lines(afterTwo({ when: { a: 1 } }))).toEqual(['nodes[2].when: must be a CEL condition (a string), got an object']);
    expect(lines(afterTwo({ when: null }))).toEqual(['nodes[2].when: must be a CEL condition (a string), got null']);
    expect(lines(afterTwo({ when: '  ' }))).toEqual(['nodes[2].when: must be a CEL condition (a string), got "  "']);
  });

  test('a multi-line expression\'s problem is still one line', () => {
    const [line] = lines(afterTwo({ when: 'upstream.probe.ok &&\n  upstream.nope.ok' }));
    expect(line).toMatch(/^nodes\[2\]\.when: upstream\.nope: "nope" is not in the node's needs/);
    expect(line).not.toMatch(/[\r\n]/);
  });

  test('applies to every kind of node', () => {
    expect(lines(withNodes({ id: 'a', activity: 'a' }, { id: 's', kind: 'sleep', duration: '1s', needs: ['a'], when: 'nope' }))).toEqual([
      `nodes[1].when: unknown variable "nope"; ${NODE_VARS}`,
    ]);
    accepts(withNodes({ id: 'a', activity: 'a' }, { id: 'e', kind: 'event', event: 'go', needs: ['a'], when: 'upstream.a.ok' }));
  });
});

describe('trigger', () => {
  test('a value that is not a rule', () => {
    const rules = 'must be one of "all_success", "none_failed", "one_success", "all_done"';
    expect(lines(afterTwo({ trigger: 'any' }))).toEqual([`nodes[2].trigger: ${rules}, got "any"`]);
    expect(lines(afterTwo({ trigger: 'ALL_DONE' }))).toEqual([`nodes[2].trigger: ${rules}, got "ALL_DONE"`]);
    expect(lines(afterTwo({ trigger: ['all_done'] }))).toEqual([`nodes[2].trigger: ${rules}, got an array`]);
    expect(lines(afterTwo({ trigger: 1 }))).toEqual([`nodes[2].trigger: ${rules}, got number 1`]);
  });

  test('only with needs', () => {
    expect(lines(withNodes({ id: 'a', activity: 'a', trigger: 'all_done' }))).toEqual(['nodes[0].trigger: applies only to a node with needs']);
    expect(lines(withNodes({ id: 'a', activity: 'a', needs: [], trigger: 'one_success' }))).toEqual([
      'nodes[0].trigger: applies only to a node with needs',
    ]);
  });
});

describe('repeat', () => {
  test('on a node that is not a pipeline: refused as not applying', () => {
    const repeat = { until: 'output.done', max: 3 };
    expect(lines(withNodes({ id: 'a', activity: 'a', repeat }))).toEqual([
      'nodes[0].repeat: does not apply to an activity node (it belongs to pipeline nodes)',
    ]);
    expect(lines(withNodes({ id: 's', kind: 'sleep', duration: '1s', repeat }))).toEqual([
      'nodes[0].repeat: does not apply to a sleep node (it belongs to pipeline nodes)',
    ]);
    expect(lines(withNodes({ id: 'a', activity: 'a' }, { id: 'm', kind: 'map', needs: ['a'], over: 'a', activity: 'x', repeat }))).toEqual([
      'nodes[1].repeat: does not apply to a map node (it belongs to pipeline nodes)',
    ]);
  });

  test('on a node that is not a pipeline, only that: its content is not read as well', () => {
    expect(lines(withNodes({ id: 'a', activity: 'a', repeat: 5 }))).toEqual([
      'nodes[0].repeat: does not apply to an activity node (it belongs to pipeline nodes)',
    ]);
    expect(lines(withNodes({ id: 'a', activity: 'a', repeat: { until: 'nope', max: 0 }, input: '${{ previous.x }}' }))).toEqual([
      'nodes[0].repeat: does not apply to an activity node (it belongs to pipeline nodes)',
    ]);
  });

  test('not an object', () => {
    expect(lines(pipelineAfterProbe({ repeat: 3 }))).toEqual(['nodes[1].repeat: must be an object with "until" and "max", got number 3']);
    expect(lines(pipelineAfterProbe({ repeat: 'output.done' }))).toEqual([
      'nodes[1].repeat: must be an object with "until" and "max", got "output.done"',
    ]);
    expect(lines(pipelineAfterProbe({ repeat: [] }))).toEqual(['nodes[1].repeat: must be an object with "until" and "max", got an array']);
    expect(lines(pipelineAfterProbe({ repeat: null }))).toEqual(['nodes[1].repeat: must be an object with "until" and "max", got null']);
  });

  test('missing until and max', () => {
    expect(lines(pipelineAfterProbe({ repeat: {} }))).toEqual([
      'nodes[1].repeat.until: missing: the condition that ends the repeat',
      'nodes[1].repeat.max: missing: the most rounds to run',
    ]);
  });

  test('unknown fields', () => {
    expect(lines(pipelineAfterProbe({ repeat: { until: 'true', max: 2, maxRounds: 3 } }))).toEqual([
      'nodes[1].repeat.maxRounds: unknown field; a repeat takes "until" and "max"',
    ]);
  });

  test('max out of range or not whole', () => {
    for (const [max, shown] of [
      [0, 'number 0'],
      [101, 'number 101'],
      [1.5, 'number 1.5'],
      [-1, 'number -1'],
      ['3', '"3"'],
    ] as const) {
      expect(lines(pipelineAfterProbe({ repeat: { until: 'true', max } }))).toEqual([
        `nodes[1].repeat.max: must be a whole number from 1 to 100, got ${shown}`,
      ]);
    }
  });

  test('until not a string, or empty', () => {
    expect(lines(pipelineAfterProbe({ repeat: { until: true, max: 2 } }))).toEqual([
      'nodes[1].repeat.until: must be a CEL condition (a string), got boolean true',
    ]);
    expect(lines(pipelineAfterProbe({ repeat: { until: '', max: 2 } }))).toEqual([
      'nodes[1].repeat.until: must be a CEL condition (a string), got ""',
    ]);
  });

  test('until is checked: malformed, unknown variables, nodes outside needs', () => {
    expect(lines(pipelineAfterProbe({ repeat: { until: 'output.done ||', max: 2 } }))).toEqual([
      expect.stringMatching(/^nodes\[1\]\.repeat\.until: syntax error at column \d+: /),
    ]);
    expect(lines(pipelineAfterProbe({ repeat: { until: 'previous.done', max: 2 } }))).toEqual([
      'nodes[1].repeat.until: unknown variable "previous"; here an expression can use "output", "round", "params", "upstream"',
    ]);
    expect(lines(pipelineAfterProbe({ repeat: { until: 'upstream.other.done', max: 2 } }))).toEqual([
      'nodes[1].repeat.until: upstream.other: "other" is not in the node\'s needs (its needs are "probe")',
    ]);
  });

  test('every problem of a repeat at once', () => {
    expect(lines(pipelineAfterProbe({ repeat: { until: 'nope', max: 0, extra: 1 } }))).toEqual([
      'nodes[1].repeat.extra: unknown field; a repeat takes "until" and "max"',
      'nodes[1].repeat.until: unknown variable "nope"; here an expression can use "output", "round", "params", "upstream"',
      'nodes[1].repeat.max: must be a whole number from 1 to 100, got number 0',
    ]);
  });
});

describe('which variables each place may use', () => {
  test('previous and round: only in a repeated node\'s input', () => {
    accepts(pipelineAfterProbe({ repeat: { until: 'true', max: 2 }, input: { r: '${{ round }}', p: '${{ previous.cursor }}' } }));
    expect(lines(pipelineAfterProbe({ input: { r: '${{ round }}' } }))).toEqual([`nodes[1].input.r: unknown variable "round"; ${NODE_VARS}`]);
    expect(lines(afterTwo({ input: { p: 'x ${{ previous.cursor }}' } }))).toEqual([
      `nodes[2].input.p: unknown variable "previous"; ${NODE_VARS}`,
    ]);
    // Not in a repeated node's when.
    expect(lines(pipelineAfterProbe({ repeat: { until: 'true', max: 2 }, when: 'round > 1' }))).toEqual([
      `nodes[1].when: unknown variable "round"; ${NODE_VARS}`,
    ]);
  });

  test('output: only in until', () => {
    accepts(pipelineAfterProbe({ repeat: { until: 'output.done', max: 2 } }));
    expect(lines(pipelineAfterProbe({ repeat: { until: 'true', max: 2 }, input: { o: '${{ output }}' } }))).toEqual([
      'nodes[1].input.o: unknown variable "output"; here an expression can use "params", "upstream", "previous", "round"',
    ]);
    expect(lines(afterTwo({ input: '${{ output.x }}' }))).toEqual([`nodes[2].input: unknown variable "output"; ${NODE_VARS}`]);
    expect(lines(withNodes({ id: 'a', activity: 'a' }, { id: 'm', kind: 'map', needs: ['a'], over: '${{ output.items }}', activity: 'x' }))).toEqual([
      `nodes[1].over: unknown variable "output"; ${NODE_VARS}`,
    ]);
  });
});

describe('templates in input', () => {
  test('each bad template is located by its path in the input', () => {
    expect(
      lines(
        afterTwo({
          input: {
            codec: '${{ upstream.probe.codec +}}',
            files: ['ok', '${{ upstream.other.files }}'],
            nested: { deep: [{ x: 'a ${{ nope }} b' }] },
            key: '${{ upstream[params.k] }}',
          },
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^nodes\[2\]\.input\.codec: syntax error at column \d+: /),
      'nodes[2].input.files[1]: upstream.other: "other" is not in the node\'s needs (its needs are "probe", "list")',
      `nodes[2].input.nested.deep[0].x: unknown variable "nope"; ${NODE_VARS}`,
      'nodes[2].input.key: upstream[...] must name a node with a quoted id (upstream["my-node"]): a computed name cannot be checked before the run',
    ]);
  });

  test('an unclosed or empty template', () => {
    expect(lines(afterTwo({ input: { a: 'x ${{ upstream.probe.a' } }))).toEqual([
      'nodes[2].input.a: "${{" at character 3 is not closed with "}}"',
    ]);
    expect(lines(afterTwo({ input: ['${{ }}'] }))).toEqual(['nodes[2].input[0]: the template at character 1 is empty']);
  });

  test('every expression of one string is checked', () => {
    expect(lines(afterTwo({ input: { a: '${{ upstream.probe.ok }}-${{ bad1 }}-${{ bad2 }}' } }))).toEqual([
      `nodes[2].input.a: unknown variable "bad1"; ${NODE_VARS}`,
      `nodes[2].input.a: unknown variable "bad2"; ${NODE_VARS}`,
    ]);
  });

  test('too deep and too long in a template', () => {
    expect(lines(afterTwo({ input: { a: '${{ [1].all(a, [1].all(b, [1].all(c, true))) }}' } }))).toEqual([
      'nodes[2].input.a: comprehensions (all, exists, exists_one, map, filter) nest 3 deep; at most 2 (a loop inside a loop)',
    ]);
    const long = `1${' + 1'.repeat(MAX_EXPRESSION_LENGTH / 4)}`;
    expect(lines(afterTwo({ input: { a: `\${{ ${long} }}` } }))).toEqual([
      `nodes[2].input.a: the expression is ${long.length} characters long; at most ${MAX_EXPRESSION_LENGTH}`,
    ]);
  });

  test('an escape is not checked', () => {
    accepts(afterTwo({ input: { a: '$${{ nope.at.all }}' } }));
  });

  test('templates in an inline child spec are located under its path', () => {
    expect(
      lines(
        pipelineAfterProbe({
          pipeline: withNodes({ id: 'a', activity: 'a' }, { id: 'b', activity: 'b', needs: ['a'], input: { x: '${{ upstream.probe.x }}' } }),
        }),
      ),
    ).toEqual(['nodes[1].pipeline.nodes[1].input.x: upstream.probe: "probe" is not in the node\'s needs (its needs are "a")']);
  });
});

describe('map over', () => {
  const mapNode = (over: unknown): Record<string, unknown> =>
    withNodes({ id: 'list', activity: 'list' }, { id: 'm', kind: 'map', needs: ['list'], over, activity: 'x' });

  test('an expression must be the whole value', () => {
    const whole = 'nodes[1].over: an expression in "over" must be the whole value: "${{ upstream.list.files }}"';
    expect(lines(mapNode('x ${{ upstream.list.files }}'))).toEqual([whole]);
    expect(lines(mapNode('${{ upstream.list.a }}${{ upstream.list.b }}'))).toEqual([whole]);
    expect(lines(mapNode(' ${{ upstream.list.files }}'))).toEqual([whole]);
    expect(lines(mapNode('$${{ upstream.list.files }}'))).toEqual([whole]);
  });

  test('the expression is checked', () => {
    accepts(mapNode('${{ upstream.list.files }}'));
    expect(lines(mapNode('${{ upstream.other.files }}'))).toEqual([
      'nodes[1].over: upstream.other: "other" is not in the node\'s needs (its needs are "list")',
    ]);
    expect(lines(mapNode('${{ upstream.list.files.map( }}'))).toEqual([expect.stringMatching(/^nodes\[1\]\.over: syntax error at column \d+: /)]);
    expect(lines(mapNode('${{ upstream.list'))).toEqual(['nodes[1].over: "${{" at character 1 is not closed with "}}"']);
    expect(lines(mapNode('${{ }}'))).toEqual(['nodes[1].over: the template at character 1 is empty']);
  });

  test('a plain over still names one of the needs', () => {
    accepts(mapNode('list.files'));
    expect(lines(mapNode('other.files'))).toEqual(['nodes[1].over: "other" must be one of the node\'s needs']);
  });
});

describe('{ expressions: false }: as specs were read before expressions', () => {
  const OFF = { expressions: false };

  test('when, trigger and repeat are unknown fields, whatever their value', () => {
    expect(lines(afterTwo({ when: 'upstream.probe.ok', trigger: 'all_done' }), OFF)).toEqual([
      'nodes[2].when: unknown field',
      'nodes[2].trigger: unknown field',
    ]);
    expect(lines(pipelineAfterProbe({ repeat: { until: 'output.done', max: 2 } }), OFF)).toEqual(['nodes[1].repeat: unknown field']);
    // Even a malformed one is only unknown: it is not read.
    expect(lines(afterTwo({ when: '1 +' }), OFF)).toEqual(['nodes[2].when: unknown field']);
  });

  test('the same fields are accepted with expressions on', () => {
    accepts(afterTwo({ when: 'upstream.probe.ok', trigger: 'all_done' }));
  });

  test('templates are plain text: not parsed, not checked', () => {
    accepts(afterTwo({ input: { a: '${{ nope', b: '${{ }}', c: '${{ upstream.other }}', d: '${{ previous }}' } }), OFF);
    expect(lines(afterTwo({ input: { a: '${{ nope }}' } }))).toEqual([`nodes[2].input.a: unknown variable "nope"; ${NODE_VARS}`]);
  });

  test('a map over is a node id path, even when it looks like an expression', () => {
    const spec = withNodes({ id: 'list', activity: 'list' }, { id: 'm', kind: 'map', needs: ['list'], over: '${{ upstream.list.files }}', activity: 'x' });
    expect(lines(spec, OFF)).toEqual(['nodes[1].over: "${{ upstream" must be one of the node\'s needs']);
    accepts(spec);
  });

  test('a spec without expressions passes either way', () => {
    const spec = afterTwo({ input: { a: 'plain' } });
    accepts(spec, OFF);
    accepts(spec);
  });
});
