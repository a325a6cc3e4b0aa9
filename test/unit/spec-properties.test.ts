/**
 * Property-based tests of spec reading and validation (fast-check): whatever the input, the
 * parser returns a value or refuses the text with one line, and the validator returns a valid
 * spec or a list of problems, each with a path and a message, never a crash or a hang.
 *
 * Every property runs with a fixed seed. On a failure fast-check prints the seed and the
 * counterexample's path; replay it with
 * `TAPFLOW_FC_SEED=<seed> TAPFLOW_FC_PATH=<path> npx jest test/unit/spec-properties.test.ts`.
 * Regression examples of the bugs these properties found are plain tests at the end.
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { inlineSpecRefs } from '../../src/cli/spec-refs';
import { buildGraph } from '../../src/core/graph';
import { parseSpecText, SpecSyntaxError } from '../../src/core/parse';
import type { PipelineSpec } from '../../src/core/types';
import { validateSpec, type SpecProblem, type ValidationResult } from '../../src/core/validate';
import {
  aliasYaml,
  anyString,
  damagedSpecText,
  deepText,
  hostileValue,
  propertyParams,
  specShaped,
  specText,
  validSpec,
} from '../helpers/spec-arbitraries';

/** Longest one call may take. Generous on a busy 2-core machine; a hang or a quadratic blow-up passes it. */
const CALL_LIMIT_MS = 1000;

/** Runs `fn`, failing when it takes longer than {@link CALL_LIMIT_MS}. */
function timed<T>(what: string, fn: () => T): T {
  const start = performance.now();
  const out = fn();
  const took = performance.now() - start;
  if (took > CALL_LIMIT_MS) throw new Error(`${what} took ${Math.round(took)} ms (limit ${CALL_LIMIT_MS} ms)`);
  return out;
}

/** Freezes a value and everything reachable from it (typed arrays cannot be frozen and are left). */
function deepFreeze<T>(root: T): T {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) continue;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key);
      if (desc && 'value' in desc) stack.push(desc.value);
    }
  }
  return root;
}

const prototypeNames = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const PROTOTYPE_BEFORE = prototypeNames().join();

/**
 * Validates `input` (frozen, so a write to it throws) twice and checks the outcome's shape:
 * a valid spec that is the input itself and usable by the scheduler, or a non-empty list of
 * problems with string paths and messages; the same both times, in bounded time, with
 * `Object.prototype` untouched.
 */
function checkValidation(input: unknown): ValidationResult {
  deepFreeze(input);
  const first = timed('validateSpec', () => validateSpec(input));
  const second = validateSpec(input);
  // Compared as text: jest's deep equality is slow on thousands of problems.
  expect(second.ok).toBe(first.ok);
  if (first.ok) expect(second.ok && second.spec).toBe(first.spec);
  else expect(JSON.stringify(second.problems)).toBe(JSON.stringify(first.problems));
  expect(prototypeNames().join()).toBe(PROTOTYPE_BEFORE);
  if (first.ok) {
    expect(first.problems).toEqual([]);
    expect(first.spec).toBe(input);
    const graph = buildGraph(first.spec.nodes);
    expect(graph.order).toHaveLength(first.spec.nodes.length);
  } else {
    expect(first.problems.length).toBeGreaterThan(0);
    const malformed = first.problems.filter(
      (p) => Object.keys(p).sort().join() !== 'message,path' || typeof p.path !== 'string' || typeof p.message !== 'string' || p.message === '',
    );
    expect(malformed).toEqual([]);
  }
  return first;
}

/**
 * Parses `text` and, when it parses, validates the value. The only error allowed is a
 * {@link SpecSyntaxError} whose message is one line starting with the source name.
 */
function checkText(text: string, source: string): { refused: string } | { result: ValidationResult } {
  let parsed: unknown;
  try {
    parsed = timed(`parseSpecText(${source})`, () => parseSpecText(text, source));
  } catch (err) {
    if (!(err instanceof SpecSyntaxError)) throw err;
    expect(err.message.startsWith(`${source}`)).toBe(true);
    expect(err.message).toMatch(/^[^\n\r]*$/);
    return { refused: err.message };
  }
  return { result: checkValidation(parsed) };
}

function problemsOf(result: ValidationResult): SpecProblem[] {
  return result.ok ? [] : result.problems;
}

describe('the validator on any value', () => {
  test('any JavaScript value gives a valid spec or problems, never a throw or a hang', () => {
    fc.assert(fc.property(hostileValue, (value) => void checkValidation(value)), propertyParams(2000));
  });

  test('spec-shaped values with random fields give a valid spec or problems', () => {
    fc.assert(fc.property(specShaped, (value) => void checkValidation(value)), propertyParams(1500));
  });

  test('any JSON value (as a parsed file gives it) gives a valid spec or problems', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => void checkValidation(value)), propertyParams(1000));
  });
});

describe('the parser on any text', () => {
  test('random text gives a value or a one-line refusal', () => {
    const source = fc.constantFrom('spec.yaml', 'spec.json', 'spec');
    fc.assert(fc.property(anyString, source, (text, name) => void checkText(text, name)), propertyParams(2000));
  });

  test('valid specs with damaged syntax give a value or a one-line refusal', () => {
    fc.assert(fc.property(damagedSpecText, ({ text, source }) => void checkText(text, source)), propertyParams(600));
  });

  test('anchors and aliases, up to alias bombs and circular aliases, are read or refused in bounded time', () => {
    fc.assert(
      fc.property(aliasYaml, (text) => {
        const outcome = checkText(text, 'alias.yaml');
        // Whatever was read is finite JSON-able data: a circular value would never get here.
        if ('result' in outcome && outcome.result.ok) expect(() => JSON.stringify(outcome.result.ok && outcome.result.spec)).not.toThrow();
      }),
      propertyParams(120),
    );
  });

  test('deep nesting is read or refused, never a stack overflow', () => {
    fc.assert(fc.property(deepText, ({ text, source }) => void checkText(text, source)), propertyParams(100));
  });
});

describe('valid specs', () => {
  test('a generated valid spec has no problems', () => {
    fc.assert(
      fc.property(validSpec(), (spec) => {
        expect(problemsOf(checkValidation(spec))).toEqual([]);
      }),
      propertyParams(1000),
    );
  });

  test('a valid spec round-trips through JSON and YAML text unchanged', () => {
    fc.assert(
      fc.property(validSpec({ maxNodes: 6 }).chain((spec) => specText(spec).map((t) => ({ spec, ...t }))), ({ spec, text, source }) => {
        const outcome = checkText(text, source);
        if (!('result' in outcome)) throw new Error(`the text of a valid spec was refused: ${outcome.refused}`);
        expect(problemsOf(outcome.result)).toEqual([]);
        expect(outcome.result.ok && outcome.result.spec).toEqual(spec);
      }),
      propertyParams(300),
    );
  });
});

/** Where a node sits: its path (`nodes[2]` or `nodes[0].pipeline.nodes[1]`) and its spec's path. */
interface NodeAt {
  path: string;
  prefix: string;
  index: number;
  node: Record<string, unknown>;
  owner: PipelineSpec;
}

/** Every node of a spec, the nodes of inline child specs too. */
function nodesOf(spec: PipelineSpec, prefix = ''): NodeAt[] {
  const out: NodeAt[] = [];
  spec.nodes.forEach((node, index) => {
    const path = `${prefix ? `${prefix}.` : ''}nodes[${index}]`;
    out.push({ path, prefix, index, node: node as unknown as Record<string, unknown>, owner: spec });
    if (typeof node.pipeline === 'object') out.push(...nodesOf(node.pipeline, `${path}.pipeline`));
  });
  return out;
}

const at = (prefix: string, path: string): string => (prefix ? `${prefix}.${path}` : path);

/** A valid spec (copied, so it may be changed) and a node in it picked by `pick`. */
const specAndNode = (minNodes = 1) =>
  validSpec({ minNodes, maxNodes: 6 }).chain((spec) => fc.nat().map((pick) => ({ spec: structuredClone(spec), pick })));

function pickNode(spec: PipelineSpec, pick: number, fits: (n: NodeAt) => boolean = () => true): NodeAt | undefined {
  const all = nodesOf(spec).filter(fits);
  return all.length === 0 ? undefined : all[pick % all.length];
}

function expectProblemAt(result: ValidationResult, path: string, message: RegExp | string): void {
  const problems = problemsOf(result);
  const matching = problems.filter((p) => p.path === path && (typeof message === 'string' ? p.message.includes(message) : message.test(p.message)));
  if (matching.length === 0) {
    throw new Error(`expected a problem at ${path} (${String(message)}), got ${JSON.stringify(problems)}`);
  }
}

describe('broken specs are refused at the place that broke', () => {
  test('a need of an unknown node is reported at that need', () => {
    fc.assert(
      fc.property(specAndNode(), ({ spec, pick }) => {
        const target = pickNode(spec, pick) as NodeAt;
        const needs = Array.isArray(target.node.needs) ? (target.node.needs as string[]) : [];
        target.node.needs = [...needs, '__missing__'];
        expectProblemAt(checkValidation(spec), `${target.path}.needs[${needs.length}]`, 'unknown node "__missing__"');
      }),
      propertyParams(500),
    );
  });

  test('a cycle is reported under "cycle" of the spec holding it, naming its nodes', () => {
    fc.assert(
      fc.property(specAndNode(2), ({ spec, pick }) => {
        // A node's first need gets the node as a need of its own: the one cycle in the spec.
        let target = pickNode(spec, pick, (n) => Array.isArray(n.node.needs) && n.node.needs.length > 0);
        if (!target) {
          target = nodesOf(spec).filter((n) => n.prefix === '')[1] as NodeAt;
          target.node.needs = [target.owner.nodes[0]?.id as string];
        }
        const needed = (target.node.needs as string[])[0] as string;
        const other = target.owner.nodes.find((n) => n.id === needed) as { needs?: string[] };
        other.needs = [...(other.needs ?? []), target.node.id as string];
        const result = checkValidation(spec);
        const cycle = problemsOf(result).find((p) => p.path === at(target.prefix, 'cycle'));
        expect(cycle?.message.split(' -> ')).toEqual(expect.arrayContaining([needed, target.node.id]));
      }),
      propertyParams(500),
    );
  });

  test('a duplicate id is reported at the later node', () => {
    fc.assert(
      fc.property(specAndNode(2), ({ spec, pick }) => {
        const target = pickNode(spec, pick, (n) => n.index > 0) as NodeAt;
        const first = target.owner.nodes[pick % target.index] as { id: string };
        target.node.id = first.id;
        expectProblemAt(checkValidation(spec), `${target.path}.id`, `duplicate id "${first.id}"`);
      }),
      propertyParams(500),
    );
  });

  const wrongNodeFields: Array<[string, unknown]> = [
    ['id', 42],
    ['needs', 'a'],
    ['timeout', true],
    ['description', 5],
    ['onFailure', 'explode'],
    ['retry', []],
    ['kind', 'bogus'],
    ['deadline', -1],
    ['batchSize', 0],
    ['neds', ['a']],
  ];
  test('a node field of the wrong type is reported at that field', () => {
    fc.assert(
      fc.property(specAndNode(), fc.constantFrom(...wrongNodeFields), ({ spec, pick }, [field, value]) => {
        const target = pickNode(spec, pick) as NodeAt;
        target.node[field] = value;
        expectProblemAt(checkValidation(spec), `${target.path}.${field}`, /./);
      }),
      propertyParams(500),
    );
  });

  const wrongSpecFields: Array<[string, unknown]> = [
    ['name', 7],
    ['maxParallel', 0],
    ['maxDepth', 101],
    ['nodes', {}],
    ['deadline', 'soon'],
    ['defaults', 3],
    ['description', false],
  ];
  test('a pipeline field of the wrong type is reported at that field, in child specs too', () => {
    fc.assert(
      fc.property(specAndNode(), fc.constantFrom(...wrongSpecFields), ({ spec, pick }, [field, value]) => {
        const owners = [{ prefix: '', spec }, ...nodesOf(spec).filter((n) => typeof n.node.pipeline === 'object').map((n) => ({ prefix: `${n.path}.pipeline`, spec: n.node.pipeline as PipelineSpec }))];
        const owner = owners[pick % owners.length] as { prefix: string; spec: PipelineSpec };
        (owner.spec as unknown as Record<string, unknown>)[field] = value;
        expectProblemAt(checkValidation(spec), at(owner.prefix, field), /./);
      }),
      propertyParams(500),
    );
  });

  test('a node that is not an object is reported at the node', () => {
    fc.assert(
      fc.property(specAndNode(), fc.constantFrom<unknown>('x', 3, null, [], true), ({ spec, pick }, value) => {
        const target = pickNode(spec, pick) as NodeAt;
        (target.owner.nodes as unknown[])[target.index] = value;
        expectProblemAt(checkValidation(spec), target.path, 'must be an object');
      }),
      propertyParams(300),
    );
  });
});

describe('regressions the properties found', () => {
  test('a hole in a sparse nodes array is a problem, not a valid spec the scheduler crashes on', () => {
    // eslint-disable-next-line no-sparse-arrays
    const spec = { name: 'p', nodes: [{ id: 'a', activity: 'act' }, , { id: 'b', activity: 'act' }] };
    expect(problemsOf(validateSpec(spec))).toEqual([{ path: 'nodes[1]', message: 'must be an object, got undefined' }]);
  });

  test('a hole in needs or nonRetryableErrorTypes is a problem', () => {
    // eslint-disable-next-line no-sparse-arrays
    const spec = { name: 'p', nodes: [{ id: 'a', activity: 'act' }, { id: 'b', activity: 'act', needs: [, 'a'], retry: { nonRetryableErrorTypes: [, 'X'] } }] };
    expect(problemsOf(validateSpec(spec))).toEqual([
      { path: 'nodes[1].needs[0]', message: 'must be a node id (string), got undefined' },
      { path: 'nodes[1].retry.nonRetryableErrorTypes', message: 'must be an array of error type names' },
    ]);
  });

  /** Child specs nested `depth` deep, the top one with `maxDepth`. */
  function nestedSpec(depth: number, maxDepth: number): Record<string, unknown> {
    let spec: Record<string, unknown> = { name: 'leaf', nodes: [{ id: 'a', activity: 'act' }] };
    for (let i = 0; i < depth; i++) spec = { name: `n${i}`, nodes: [{ id: 'a', kind: 'pipeline', pipeline: spec }] };
    return { ...spec, maxDepth };
  }

  test('a spec nested 20,000 deep with a huge maxDepth is refused, not a stack overflow', () => {
    const result = validateSpec(nestedSpec(20_000, 1e9));
    expect(problemsOf(result)[0]).toEqual({ path: 'maxDepth', message: 'must be a whole number from 1 to 100, got number 1000000000' });
  });

  test('maxDepth 100 is the most a spec may set, and it is honoured', () => {
    expect(validateSpec(nestedSpec(100, 100)).ok).toBe(true);
    expect(problemsOf(validateSpec(nestedSpec(101, 100))).map((p) => p.message)).toEqual([
      'child pipelines nest more than 100 deep (maxDepth); flatten the spec or raise maxDepth',
    ]);
  });

  test('inlining child spec files stops at the depth limit instead of overflowing the stack', () => {
    const spec = nestedSpec(20_000, 3);
    const read = (path: string): unknown => {
      throw new Error(`no file should be read, asked for ${path}`);
    };
    expect(inlineSpecRefs(spec, 'deep.json', read)).toBe(spec);
  });

  test('YAML nested deeper than 256 levels is refused with its position, before the recursive parse', () => {
    const text = `${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}- `).join('\n')}x\n`;
    expect(() => parseSpecText(text, 'deep.yaml')).toThrow(
      'deep.yaml:257:257: YAML refused: collections nest more than 256 levels deep; a spec file may nest at most 256',
    );
    expect(() => parseSpecText(`a: ${'['.repeat(300)}${']'.repeat(300)}\n`, 'flow.yaml')).toThrow(
      'flow.yaml:1:259: YAML refused: collections nest more than 256 levels deep',
    );
    expect(parseSpecText(`a: ${'['.repeat(255)}${']'.repeat(255)}\n`, 'flow.yaml')).toHaveProperty('a');
  });

  test('a YAML file with thousands of aliases is refused at once, not resolved in quadratic time', () => {
    const text = `name: many\nitems:\n${Array.from({ length: 10_000 }, (_, i) => `  - &a${i} x\n  - *a${i}\n`).join('')}`;
    const message = timed('parseSpecText', () => {
      try {
        parseSpecText(text, 'many.yaml');
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    });
    expect(message).toBe('many.yaml:1003:5: YAML refused: more than 1000 anchors and aliases; a spec file may hold at most 1000');
  });

  test('a circular YAML alias is refused instead of giving a value JSON cannot hold', () => {
    for (const text of ['a: &a [*a]\n', 'name: x\nnodes: &n\n  - id: a\n    kind: pipeline\n    pipeline: { name: c, nodes: *n }\n']) {
      expect(() => parseSpecText(text, 'loop.yaml')).toThrow(
        'loop.yaml: malformed YAML: an alias refers to a collection that contains it (a circular alias)',
      );
    }
    // Sharing without a loop is fine.
    expect(parseSpecText('a: &a [1]\nb: [*a, *a]\n', 'shared.yaml')).toEqual({ a: [1], b: [[1], [1]] });
  });
});
