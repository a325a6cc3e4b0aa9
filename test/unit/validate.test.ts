import {
  assertValidSpec,
  formatProblem,
  InvalidSpecError,
  nodeById,
  validateSpec,
  type SpecProblem,
} from '../../src/core/validate';
import { parseDuration } from '../../src/core/duration';
import { MAX_NODES } from '../../src/core/types';
import { thumbnails } from '../helpers/specs';


/** A spec of `nodes` (any shape), named so that only node problems show. */
function withNodes(...nodes: unknown[]): unknown {
  return { name: 'p', nodes };
}

/** A one-node spec whose node has `extra` fields. */
function oneNode(extra: Record<string, unknown>): unknown {
  return withNodes({ id: 'a', activity: 'act', ...extra });
}

function problems(spec: unknown): SpecProblem[] {
  const result = validateSpec(spec);
  if (result.ok) throw new Error('expected the spec to be refused, but it was accepted');
  return result.problems;
}

/** Problems as the one-line form users see. */
function lines(spec: unknown): string[] {
  return problems(spec).map(formatProblem);
}

describe('validateSpec: valid specs', () => {
  test('accepts the PRODUCT.md thumbnails example and returns it unchanged', () => {
    const spec = thumbnails();
    const before = structuredClone(spec);
    const result = validateSpec(spec);
    expect(result).toEqual({ ok: true, spec: before, problems: [] });
    expect(result.ok && result.spec).toBe(spec);
    expect(spec).toEqual(before);
  });

  test('accepts every documented optional field', () => {
    const spec = {
      name: 'full',
      description: 'all the options',
      maxParallel: 1,
      defaults: {
        retry: {
          maximumAttempts: 1,
          initialInterval: 500,
          backoffCoefficient: 1,
          maximumInterval: '1m',
          nonRetryableErrorTypes: ['BadInput'],
        },
        timeout: '10m',
        heartbeatTimeout: '30s',
        taskQueue: 'gpu',
      },
      nodes: [
        { id: 'a.b_c-1', kind: 'activity', activity: 'x', description: 'first', input: [1, 2] },
        { id: '9lives', activity: 'y', needs: ['a.b_c-1'], timeout: 60000, heartbeatTimeout: '5s', taskQueue: 'q' },
      ],
    };
    expect(validateSpec(spec)).toEqual({ ok: true, spec, problems: [] });
  });

  test('accepts maximumInterval equal to initialInterval', () => {
    expect(validateSpec(oneNode({ retry: { initialInterval: '2s', maximumInterval: 2000 } })).ok).toBe(true);
  });

  test(`accepts exactly ${MAX_NODES} nodes in a chain`, () => {
    const nodes = Array.from({ length: MAX_NODES }, (_, i) => ({
      id: `n${i}`,
      activity: 'act',
      ...(i > 0 ? { needs: [`n${i - 1}`] } : {}),
    }));
    expect(validateSpec({ name: 'long', nodes }).ok).toBe(true);
  });
});

describe('validateSpec: the spec as a whole', () => {
  test.each<[string, unknown, string]>([
    ['null', null, 'got null'],
    ['an array', [], 'got an array'],
    ['a string', 'name: x', 'got "name: x"'],
    ['a number', 42, 'got number 42'],
    ['undefined', undefined, 'got undefined'],
  ])('refuses %s with one problem at the root', (_label, value, got) => {
    const ps = problems(value);
    expect(ps).toHaveLength(1);
    expect(ps[0]?.path).toBe('');
    expect(ps[0]?.message).toContain('a spec must be an object with "name" and "nodes"');
    expect(ps[0]?.message).toContain(got);
    // No path: the one-line form is the message alone.
    expect(formatProblem(ps[0] as SpecProblem)).toBe(ps[0]?.message);
  });

  test('missing name', () => {
    expect(lines({ nodes: [{ id: 'a', activity: 'x' }] })).toEqual(['name: missing: every pipeline needs a name']);
  });

  test.each([[''], ['   '], [3]])('name %j is refused', (name) => {
    expect(lines({ name, nodes: [{ id: 'a', activity: 'x' }] })).toEqual(['name: must be a non-empty string']);
  });

  test('description must be a string', () => {
    expect(lines({ name: 'p', description: 5, nodes: [{ id: 'a', activity: 'x' }] })).toEqual([
      'description: must be a string',
    ]);
  });

  test('missing nodes', () => {
    expect(lines({ name: 'p' })).toEqual(['nodes: missing: a pipeline needs at least one node']);
  });

  test('nodes that are not an array', () => {
    expect(lines({ name: 'p', nodes: { a: {} } })).toEqual(['nodes: must be an array of nodes, got an object']);
  });

  test('empty nodes', () => {
    expect(lines({ name: 'p', nodes: [] })).toEqual(['nodes: must hold at least one node']);
  });

  test(`more than ${MAX_NODES} nodes`, () => {
    const nodes = Array.from({ length: MAX_NODES + 1 }, (_, i) => ({ id: `n${i}`, activity: 'act' }));
    expect(lines({ name: 'big', nodes })).toEqual([
      `nodes: holds ${MAX_NODES + 1} nodes; one run takes at most ${MAX_NODES}`,
    ]);
  });

  test.each<[unknown, string]>([
    [0, 'number 0'],
    [-1, 'number -1'],
    [1.5, 'number 1.5'],
    ['8', '"8"'],
    [null, 'null'],
  ])('maxParallel %j is refused', (maxParallel, got) => {
    expect(lines({ name: 'p', maxParallel, nodes: [{ id: 'a', activity: 'x' }] })).toEqual([
      `maxParallel: must be a whole number of at least 1, got ${got}`,
    ]);
  });

  test('defaults must be an object', () => {
    expect(lines({ name: 'p', defaults: ['x'], nodes: [{ id: 'a', activity: 'x' }] })).toEqual([
      'defaults: must be an object',
    ]);
  });

  test('defaults are checked like node options, with their own paths', () => {
    const spec = {
      name: 'p',
      defaults: { timeout: 'forever', retry: { maximumAttempts: 0 }, maxParallel: 3 },
      nodes: [{ id: 'a', activity: 'x' }],
    };
    expect(lines(spec)).toEqual([
      'defaults.maxParallel: unknown field',
      'defaults.timeout: "forever" is not a duration; use e.g. "30s", "2m", "1h30m" or milliseconds',
      'defaults.retry.maximumAttempts: must be a whole number of at least 1, got number 0',
    ]);
  });
});

describe('validateSpec: unknown fields', () => {
  test('a misspelt node field gets a did-you-mean hint', () => {
    expect(lines(withNodes({ id: 'a', activity: 'x' }, { id: 'b', activity: 'y', neds: ['a'] }))).toEqual([
      'nodes[1].neds: unknown field; did you mean "needs"?',
    ]);
  });

  test.each<[string, unknown, string]>([
    [
      'maxparallel for maxParallel',
      { name: 'p', nodes: [{ id: 'a', activity: 'x' }], maxparallel: 2 },
      'maxparallel: unknown field; did you mean "maxParallel"?',
    ],
    ['activty for activity', oneNode({ activty: 'x' }), 'nodes[0].activty: unknown field; did you mean "activity"?'],
    ['timout for timeout', oneNode({ timout: '1s' }), 'nodes[0].timout: unknown field; did you mean "timeout"?'],
    [
      'maximumAttempt for maximumAttempts',
      oneNode({ retry: { maximumAttempt: 2 } }),
      'nodes[0].retry.maximumAttempt: unknown field; did you mean "maximumAttempts"?',
    ],
    [
      'taskqueue for taskQueue in defaults',
      { name: 'p', defaults: { taskqueue: 'q' }, nodes: [{ id: 'a', activity: 'x' }] },
      'defaults.taskqueue: unknown field; did you mean "taskQueue"?',
    ],
    ['maxAttempts (too far for a hint)', oneNode({ retry: { maxAttempts: 2 } }), 'nodes[0].retry.maxAttempts: unknown field'],
  ])('%s', (_label, spec, line) => {
    expect(lines(spec)).toEqual([line]);
  });

  test('node for nodes: the hint comes with the missing nodes it explains', () => {
    expect(lines({ name: 'p', node: [{ id: 'a', activity: 'x' }] })).toEqual([
      'node: unknown field; did you mean "nodes"?',
      'nodes: missing: a pipeline needs at least one node',
    ]);
  });

  test('a field far from every known name gets no hint', () => {
    expect(lines(oneNode({ colour: 'blue' }))).toEqual(['nodes[0].colour: unknown field']);
  });
});

describe('validateSpec: ids', () => {
  test('duplicate id names the first use', () => {
    const spec = withNodes(
      { id: 'x', activity: 'a' },
      { id: 'y', activity: 'a' },
      { id: 'x', activity: 'a' },
    );
    expect(lines(spec)).toEqual(['nodes[2].id: duplicate id "x" (first used by nodes[0])']);
  });

  test('every repeat of an id is reported, each pointing at the first', () => {
    const spec = withNodes({ id: 'x', activity: 'a' }, { id: 'x', activity: 'a' }, { id: 'x', activity: 'a' });
    expect(lines(spec)).toEqual([
      'nodes[1].id: duplicate id "x" (first used by nodes[0])',
      'nodes[2].id: duplicate id "x" (first used by nodes[0])',
    ]);
  });

  test('missing id', () => {
    expect(lines(withNodes({ activity: 'a' }))).toEqual(['nodes[0].id: missing: every node needs an id']);
  });

  test('id that is not a string', () => {
    expect(lines(withNodes({ id: 7, activity: 'a' }))).toEqual(['nodes[0].id: must be a string, got number 7']);
  });

  test.each([['has space'], ['-leading'], ['_leading'], [''], ['a/b'], ['x'.repeat(129)]])('invalid id %j', (id) => {
    const ps = problems(withNodes({ id, activity: 'a' }));
    expect(ps).toHaveLength(1);
    expect(ps[0]?.path).toBe('nodes[0].id');
    expect(ps[0]?.message).toContain('is not a valid id');
  });

  test('an id of 128 characters is fine', () => {
    expect(validateSpec(withNodes({ id: 'x'.repeat(128), activity: 'a' })).ok).toBe(true);
  });

  test('a node that is not an object', () => {
    expect(lines(withNodes({ id: 'a', activity: 'x' }, 'b', null))).toEqual([
      'nodes[1]: must be an object, got "b"',
      'nodes[2]: must be an object, got null',
    ]);
  });
});

describe('validateSpec: activity and kind', () => {
  test('missing activity', () => {
    expect(lines(withNodes({ id: 'a' }))).toEqual(['nodes[0].activity: missing: an activity node must name its activity']);
  });

  test.each<[unknown, string]>([
    ['', '""'],
    ['  ', '"  "'],
    [5, 'number 5'],
  ])('activity %j is refused', (activity, got) => {
    expect(lines(withNodes({ id: 'a', activity }))).toEqual([`nodes[0].activity: must be a non-empty string, got ${got}`]);
  });

  test('the activity tapflow records runs with is reserved', () => {
    expect(lines(withNodes({ id: 'a', activity: 'tapflowRecord' }))).toEqual([
      'nodes[0].activity: "tapflowRecord" is reserved: tapflow records runs with it',
    ]);
  });

  test('a field of another kind is named as such', () => {
    expect(lines(oneNode({ kind: 'sleep', duration: '1s' }))).toEqual([
      'nodes[0].activity: does not apply to a sleep node (it belongs to activity and map nodes)',
    ]);
  });

  test('an unknown kind', () => {
    expect(lines(oneNode({ kind: 'lambda' }))).toEqual([
      'nodes[0].kind: unknown kind "lambda"; expected one of "activity", "sleep", "event", "pipeline", "map"',
    ]);
  });

  test('node description must be a string', () => {
    expect(lines(oneNode({ description: ['x'] }))).toEqual(['nodes[0].description: must be a string']);
  });
});

describe('validateSpec: needs', () => {
  test('unknown need', () => {
    const spec = withNodes(
      { id: 'fetch', activity: 'a' },
      { id: 'b', activity: 'a', needs: ['fetch'] },
      { id: 'c', activity: 'a', needs: ['fetch'] },
      { id: 'd', activity: 'a', needs: ['fech'] },
    );
    expect(lines(spec)).toEqual(['nodes[3].needs[0]: unknown node "fech"']);
  });

  test('a need may name a node declared later', () => {
    expect(validateSpec(withNodes({ id: 'b', activity: 'a', needs: ['a'] }, { id: 'a', activity: 'a' })).ok).toBe(true);
  });

  test('self-dependency is reported as such, not also as a cycle', () => {
    expect(lines(withNodes({ id: 'a', activity: 'x', needs: ['a'] }))).toEqual([
      'nodes[0].needs[0]: node "a" cannot need itself',
    ]);
  });

  test('a need listed twice', () => {
    const spec = withNodes({ id: 'a', activity: 'x' }, { id: 'b', activity: 'x', needs: ['a', 'a'] });
    expect(lines(spec)).toEqual(['nodes[1].needs[1]: "a" is listed twice']);
  });

  test('needs that is not an array', () => {
    const spec = withNodes({ id: 'a', activity: 'x' }, { id: 'b', activity: 'x', needs: 'a' });
    expect(lines(spec)).toEqual(['nodes[1].needs: must be an array of node ids, got "a"']);
  });

  test('a need that is not a string', () => {
    const spec = withNodes({ id: 'a', activity: 'x' }, { id: 'b', activity: 'x', needs: ['a', 3] });
    expect(lines(spec)).toEqual(['nodes[1].needs[1]: must be a node id (string), got number 3']);
  });
});

describe('validateSpec: cycles', () => {
  /** Checks a reported `cycle: x -> y -> ... -> x` against the spec's needs. */
  function expectCycleConsistent(spec: { nodes: Array<{ id: string; needs?: string[] }> }, line: string): string[] {
    expect(line).toMatch(/^cycle: /);
    const path = line.slice('cycle: '.length).split(' -> ');
    expect(path.length).toBeGreaterThanOrEqual(3);
    expect(path[0]).toBe(path[path.length - 1]);
    const needs = new Map(spec.nodes.map((n) => [n.id, n.needs ?? []]));
    for (let i = 0; i + 1 < path.length; i++) expect(needs.get(path[i + 1] as string)).toContain(path[i]);
    return path;
  }

  test('a three-node cycle is shown as its path', () => {
    const spec = {
      name: 'p',
      nodes: [
        { id: 'a', activity: 'x', needs: ['c'] },
        { id: 'b', activity: 'x', needs: ['a'] },
        { id: 'c', activity: 'x', needs: ['b'] },
      ],
    };
    const ps = problems(spec);
    expect(ps).toEqual([{ path: 'cycle', message: 'a -> b -> c -> a' }]);
    expectCycleConsistent(spec, formatProblem(ps[0] as SpecProblem));
  });

  test('a cycle hidden behind acyclic nodes lists only the cycle', () => {
    const spec = {
      name: 'p',
      nodes: [
        { id: 'start', activity: 'x' },
        { id: 'load', activity: 'x', needs: ['start', 'check'] },
        { id: 'transform', activity: 'x', needs: ['load'] },
        { id: 'check', activity: 'x', needs: ['transform'] },
        { id: 'publish', activity: 'x', needs: ['check'] },
      ],
    };
    const ls = lines(spec);
    expect(ls).toHaveLength(1);
    const path = expectCycleConsistent(spec, ls[0] as string);
    expect(new Set(path)).toEqual(new Set(['load', 'transform', 'check']));
  });

  test('a two-node cycle', () => {
    const spec = {
      name: 'p',
      nodes: [
        { id: 'a', activity: 'x', needs: ['b'] },
        { id: 'b', activity: 'x', needs: ['a'] },
      ],
    };
    const ls = lines(spec);
    expect(ls).toHaveLength(1);
    expect(expectCycleConsistent(spec, ls[0] as string)).toHaveLength(3);
  });
});

describe('validateSpec: retry', () => {
  test.each<[unknown, string]>([
    [0, 'number 0'],
    [1.5, 'number 1.5'],
    ['3', '"3"'],
    [-2, 'number -2'],
  ])('maximumAttempts %j', (maximumAttempts, got) => {
    expect(lines(oneNode({ retry: { maximumAttempts } }))).toEqual([
      `nodes[0].retry.maximumAttempts: must be a whole number of at least 1, got ${got}`,
    ]);
  });

  test.each<[unknown, string]>([
    [0.5, 'number 0.5'],
    [0, 'number 0'],
    ['2', '"2"'],
    [Infinity, 'number Infinity'],
    [NaN, 'number NaN'],
  ])('backoffCoefficient %s', (backoffCoefficient, got) => {
    expect(lines(oneNode({ retry: { backoffCoefficient } }))).toEqual([
      `nodes[0].retry.backoffCoefficient: must be a number of at least 1, got ${got}`,
    ]);
  });

  test.each<[string, unknown, string]>([
    ['initialInterval', 'soon', '"soon"'],
    ['initialInterval', 0, 'number 0'],
    ['initialInterval', '-1s', '"-1s"'],
    ['maximumInterval', '1 minute', '"1 minute"'],
  ])('%s %j is not a duration', (field, value, got) => {
    expect(lines(oneNode({ retry: { [field]: value } }))).toEqual([
      `nodes[0].retry.${field}: ${got} is not a duration; use e.g. "1s" or "2m"`,
    ]);
  });

  test('maximumInterval shorter than initialInterval', () => {
    expect(lines(oneNode({ retry: { initialInterval: '10s', maximumInterval: '1s' } }))).toEqual([
      'nodes[0].retry.maximumInterval: must not be shorter than initialInterval',
    ]);
  });

  test('maximumInterval is compared with initialInterval whatever the key order', () => {
    expect(lines(oneNode({ retry: { maximumInterval: 1000, initialInterval: '1m' } }))).toEqual([
      'nodes[0].retry.maximumInterval: must not be shorter than initialInterval',
    ]);
  });

  // The workflow merges defaults.retry with node.retry and uses initialInterval "1s" when
  // neither sets it; validation checks the intervals in effect, or the SDK would throw
  // "RetryPolicy.maximumInterval cannot be less than its initialInterval" inside the workflow.
  test('maximumInterval shorter than the default initialInterval of 1s is refused', () => {
    expect(lines(oneNode({ retry: { maximumInterval: '500ms' } }))).toEqual([
      'nodes[0].retry.maximumInterval: must not be shorter than the default initialInterval (1s)',
    ]);
  });

  test('maximumInterval shorter than an initialInterval set in defaults is refused', () => {
    const spec = {
      name: 'p',
      defaults: { retry: { initialInterval: '10s' } },
      nodes: [{ id: 'a', activity: 'x', retry: { maximumInterval: '1s' } }],
    };
    expect(validateSpec(spec).ok).toBe(false);
  });

  // 0.4 ms rounds to 0, which Temporal refuses ("RetryPolicy.initialInterval cannot be 0").
  test('an accepted interval is at least 1 ms once parsed', () => {
    const result = validateSpec(oneNode({ retry: { initialInterval: 0.4 } }));
    if (result.ok) expect(parseDuration(0.4)).toBeGreaterThanOrEqual(1);
  });

  test.each<[unknown]>([['BadInput'], [[1]], [['']], [{}]])('nonRetryableErrorTypes %j', (types) => {
    expect(lines(oneNode({ retry: { nonRetryableErrorTypes: types } }))).toEqual([
      'nodes[0].retry.nonRetryableErrorTypes: must be an array of error type names',
    ]);
  });

  test('retry must be an object', () => {
    expect(lines(oneNode({ retry: 3 }))).toEqual(['nodes[0].retry: must be an object, got number 3']);
  });
});

describe('validateSpec: timeouts and task queue', () => {
  test.each<[string, unknown, string]>([
    ['timeout', 'forever', '"forever"'],
    ['timeout', 0, 'number 0'],
    ['timeout', -1000, 'number -1000'],
    ['timeout', '', '""'],
    ['heartbeatTimeout', '30 s', '"30 s"'],
    ['heartbeatTimeout', true, 'boolean true'],
    ['heartbeatTimeout', {}, 'an object'],
  ])('%s %j', (field, value, got) => {
    expect(lines(oneNode({ [field]: value }))).toEqual([
      `nodes[0].${field}: ${got} is not a duration; use e.g. "30s", "2m", "1h30m" or milliseconds`,
    ]);
  });

  test.each([[''], [5]])('taskQueue %j', (taskQueue) => {
    expect(lines(oneNode({ taskQueue }))).toEqual(['nodes[0].taskQueue: must be a non-empty string']);
  });

  test('a long string value is shortened in the message', () => {
    const long = 'y'.repeat(100);
    const ls = lines(oneNode({ timeout: long }));
    expect(ls[0]).toContain(`"${'y'.repeat(40)}..."`);
    expect(ls[0]).not.toContain('y'.repeat(41));
  });
});

describe('validateSpec: local steps', () => {
  test('local on an activity node or in the defaults is accepted', () => {
    expect(validateSpec(oneNode({ local: true, timeout: '5s', retry: { maximumAttempts: 2 } })).ok).toBe(true);
    expect(validateSpec({ name: 'p', defaults: { local: true }, nodes: [{ id: 'a', activity: 'act' }] }).ok).toBe(true);
    // A node may opt out of the defaults' local, and then take a task queue and heartbeats.
    const optOut = { name: 'p', defaults: { local: true }, nodes: [{ id: 'a', activity: 'act', local: false, taskQueue: 'gpu', heartbeatTimeout: '30s' }] };
    expect(validateSpec(optOut).ok).toBe(true);
    // The defaults' local applies to activity nodes only: a map or a sleep beside them is fine.
    const mixed = {
      name: 'p',
      defaults: { local: true },
      nodes: [
        { id: 'a', activity: 'list' },
        { id: 'm', kind: 'map', over: 'a', activity: 'each', needs: ['a'], taskQueue: 'tapflow-py' },
        { id: 's', kind: 'sleep', duration: '1s', needs: ['m'] },
      ],
    };
    expect(validateSpec(mixed).ok).toBe(true);
  });

  test('local must be a boolean', () => {
    expect(lines(oneNode({ local: 'yes' }))).toEqual(['nodes[0].local: must be true or false, got "yes"']);
    expect(lines({ name: 'p', defaults: { local: 1 }, nodes: [{ id: 'a', activity: 'act' }] })).toEqual(['defaults.local: must be true or false, got number 1']);
  });

  test('a local step takes no task queue and no heartbeat timeout, its own or the defaults\'', () => {
    expect(lines(oneNode({ local: true, taskQueue: 'tapflow-py' }))).toEqual([
      'nodes[0].local: a local step runs on the worker that runs the run, so it cannot have a taskQueue: drop taskQueue, or set local: false on this node',
    ]);
    expect(lines(oneNode({ local: true, heartbeatTimeout: '10s' }))).toEqual([
      'nodes[0].local: a local step cannot heartbeat, so it takes no heartbeatTimeout: drop it, or set local: false on this node',
    ]);
    expect(lines({ name: 'p', defaults: { local: true, taskQueue: 'tapflow-py' }, nodes: [{ id: 'a', activity: 'act' }] })).toEqual([
      'nodes[0] (local from defaults): a local step runs on the worker that runs the run, so it cannot have a taskQueue (from defaults): drop taskQueue, or set local: false on this node',
    ]);
    expect(lines({ name: 'p', defaults: { heartbeatTimeout: '10s' }, nodes: [{ id: 'a', activity: 'act', local: true }] })).toEqual([
      'nodes[0].local: a local step cannot heartbeat, so it takes no heartbeatTimeout (from defaults): drop it, or set local: false on this node',
    ]);
  });

  test('local is refused on nodes that are not activities', () => {
    expect(lines(withNodes({ id: 's', kind: 'sleep', duration: '1s', local: true }))[0]).toMatch(/^nodes\[0\]\.local: does not apply to a sleep node/);
    expect(lines(withNodes({ id: 'l', activity: 'list' }, { id: 'm', kind: 'map', over: 'l', activity: 'each', needs: ['l'], local: true }))[0]).toMatch(
      /^nodes\[1\]\.local: does not apply to a map node/,
    );
  });
});

describe('validateSpec: every problem at once', () => {
  test('a spec with four different mistakes gets four problems, each at its place', () => {
    const spec = {
      name: 'p',
      maxParallel: 0,
      nodes: [
        { id: 'fetch', activity: 'fetchImage' },
        { id: 'resize', needs: ['fech'] },
        { id: 'report', activity: 'writeReport', neds: ['resize'] },
      ],
    };
    expect(lines(spec)).toEqual([
      'maxParallel: must be a whole number of at least 1, got number 0',
      'nodes[1].activity: missing: an activity node must name its activity',
      'nodes[1].needs[0]: unknown node "fech"',
      'nodes[2].neds: unknown field; did you mean "needs"?',
    ]);
  });

  test('problems of different kinds, a duplicate id and a cycle are all reported together', () => {
    const spec = {
      name: '',
      nodes: [
        { id: 'a', activity: 'x', needs: ['b'] },
        { id: 'b', activity: 'x', needs: ['a'] },
        { id: 'a', activity: 'x' },
        { id: 'c', activity: 'x', retry: { maximumAttempts: 0 } },
      ],
    };
    const ls = lines(spec);
    expect(ls).toHaveLength(4);
    expect(ls).toContain('name: must be a non-empty string');
    expect(ls).toContain('nodes[2].id: duplicate id "a" (first used by nodes[0])');
    expect(ls).toContain('nodes[3].retry.maximumAttempts: must be a whole number of at least 1, got number 0');
    expect(ls.filter((l) => l.startsWith('cycle: '))).toHaveLength(1);
  });
});

describe('assertValidSpec', () => {
  test('returns a valid spec as is', () => {
    const spec = thumbnails();
    expect(assertValidSpec(spec)).toBe(spec);
  });

  test('throws InvalidSpecError carrying every problem', () => {
    const spec = withNodes({ id: 'a' }, { id: 'b', activity: 'x', needs: ['fech'] });
    let caught: unknown;
    try {
      assertValidSpec(spec);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidSpecError);
    const err = caught as InvalidSpecError;
    expect(err.name).toBe('InvalidSpecError');
    expect(err.problems).toEqual([
      { path: 'nodes[0].activity', message: 'missing: an activity node must name its activity' },
      { path: 'nodes[1].needs[0]', message: 'unknown node "fech"' },
    ]);
    expect(err.message).toBe(
      'invalid pipeline spec: nodes[0].activity: missing: an activity node must name its activity; ' +
        'nodes[1].needs[0]: unknown node "fech"',
    );
  });
});

describe('nodeById', () => {
  test('maps each id to its node', () => {
    const spec = thumbnails();
    const byId = nodeById(spec);
    expect([...byId.keys()]).toEqual(['fetch', 'small', 'large', 'report']);
    expect(byId.get('large')).toBe(spec.nodes[2]);
  });
});

describe('validateSpec: concurrency', () => {
  const spec = (concurrency: unknown): unknown => ({ name: 'p', concurrency, nodes: [{ id: 'a', activity: 'act' }] });

  test('takes a constant key, or a template over params, and a limit', () => {
    expect(validateSpec(spec({ key: 'reports', limit: 1 })).ok).toBe(true);
    expect(validateSpec(spec({ key: 'tenant-${{ params.tenant }}', limit: 10_000 })).ok).toBe(true);
  });

  test.each<[unknown, string[]]>([
    ['tenant', ['concurrency: must be an object with "key" and "limit", e.g. { "key": "${{ params.tenant }}", "limit": 2 }, got "tenant"']],
    [{ limit: 2 }, ['concurrency.key: missing: what the limit counts over (a name, or a template over params)']],
    [{ key: '', limit: 2 }, ['concurrency.key: must be a non-empty string, got ""']],
    [{ key: 'x'.repeat(201), limit: 2 }, ['concurrency.key: at most 200 characters, got 201']],
    [{ key: 'k' }, ['concurrency.limit: missing: how many at once']],
    [{ key: 'k', limit: 0 }, ['concurrency.limit: must be a whole number from 1 to 10000, got number 0']],
    [{ key: 'k', limit: 1.5 }, ['concurrency.limit: must be a whole number from 1 to 10000, got number 1.5']],
    [{ key: 'k', limit: 2, per: 'tenant' }, ['concurrency.per: unknown field; a concurrency limit takes "key" and "limit"']],
  ])('refuses %j with where and why', (concurrency, want) => {
    expect(lines(spec(concurrency))).toEqual(want);
  });

  test("a key's template may read params only, and must parse", () => {
    expect(lines(spec({ key: '${{ upstream.a.x }}', limit: 1 }))[0]).toMatch(/^concurrency\.key: .*upstream/);
    expect(lines(spec({ key: '${{ params.tenant', limit: 1 }))[0]).toMatch(/^concurrency\.key: /);
  });
});

describe('validateSpec: many unknown fields', () => {
  test('an object with thousands of unknown fields is reported by its first 20 and a count of the rest', () => {
    const node: Record<string, unknown> = { id: 'a', activity: 'act' };
    for (let i = 0; i < 5000; i++) node[`junk${i}`] = i;
    const ls = lines(withNodes(node));
    expect(ls).toHaveLength(21);
    expect(ls[0]).toBe('nodes[0].junk0: unknown field');
    expect(ls[20]).toBe('nodes[0]: and 4980 more unknown fields');
  });
});
