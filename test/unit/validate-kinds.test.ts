/**
 * Spec validation of the node kinds beyond `activity` (sleep, event, pipeline, map), of the
 * fields every kind shares (`onFailure`, `deadline`) and of the top-level `deadline` and
 * `maxDepth`: each problem as the one line a user sees (`formatProblem`).
 */
import { formatProblem, validateSpec } from '../../src/core/validate';

/** A spec of `nodes` (any shape), named so that only node problems show. */
function withNodes(...nodes: unknown[]): Record<string, unknown> {
  return { name: 'p', nodes };
}

/** The problems of a spec the validator must refuse, as one-line strings. */
function lines(spec: unknown): string[] {
  const result = validateSpec(spec);
  if (result.ok) throw new Error('expected the spec to be refused, but it was accepted');
  return result.problems.map(formatProblem);
}

function accepts(spec: unknown): void {
  const result = validateSpec(spec);
  expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
}

/** A spec `depth` pipelines deep: the innermost holds one activity node. */
function nested(depth: number, top: Record<string, unknown> = {}): Record<string, unknown> {
  let spec: Record<string, unknown> = { name: `level${depth}`, nodes: [{ id: 'work', activity: 'act' }] };
  for (let level = depth - 1; level >= 0; level--) {
    spec = { name: `level${level}`, nodes: [{ id: 'child', kind: 'pipeline', pipeline: spec }] };
  }
  return { ...spec, ...top };
}

describe('sleep nodes', () => {
  test('a duration or an until is accepted', () => {
    accepts(withNodes({ id: 's', kind: 'sleep', duration: '2h' }));
    accepts(withNodes({ id: 's', kind: 'sleep', duration: 1500 }));
    accepts(withNodes({ id: 's', kind: 'sleep', until: '2026-12-01T09:00:00Z' }));
    accepts(withNodes({ id: 's', kind: 'sleep', until: '2026-12-01T09:00+02:00' }));
    accepts(withNodes({ id: 's', kind: 'sleep', until: '2026-12-01T09:00:00.250-05:30' }));
  });

  test('neither duration nor until', () => {
    expect(lines(withNodes({ id: 's', kind: 'sleep' }))).toEqual(['nodes[0]: missing: a sleep node needs "duration" or "until"']);
  });

  test('both duration and until', () => {
    expect(lines(withNodes({ id: 's', kind: 'sleep', duration: '1h', until: '2026-12-01T09:00:00Z' }))).toEqual([
      'nodes[0]: a sleep node takes "duration" or "until", not both',
    ]);
  });

  test.each<[unknown, string]>([
    ['soon', '"soon"'],
    ['10 minutes', '"10 minutes"'],
    [0, 'number 0'],
    [-5, 'number -5'],
    [{ h: 1 }, 'an object'],
  ])('a bad duration %j', (duration, shown) => {
    expect(lines(withNodes({ id: 's', kind: 'sleep', duration }))).toEqual([
      `nodes[0].duration: ${shown} is not a duration; use e.g. "30s", "2h" or milliseconds`,
    ]);
  });

  test.each<[unknown, string]>([
    ['tomorrow', '"tomorrow"'],
    ['2026-12-01', '"2026-12-01"'],
    ['2026-12-01T09:00:00', '"2026-12-01T09:00:00"'],
    ['2026-12-01 09:00:00Z', '"2026-12-01 09:00:00Z"'],
    ['2026-13-01T09:00:00Z', '"2026-13-01T09:00:00Z"'],
    [1_700_000_000_000, 'number 1700000000000'],
  ])('a bad until %j', (until, shown) => {
    expect(lines(withNodes({ id: 's', kind: 'sleep', until }))).toEqual([
      `nodes[0].until: ${shown} is not a time; use ISO-8601 with a zone, e.g. "2026-12-01T09:00:00Z"`,
    ]);
  });

  test('an until on a day its month does not have (February 30) is not a time', () => {
    expect(lines(withNodes({ id: 's', kind: 'sleep', until: '2026-02-30T09:00:00Z' }))).toEqual([
      'nodes[0].until: "2026-02-30T09:00:00Z" is not a time; use ISO-8601 with a zone, e.g. "2026-12-01T09:00:00Z"',
    ]);
  });

  test('a sleep node refuses the fields of other kinds, naming whose they are', () => {
    expect(
      lines(withNodes({ id: 's', kind: 'sleep', duration: '1m', input: 1, event: 'go', retry: { maximumAttempts: 2 }, over: 'x' })),
    ).toEqual([
      'nodes[0].input: does not apply to a sleep node (it belongs to activity and pipeline and map nodes)',
      'nodes[0].event: does not apply to a sleep node (it belongs to event nodes)',
      'nodes[0].retry: does not apply to a sleep node (it belongs to activity and map nodes)',
      'nodes[0].over: does not apply to a sleep node (it belongs to map nodes)',
    ]);
  });
});

describe('event nodes', () => {
  test('an event node with a name, and a timeout with each onTimeout, is accepted', () => {
    accepts(withNodes({ id: 'e', kind: 'event', event: 'approval' }));
    accepts(withNodes({ id: 'e', kind: 'event', event: 'review:legal.v2_x-y' }));
    accepts(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h' }));
    accepts(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'fail' }));
    accepts(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'skip' }));
    accepts(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'default', default: { ok: false } }));
    // null is a default.
    accepts(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'default', default: null }));
  });

  test('a missing event name', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event' }))).toEqual(['nodes[0].event: missing: an event node must name the event it waits for']);
  });

  test.each<[unknown, string]>([
    ['has space', '"has space"'],
    ['', '""'],
    [':leading', '":leading"'],
    ['a/b', '"a/b"'],
    [7, 'number 7'],
  ])('a bad event name %j', (event, shown) => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event }))).toEqual([
      `nodes[0].event: ${shown} is not a valid event name: use letters, digits, "_", "-", "." and ":"`,
    ]);
  });

  test('an event name longer than 128 characters', () => {
    const event = 'e'.repeat(129);
    expect(lines(withNodes({ id: 'e', kind: 'event', event }))).toEqual([
      `nodes[0].event: "${'e'.repeat(40)}..." is not a valid event name: use letters, digits, "_", "-", "." and ":"`,
    ]);
    accepts(withNodes({ id: 'e', kind: 'event', event: 'e'.repeat(128) }));
  });

  test('onTimeout without a timeout', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', onTimeout: 'skip' }))).toEqual([
      'nodes[0].onTimeout: applies only with a "timeout"',
    ]);
  });

  test('an unknown onTimeout', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'retry' }))).toEqual([
      'nodes[0].onTimeout: must be "fail", "skip" or "default", got "retry"',
    ]);
  });

  test('a default without onTimeout "default"', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', default: 1 }))).toEqual([
      'nodes[0].default: is used only with onTimeout "default"',
    ]);
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'skip', default: 1 }))).toEqual([
      'nodes[0].default: is used only with onTimeout "default"',
    ]);
  });

  test('onTimeout "default" without a default', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: '1h', onTimeout: 'default' }))).toEqual([
      'nodes[0].default: missing: onTimeout "default" needs the output to take',
    ]);
  });

  test('a bad timeout is a bad duration', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', timeout: 'forever' }))).toEqual([
      'nodes[0].timeout: "forever" is not a duration; use e.g. "30s", "2m", "1h30m" or milliseconds',
    ]);
  });

  test('an event node refuses the fields of other kinds', () => {
    expect(lines(withNodes({ id: 'e', kind: 'event', event: 'go', activity: 'act', duration: '1m', heartbeatTimeout: '5s' }))).toEqual([
      'nodes[0].activity: does not apply to an event node (it belongs to activity and map nodes)',
      'nodes[0].duration: does not apply to an event node (it belongs to sleep nodes)',
      'nodes[0].heartbeatTimeout: does not apply to an event node (it belongs to activity and map nodes)',
    ]);
  });

  test('an activity node refuses the fields of the waiting kinds', () => {
    expect(lines(withNodes({ id: 'a', activity: 'act', until: '2026-12-01T09:00:00Z', onTimeout: 'skip', default: 1 }))).toEqual([
      'nodes[0].until: does not apply to an activity node (it belongs to sleep nodes)',
      'nodes[0].onTimeout: does not apply to an activity node (it belongs to event nodes)',
      'nodes[0].default: does not apply to an activity node (it belongs to event nodes)',
    ]);
  });
});

describe('onFailure and deadline', () => {
  test('onFailure fail and hold are accepted on every kind and in defaults', () => {
    accepts({
      name: 'p',
      defaults: { onFailure: 'hold' },
      nodes: [
        { id: 'a', activity: 'act', onFailure: 'fail' },
        { id: 's', kind: 'sleep', duration: '1m', onFailure: 'hold' },
        { id: 'e', kind: 'event', event: 'go', onFailure: 'hold' },
      ],
    });
  });

  test.each<[unknown, string]>([
    ['retry', '"retry"'],
    ['HOLD', '"HOLD"'],
    [true, 'boolean true'],
  ])('onFailure %j is refused, on a node and in defaults', (onFailure, shown) => {
    expect(lines({ name: 'p', defaults: { onFailure }, nodes: [{ id: 'a', activity: 'act', onFailure }] })).toEqual([
      `defaults.onFailure: must be "fail" or "hold", got ${shown}`,
      `nodes[0].onFailure: must be "fail" or "hold", got ${shown}`,
    ]);
  });

  test('a node deadline is accepted on every kind', () => {
    accepts(
      withNodes(
        { id: 'a', activity: 'act', deadline: '30m' },
        { id: 's', kind: 'sleep', duration: '1m', deadline: 60_000 },
        { id: 'e', kind: 'event', event: 'go', deadline: '2h' },
      ),
    );
  });

  test.each<[unknown, string]>([
    ['soon', '"soon"'],
    [0, 'number 0'],
    ['0s', '"0s"'],
    [-1, 'number -1'],
    [[1], 'an array'],
  ])('a node deadline %j is refused', (deadline, shown) => {
    expect(lines(withNodes({ id: 'a', activity: 'act', deadline }))).toEqual([
      `nodes[0].deadline: ${shown} is not a positive duration; use e.g. "30m" or "2h"`,
    ]);
  });

  test('a top-level deadline is accepted, and a bad one refused', () => {
    accepts({ ...withNodes({ id: 'a', activity: 'act' }), deadline: '1h' });
    expect(lines({ ...withNodes({ id: 'a', activity: 'act' }), deadline: 'later' })).toEqual([
      'deadline: "later" is not a positive duration; use e.g. "30m" or "2h"',
    ]);
    expect(lines({ ...withNodes({ id: 'a', activity: 'act' }), deadline: 0 })).toEqual([
      'deadline: number 0 is not a positive duration; use e.g. "30m" or "2h"',
    ]);
  });

  test('a deadline in defaults is not a default', () => {
    expect(lines({ name: 'p', defaults: { deadline: '1h' }, nodes: [{ id: 'a', activity: 'act' }] })).toEqual([
      'defaults.deadline: unknown field',
    ]);
  });
});

describe('maxDepth and pipeline nodes', () => {
  test.each<[unknown, string]>([
    [0, 'number 0'],
    [1.5, 'number 1.5'],
    ['3', '"3"'],
    [101, 'number 101'],
  ])('maxDepth %j is refused', (maxDepth, shown) => {
    expect(lines({ ...withNodes({ id: 'a', activity: 'act' }), maxDepth })).toEqual([
      `maxDepth: must be a whole number from 1 to 100, got ${shown}`,
    ]);
  });

  test('an inline child spec is accepted, with its options', () => {
    accepts(
      withNodes(
        { id: 'prep', activity: 'act' },
        {
          id: 'child',
          kind: 'pipeline',
          needs: ['prep'],
          input: { x: 1 },
          taskQueue: 'gpu',
          parentClose: 'abandon',
          pipeline: { name: 'inner', nodes: [{ id: 'work', activity: 'act' }] },
        },
      ),
    );
  });

  test('a pipeline node needs its child spec', () => {
    expect(lines(withNodes({ id: 'c', kind: 'pipeline' }))).toEqual(['nodes[0].pipeline: missing: a pipeline node needs the child spec']);
  });

  test('a file reference is refused with what to do', () => {
    expect(lines(withNodes({ id: 'c', kind: 'pipeline', pipeline: './child.yaml' }))).toEqual([
      'nodes[0].pipeline: "./child.yaml" is a file reference: tapflow start and validate inline it from the spec\'s folder; a spec given to the client must hold the child spec itself',
    ]);
  });

  test('a child spec that is not an object', () => {
    expect(lines(withNodes({ id: 'c', kind: 'pipeline', pipeline: [1] }))).toEqual([
      'nodes[0].pipeline: must be a pipeline spec (an object with "name" and "nodes"), got an array',
    ]);
  });

  test('a bad parentClose', () => {
    expect(
      lines(withNodes({ id: 'c', kind: 'pipeline', parentClose: 'kill', pipeline: { name: 'i', nodes: [{ id: 'w', activity: 'act' }] } })),
    ).toEqual(['nodes[0].parentClose: must be "cancel", "terminate" or "abandon", got "kill"']);
  });

  test('problems inside the child spec are reported under the node path', () => {
    const spec = withNodes({
      id: 'c',
      kind: 'pipeline',
      pipeline: { name: 'inner', nodes: [{ id: 'w' }, { id: 'x', activity: 'act', needs: ['nope'] }] },
    });
    expect(lines(spec)).toEqual([
      'nodes[0].pipeline.nodes[0].activity: missing: an activity node must name its activity',
      'nodes[0].pipeline.nodes[1].needs[0]: unknown node "nope"',
    ]);
  });

  test('problems of the child spec as a whole are reported at the node path', () => {
    expect(lines(withNodes({ id: 'c', kind: 'pipeline', pipeline: { nodes: [{ id: 'w', activity: 'act' }], bogus: 1 } }))).toEqual([
      'nodes[0].pipeline.bogus: unknown field',
      'nodes[0].pipeline.name: missing: every pipeline needs a name',
    ]);
  });

  test('problems two levels down carry both prefixes', () => {
    const spec = nested(2);
    ((spec.nodes as any)[0].pipeline.nodes[0].pipeline.nodes[0] as Record<string, unknown>).activity = '';
    expect(lines(spec)).toEqual(['nodes[0].pipeline.nodes[0].pipeline.nodes[0].activity: must be a non-empty string, got ""']);
  });

  test('nesting up to the default maxDepth (3) is accepted; one more is refused at the deepest node', () => {
    accepts(nested(3));
    expect(lines(nested(4))).toEqual([
      'nodes[0].pipeline.nodes[0].pipeline.nodes[0].pipeline.nodes[0].pipeline: child pipelines nest more than 3 deep (maxDepth); flatten the spec or raise maxDepth',
    ]);
  });

  test('the top-level maxDepth sets the limit; a child spec own maxDepth does not count', () => {
    accepts(nested(4, { maxDepth: 4 }));
    expect(lines(nested(2, { maxDepth: 1 }))).toEqual([
      'nodes[0].pipeline.nodes[0].pipeline: child pipelines nest more than 1 deep (maxDepth); flatten the spec or raise maxDepth',
    ]);
    const spec = nested(2, { maxDepth: 1 });
    (spec.nodes as any)[0].pipeline.maxDepth = 5;
    expect(lines(spec)).toEqual([
      'nodes[0].pipeline.nodes[0].pipeline: child pipelines nest more than 1 deep (maxDepth); flatten the spec or raise maxDepth',
    ]);
  });

  test('a pipeline node refuses the fields of other kinds', () => {
    expect(
      lines(withNodes({ id: 'c', kind: 'pipeline', activity: 'act', retry: {}, pipeline: { name: 'i', nodes: [{ id: 'w', activity: 'act' }] } })),
    ).toEqual([
      'nodes[0].activity: does not apply to a pipeline node (it belongs to activity and map nodes)',
      'nodes[0].retry: does not apply to a pipeline node (it belongs to activity and map nodes)',
    ]);
  });
});

describe('map nodes', () => {
  test('a map over a need, with an activity or a child pipeline, is accepted', () => {
    accepts(
      withNodes(
        { id: 'list', activity: 'act' },
        { id: 'each', kind: 'map', needs: ['list'], over: 'list', activity: 'act', maxParallel: 4, retry: { maximumAttempts: 2 } },
        { id: 'deep', kind: 'map', needs: ['list'], over: 'list.files.all', pipeline: { name: 'per', nodes: [{ id: 'w', activity: 'act' }] } },
      ),
    );
  });

  test('over must be given and name one of the needs', () => {
    const list = { id: 'list', activity: 'act' };
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], activity: 'act' }))).toEqual([
      'nodes[1].over: missing: a map node names the upstream node whose output holds the items',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'other.files', activity: 'act' }))).toEqual([
      'nodes[1].over: "other" must be one of the node\'s needs',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', over: 'list', activity: 'act' }))).toEqual([
      'nodes[1].over: "list" must be one of the node\'s needs',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: '', activity: 'act' }))).toEqual([
      'nodes[1].over: must be a node id or a dotted path, got ""',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 3, activity: 'act' }))).toEqual([
      'nodes[1].over: must be a node id or a dotted path, got number 3',
    ]);
  });

  test('a map node runs an activity or a pipeline, not both and not neither', () => {
    const list = { id: 'list', activity: 'act' };
    const child = { name: 'per', nodes: [{ id: 'w', activity: 'act' }] };
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'list' }))).toEqual([
      'nodes[1]: missing: a map node needs an "activity" or a "pipeline" to run per item',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'list', activity: 'act', pipeline: child }))).toEqual([
      'nodes[1]: a map node runs an "activity" or a "pipeline", not both',
    ]);
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'list', activity: ' ' }))).toEqual([
      'nodes[1].activity: must be a non-empty string, got " "',
    ]);
  });

  test('a map child pipeline is checked like a pipeline node child', () => {
    const list = { id: 'list', activity: 'act' };
    expect(lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'list', pipeline: 'per-item.yaml' }))).toEqual([
      'nodes[1].pipeline: "per-item.yaml" is a file reference: tapflow start and validate inline it from the spec\'s folder; a spec given to the client must hold the child spec itself',
    ]);
    expect(
      lines(withNodes(list, { id: 'm', kind: 'map', needs: ['list'], over: 'list', pipeline: { name: 'per', nodes: [{ id: 'w', kind: 'sleep' }] } })),
    ).toEqual(['nodes[1].pipeline.nodes[0]: missing: a sleep node needs "duration" or "until"']);
  });

  test.each<[unknown, string]>([
    [0, 'number 0'],
    [2.5, 'number 2.5'],
    ['4', '"4"'],
  ])('maxParallel %j is refused', (maxParallel, shown) => {
    expect(lines(withNodes({ id: 'list', activity: 'act' }, { id: 'm', kind: 'map', needs: ['list'], over: 'list', activity: 'act', maxParallel }))).toEqual([
      `nodes[1].maxParallel: must be a whole number of at least 1, got ${shown}`,
    ]);
  });

  test('a batchSize from 1 to 1000 is accepted on an activity map', () => {
    for (const batchSize of [1, 100, 1000]) {
      accepts(withNodes({ id: 'list', activity: 'act' }, { id: 'm', kind: 'map', needs: ['list'], over: 'list', activity: 'act', batchSize }));
    }
  });

  test.each<[unknown, string]>([
    [0, 'number 0'],
    [1001, 'number 1001'],
    [2.5, 'number 2.5'],
    ['10', '"10"'],
  ])('batchSize %j is refused', (batchSize, shown) => {
    expect(lines(withNodes({ id: 'list', activity: 'act' }, { id: 'm', kind: 'map', needs: ['list'], over: 'list', activity: 'act', batchSize }))).toEqual([
      `nodes[1].batchSize: must be a whole number from 1 to 1000, got ${shown}`,
    ]);
  });

  test('batchSize on a map of child pipelines is refused, saying why', () => {
    const child = { name: 'per', nodes: [{ id: 'w', activity: 'act' }] };
    expect(lines(withNodes({ id: 'list', activity: 'act' }, { id: 'm', kind: 'map', needs: ['list'], over: 'list', pipeline: child, batchSize: 10 }))).toEqual([
      'nodes[1].batchSize: batches are for a map that runs an activity; each child pipeline is a run of its own',
    ]);
  });

  test('the map batch activity is reserved', () => {
    expect(lines(withNodes({ id: 'a', activity: 'tapflowMapBatch' }))).toEqual([
      'nodes[0].activity: "tapflowMapBatch" is reserved: tapflow runs map batches with it',
    ]);
  });

  test('maxParallel on a node of another kind belongs to map nodes', () => {
    expect(lines(withNodes({ id: 'a', activity: 'act', maxParallel: 2 }))).toEqual([
      'nodes[0].maxParallel: does not apply to an activity node (it belongs to map nodes)',
    ]);
  });
});
