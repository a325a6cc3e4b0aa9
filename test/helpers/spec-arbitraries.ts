/**
 * fast-check arbitraries for pipeline specs: valid specs (random DAGs of every node kind),
 * spec-shaped values with random field values, hostile JavaScript values, and spec texts with
 * their syntax damaged. Used by the property tests in `test/unit/spec-properties.test.ts`.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { PipelineSpec } from '../../src/core/types';

/**
 * Settings for `fc.assert`: a fixed seed (so a run is repeatable and a failure replays), which
 * `TAPFLOW_FC_SEED` overrides, and `TAPFLOW_FC_PATH` to replay one counterexample straight away.
 * fast-check prints both on failure.
 */
export function propertyParams(numRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.TAPFLOW_FC_SEED ?? 20261123);
  const path = process.env.TAPFLOW_FC_PATH;
  return { seed, numRuns, ...(path ? { path, endOnFailure: true } : {}) };
}

/** Keys that have bitten JavaScript parsers and validators: prototype pollution, field names. */
export const TRICKY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'name',
  'nodes',
  'id',
  'needs',
  'kind',
  'activity',
  'pipeline',
  'retry',
  'defaults',
  'maxDepth',
  '',
] as const;

/** A string of any UTF-16 code units (lone surrogates too), or a very long one now and then. */
export const anyString = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY_KEYS) },
);

/** Any JavaScript value the validator might be handed: fast-check's `anything` with every option on. */
export const hostileValue = fc.anything({
  maxDepth: 5,
  maxKeys: 8,
  key: fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...TRICKY_KEYS)),
  values: [
    anyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, Number.MAX_SAFE_INTEGER + 2),
  ],
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
});

const activityName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
  .filter((s) => s.trim() !== '' && s !== 'tapflowRecord' && s !== 'tapflowMapBatch');
const nodeId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/);
const eventName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,15}$/);
const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const nonEmptyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 });
const duration = fc.oneof(
  fc.integer({ min: 1, max: 86_400_000 }),
  fc.constantFrom('500ms', '30s', '2m', '1h30m', '2.5s', '1d', ' 10m '),
  fc.integer({ min: 1, max: 999 }).map((n) => `${n}s`),
);
/** At most 10 s, and {@link longInterval} at least 10 s: any mix of the two keeps the cap above the first wait. */
const shortInterval = fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom('1ms', '500ms', '1s', '10s'));
const longInterval = fc.oneof(fc.integer({ min: 10_000, max: 3_600_000 }), fc.constantFrom('10s', '1m', '1h'));
const retry = fc.record(
  {
    maximumAttempts: fc.integer({ min: 1, max: 10 }),
    initialInterval: shortInterval,
    backoffCoefficient: fc.double({ min: 1, max: 10, noNaN: true }),
    maximumInterval: longInterval,
    nonRetryableErrorTypes: fc.array(nonEmptyText, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const instant = fc.oneof(
  fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-12-01T09:00Z', '2026-02-28T23:59:59+02:00', '2028-02-29T00:00:00-05:30'),
);
/** JSON data as a file holds it (`jsonValue` may give -0, which JSON writes as 0). */
const input = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const onFailure = fc.constantFrom('fail', 'hold');
const parentClose = fc.constantFrom('cancel', 'terminate', 'abandon');

/** Fields every node may carry, whatever its kind. */
const commonFields = { description: text, onFailure, deadline: duration };
/** Fields that configure an activity call (activity and map nodes). */
const activityOptions = { retry, timeout: duration, heartbeatTimeout: duration, taskQueue: nonEmptyText };

type Fields = Record<string, unknown>;

/** The kind-specific part of a node; `needs` and `id` are filled in by {@link validSpec}. */
function nodeBody(childDepth: number, earlier: string[]): fc.Arbitrary<Fields> {
  const activity = fc.record({ activity: activityName, input, ...commonFields, ...activityOptions }, { requiredKeys: ['activity'] });
  const sleep = fc.oneof(
    fc.record({ kind: fc.constant('sleep'), duration, ...commonFields }, { requiredKeys: ['kind', 'duration'] }),
    fc.record({ kind: fc.constant('sleep'), until: instant, ...commonFields }, { requiredKeys: ['kind', 'until'] }),
  );
  const event = fc.oneof(
    fc.record({ kind: fc.constant('event'), event: eventName, ...commonFields }, { requiredKeys: ['kind', 'event'] }),
    fc.record(
      { kind: fc.constant('event'), event: eventName, timeout: duration, onTimeout: fc.constantFrom('fail', 'skip'), ...commonFields },
      { requiredKeys: ['kind', 'event', 'timeout'] },
    ),
    fc.record({ kind: fc.constant('event'), event: eventName, timeout: duration, onTimeout: fc.constant('default'), default: input }, { requiredKeys: ['kind', 'event', 'timeout', 'onTimeout', 'default'] }),
  );
  const kinds: Array<fc.Arbitrary<Fields>> = [activity, activity, sleep, event];
  if (childDepth > 0) {
    kinds.push(
      fc.record(
        { kind: fc.constant('pipeline'), pipeline: validSpec({ childDepth: childDepth - 1, maxNodes: 3 }), input, taskQueue: nonEmptyText, parentClose, ...commonFields },
        { requiredKeys: ['kind', 'pipeline'] },
      ),
    );
  }
  // A map's items come from a node it needs; an id with a dot cannot be named in `over` (it reads as a path).
  const sources = earlier.filter((id) => !id.includes('.'));
  if (sources.length > 0) {
    const over = fc.tuple(fc.constantFrom(...sources), fc.constantFrom('', '.files', '.a.b'));
    const mapActivity = fc.record(
      { kind: fc.constant('map'), over, activity: activityName, batchSize: fc.integer({ min: 1, max: 1000 }), maxParallel: fc.integer({ min: 1, max: 64 }), input, ...commonFields, ...activityOptions },
      { requiredKeys: ['kind', 'over', 'activity'] },
    );
    kinds.push(mapActivity);
    if (childDepth > 0) {
      kinds.push(
        fc.record(
          { kind: fc.constant('map'), over, pipeline: validSpec({ childDepth: childDepth - 1, maxNodes: 2 }), parentClose, ...commonFields },
          { requiredKeys: ['kind', 'over', 'pipeline'] },
        ),
      );
    }
  }
  return fc.oneof(...kinds);
}

/** Options of {@link validSpec}. */
export interface ValidSpecOptions {
  /** How many levels of inline child pipelines may appear below this spec. Default 2. */
  childDepth?: number;
  /** Fewest and most nodes. Defaults 1 and 10. */
  minNodes?: number;
  maxNodes?: number;
}

/**
 * Valid specs: unique ids, each node needing only earlier nodes (so the graph is a DAG), every
 * kind with its own fields, and optional pipeline-wide settings. Every value is JSON data.
 */
export function validSpec(options: ValidSpecOptions = {}): fc.Arbitrary<PipelineSpec> {
  const { childDepth = 2, minNodes = 1, maxNodes = 10 } = options;
  const top = fc.record(
    {
      name: nonEmptyText.filter((s) => s.trim() !== ''),
      description: text,
      maxParallel: fc.integer({ min: 1, max: 64 }),
      deadline: duration,
      // Deep enough for the child pipelines generated below it.
      maxDepth: fc.integer({ min: 3, max: 100 }),
      defaults: fc.record({ retry, timeout: duration, heartbeatTimeout: duration, taskQueue: nonEmptyText, onFailure }, { requiredKeys: [] }),
    },
    { requiredKeys: ['name'] },
  );
  const ids = fc.uniqueArray(nodeId, { minLength: minNodes, maxLength: maxNodes });
  return fc.tuple(top, ids).chain(([spec, nodeIds]) =>
    fc
      .tuple(
        ...nodeIds.map((id, i) => {
          const earlier = nodeIds.slice(0, i);
          const needs = earlier.length === 0 ? fc.constant<string[]>([]) : fc.subarray(earlier, { maxLength: Math.min(4, earlier.length) });
          return fc.tuple(needs, nodeBody(childDepth, earlier)).map(([picked, body]) => buildNode(id, picked, body));
        }),
      )
      .map((nodes) => ({ ...spec, nodes }) as unknown as PipelineSpec),
  );
}

function buildNode(id: string, picked: string[], body: Fields): Fields {
  const node: Fields = { id };
  const needs = [...picked];
  if (Array.isArray(body.over)) {
    const [source, rest] = body.over as [string, string];
    if (!needs.includes(source)) needs.push(source);
    body = { ...body, over: `${source}${rest}` };
  }
  if (needs.length > 0) node.needs = needs;
  return { ...node, ...body };
}

/** Every field name the format knows, top-level and per node, for values that look like specs. */
const SPEC_FIELDS = ['name', 'description', 'maxParallel', 'defaults', 'nodes', 'deadline', 'maxDepth'];
const NODE_FIELDS = [
  'id', 'kind', 'needs', 'description', 'onFailure', 'deadline', 'activity', 'input', 'retry', 'timeout',
  'heartbeatTimeout', 'taskQueue', 'duration', 'until', 'event', 'onTimeout', 'default', 'pipeline',
  'parentClose', 'over', 'maxParallel', 'batchSize', 'local', 'neds',
];

/** A value for a field: often plausible, often not. */
const fieldValue = fc.oneof(
  hostileValue,
  duration,
  fc.constantFrom('activity', 'sleep', 'event', 'pipeline', 'map', 'fail', 'hold', 'skip', 'default', 'a', 'b', 'tapflowRecord'),
  fc.integer({ min: -2, max: 2000 }),
  fc.array(fc.constantFrom('a', 'b', 'c', 'a.x', 1, null), { maxLength: 4 }),
  retry,
);

/**
 * Values shaped like specs (the right field names, any values, nodes with ids from a small set
 * so that needs, duplicates and cycles happen), with child specs nested a few levels: they reach
 * the validator's inner checks, which random values seldom do.
 */
export const specShaped: fc.Arbitrary<unknown> = fc.letrec<{ spec: unknown; node: unknown }>((tie) => ({
  spec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileValue,
    fc.dictionary(fc.constantFrom(...SPEC_FIELDS, '__proto__', 'constructor'), fieldValue, { maxKeys: 7 }).chain((base) =>
      // Sparse arrays too: a hole is skipped by forEach, and once slipped past the validator.
      fc.oneof(fc.array(tie('node'), { maxLength: 8 }), fc.sparseArray(tie('node'), { maxLength: 8 })).map((nodes) => ({ name: 'p', ...base, nodes })),
    ),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    fc.dictionary(fc.constantFrom(...NODE_FIELDS, '__proto__'), fieldValue, { maxKeys: 6 }).chain((extra) =>
      fc
        .record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'a.x'), needs: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 3 }) }, { requiredKeys: [] })
        .chain((base) => fc.option(tie('spec'), { nil: undefined }).map((child) => ({ ...base, ...extra, ...(child === undefined ? {} : { pipeline: child }) }))),
    ),
    hostileValue,
  ),
})).spec;

/** A spec written out as JSON (pretty or compact) or YAML (block or flow style). */
export function specText(spec: PipelineSpec): fc.Arbitrary<{ text: string; source: string }> {
  return fc.constantFrom(
    { text: JSON.stringify(spec), source: 'spec.json' },
    { text: JSON.stringify(spec, null, 2), source: 'spec.json' },
    { text: stringify(spec), source: 'spec.yaml' },
    // A comment first: a text that starts with "{" is read as JSON, whatever the file's name.
    { text: `# flow style\n${stringify(spec, { collectionStyle: 'flow' })}`, source: 'spec.yaml' },
  );
}

/** One edit that breaks (or merely changes) a text: the kinds of damage hand-edited files get. */
const textEdit = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), what: fc.constantFrom(':', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '\n', '\t', '  ', '&a ', '*a', '!!binary ', '? ', '#', '---\n', '\u0000', '\ufeff', '\ud800') }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies edits to a text; positions wrap around its length. */
export function applyEdits(original: string, edits: ReadonlyArray<typeof textEdit extends fc.Arbitrary<infer E> ? E : never>): string {
  let out = original;
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    if (edit.op === 'delete') out = out.slice(0, at) + out.slice(at + edit.length);
    else if (edit.op === 'insert') out = out.slice(0, at) + edit.what + out.slice(at);
    else if (edit.op === 'duplicate') out = out.slice(0, at + edit.length) + out.slice(at, at + edit.length) + out.slice(at + edit.length);
    else out = out.slice(0, at);
  }
  return out;
}

/** A valid spec's text with a few edits applied. */
export const damagedSpecText = validSpec({ maxNodes: 5, childDepth: 1 })
  .chain(specText)
  .chain(({ text, source }) => fc.array(textEdit, { minLength: 1, maxLength: 4 }).map((edits) => ({ text: applyEdits(text, edits), source })));

/**
 * YAML that uses anchors and aliases, up to alias bombs ("billion laughs": each level aliases
 * the one before it `width` times), circular aliases and floods of anchors.
 */
export const aliasYaml = fc.oneof(
  fc.record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 12 }) }).map(({ levels, width }) => {
    const rows = ['name: bomb', 'l0: &l0 [x, x, x]'];
    for (let i = 1; i <= levels; i++) rows.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
    rows.push('nodes:', `  - { id: a, activity: act, input: *l${levels} }`);
    return `${rows.join('\n')}\n`;
  }),
  fc.constantFrom('a: &a [*a]\n', 'a: &a {b: *a}\n', 'nodes: &n\n  - id: a\n    kind: pipeline\n    pipeline: { name: c, nodes: *n }\nname: x\n', 'a: *nope\n', '&a a: *a\n'),
  fc.integer({ min: 1, max: 3000 }).map((n) => `name: many\nitems:\n${Array.from({ length: n }, (_, i) => `  - &a${i} x\n  - *a${i}\n`).join('')}`),
);

/** YAML and JSON nested deep: flow and block collections, compact sequences. */
export const deepText = fc.record({ depth: fc.integer({ min: 1, max: 6000 }), style: fc.constantFrom('flow', 'block', 'compact', 'json', 'map') }).map(({ depth, style }) => {
  switch (style) {
    case 'flow':
      return { text: `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, source: 'deep.yaml' };
    case 'block':
      return { text: `${Array.from({ length: Math.min(depth, 1200) }, (_, i) => `${' '.repeat(i)}- `).join('\n')}x\n`, source: 'deep.yaml' };
    case 'compact':
      return { text: `${'- '.repeat(depth)}x\n`, source: 'deep.yaml' };
    case 'map':
      return { text: `${Array.from({ length: Math.min(depth, 1200) }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} x\n`, source: 'deep.yaml' };
    default:
      return { text: `${'['.repeat(depth)}${']'.repeat(depth)}`, source: 'deep.json' };
  }
});
