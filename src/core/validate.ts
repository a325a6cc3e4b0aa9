/**
 * Spec validation: every problem, each with where it is, so a user fixes a spec in one pass.
 * Pure: no I/O (the workflow re-checks specs it is given).
 */
import { TapflowError } from './errors';
import { findCycle } from './graph';
import { parseDuration } from './duration';
import { checkKindFields, fieldsOfKind, kindOf } from './validate-kinds';
import { checkNodeExpressions } from './validate-expressions';
import { checkNotifyList } from './notify';
import { checkConcurrency } from './concurrency';
import { describe, isObject, isPositiveDuration, isPositiveInt, withArticle } from './value-checks';
import { DEFAULT_MAX_DEPTH, MAX_NODES, MAX_PIPELINE_DEPTH, RESERVED_ACTIVITIES, type NodeSpec, type PipelineSpec } from './types';

/** One thing wrong with a spec. `path` says where (`nodes[3].needs[0]`), empty for the whole. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** The outcome of {@link validateSpec}. */
export type ValidationResult =
  | { ok: true; spec: PipelineSpec; problems: [] }
  | { ok: false; problems: SpecProblem[] };

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_ID_LENGTH = 128;
const TOP_FIELDS = new Set(['name', 'description', 'maxParallel', 'defaults', 'nodes', 'deadline', 'maxDepth', 'notify', 'concurrency']);
const DEFAULT_FIELDS = new Set(['retry', 'timeout', 'heartbeatTimeout', 'taskQueue', 'onFailure', 'local']);
const RETRY_FIELDS = new Set([
  'maximumAttempts',
  'initialInterval',
  'backoffCoefficient',
  'maximumInterval',
  'nonRetryableErrorTypes',
]);

/** Formats a problem as one line: `nodes[3].needs[0]: unknown node "fech"`. */
export function formatProblem(p: SpecProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/**
 * Checks a parsed spec (any value) against the format documented in `docs/spec.md`.
 *
 * Reports unknown fields (a typo such as `neds` would otherwise be ignored silently), missing or
 * ill-typed fields, duplicate ids, unknown or repeated needs, self-dependency, cycles (as the path
 * that closes them), and bad retry, timeout and parallelism values.
 */
export function validateSpec(value: unknown, options: ValidateOptions = {}): ValidationResult {
  const problems: SpecProblem[] = [];
  const maxDepth = isObject(value) && isDepthLimit(value.maxDepth) ? value.maxDepth : DEFAULT_MAX_DEPTH;
  const rules: Rules = { maxDepth, expressions: options.expressions ?? true };
  checkSpec(value, '', 0, rules, (path, message) => problems.push({ path, message }));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, spec: value as unknown as PipelineSpec, problems: [] };
}

/** Options of {@link validateSpec}. */
export interface ValidateOptions {
  /**
   * Whether the spec may decide and wire data (`when`, `trigger`, `repeat`, `${{ }}` templates).
   * Default: true. The workflow turns it off for runs started before expressions existed, so their
   * specs replay as they were checked then: those fields unknown, templates taken as written.
   */
  expressions?: boolean;
}

/** What the checks of one spec and its children share. */
interface Rules {
  /** The top-level spec's nesting limit. */
  maxDepth: number;
  expressions: boolean;
}

/** Fields that exist only with expressions (see {@link ValidateOptions}). */
const EXPRESSION_FIELDS = ['when', 'trigger', 'repeat'];

/** Whether `v` is a `maxDepth` the format takes: a whole number from 1 to {@link MAX_PIPELINE_DEPTH}. */
function isDepthLimit(v: unknown): v is number {
  return isPositiveInt(v) && v <= MAX_PIPELINE_DEPTH;
}

/** Reports one problem at a path. */
type Add = (path: string, message: string) => void;

/**
 * Checks one spec; a `pipeline` node's inline spec is checked by a nested call, its problems
 * prefixed with the node's path (`nodes[2].pipeline.nodes[0].activity`).
 */
function checkSpec(value: unknown, prefix: string, depth: number, rules: Rules, addAt: Add): void {
  const add: Add = (path, message) => addAt(prefix && path ? `${prefix}.${path}` : prefix || path, message);
  checkSpecBody(value, depth, rules, add, (path, child) =>
    checkSpec(child, prefix ? `${prefix}.${path}` : path, depth + 1, rules, addAt),
  );
}

function checkSpecBody(
  value: unknown,
  depth: number,
  rules: Rules,
  add: Add,
  checkChild: (path: string, child: unknown) => void,
): void {
  const { maxDepth } = rules;
  if (!isObject(value)) {
    add('', `a spec must be an object with "name" and "nodes", got ${describe(value)}`);
    return;
  }
  unknownFields(value, TOP_FIELDS, '', add);
  if (value.name === undefined) add('name', 'missing: every pipeline needs a name');
  else if (typeof value.name !== 'string' || value.name.trim() === '') add('name', 'must be a non-empty string');
  if (value.description !== undefined && typeof value.description !== 'string') {
    add('description', 'must be a string');
  }
  if (value.maxParallel !== undefined && !isPositiveInt(value.maxParallel)) {
    add('maxParallel', `must be a whole number of at least 1, got ${describe(value.maxParallel)}`);
  }
  if (value.deadline !== undefined && !isPositiveDuration(value.deadline)) {
    add('deadline', `${describe(value.deadline)} is not a positive duration; use e.g. "30m" or "2h"`);
  }
  if (value.maxDepth !== undefined && !isDepthLimit(value.maxDepth)) {
    add('maxDepth', `must be a whole number from 1 to ${MAX_PIPELINE_DEPTH}, got ${describe(value.maxDepth)}`);
  }
  if (value.notify !== undefined) checkNotifyList(value.notify, 'notify', add);
  if (value.concurrency !== undefined) checkConcurrency(value.concurrency, 'concurrency', rules.expressions, add);
  if (value.defaults !== undefined) {
    if (!isObject(value.defaults)) add('defaults', 'must be an object');
    else {
      unknownFields(value.defaults, DEFAULT_FIELDS, 'defaults', add);
      checkNodeOptions(value.defaults, 'defaults', add);
      checkIntervals(value.defaults.retry, undefined, 'defaults', add);
    }
  }

  const nodes = value.nodes;
  if (nodes === undefined) {
    add('nodes', 'missing: a pipeline needs at least one node');
    return;
  }
  if (!Array.isArray(nodes)) {
    add('nodes', `must be an array of nodes, got ${describe(nodes)}`);
    return;
  }
  if (nodes.length === 0) add('nodes', 'must hold at least one node');
  if (nodes.length > MAX_NODES) add('nodes', `holds ${nodes.length} nodes; one run takes at most ${MAX_NODES}`);

  const firstIndexOf = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (isObject(node) && typeof node.id === 'string' && !firstIndexOf.has(node.id)) firstIndexOf.set(node.id, i);
  });

  // Spread, so a hole in a sparse array is checked as `undefined` rather than skipped.
  [...nodes].forEach((node: unknown, i) => {
    const at = `nodes[${i}]`;
    if (!isObject(node)) {
      add(at, `must be an object, got ${describe(node)}`);
      return;
    }
    const kind = kindOf(node.kind);
    if (kind === undefined) {
      add(`${at}.kind`, `unknown kind ${describe(node.kind)}; expected one of "activity", "sleep", "event", "pipeline", "map"`);
    } else {
      unknownFields(node, fieldsOfKind(kind), at, add, kind);
    }
    const id = node.id;
    if (id === undefined) add(`${at}.id`, 'missing: every node needs an id');
    else if (typeof id !== 'string') add(`${at}.id`, `must be a string, got ${describe(id)}`);
    else if (!ID_PATTERN.test(id) || id.length > MAX_ID_LENGTH) {
      add(`${at}.id`, `"${id}" is not a valid id: use letters, digits, "_", "-" and ".", starting with a letter or digit`);
    } else if (firstIndexOf.get(id) !== i) {
      add(`${at}.id`, `duplicate id "${id}" (first used by nodes[${firstIndexOf.get(id)}])`);
    }
    const reserved = typeof node.activity === 'string' ? RESERVED_ACTIVITIES.get(node.activity) : undefined;
    if (reserved !== undefined) {
      add(`${at}.activity`, `"${node.activity}" is reserved: ${reserved}`);
    }
    if (kind !== undefined) {
      checkKindFields(node, kind, at, add, {
        depth,
        maxDepth,
        expressions: rules.expressions,
        checkChild: (child) => checkChild(`${at}.pipeline`, child),
      });
      if (rules.expressions) checkNodeExpressions(node, kind, at, add);
      else for (const field of EXPRESSION_FIELDS) if (field in node) add(`${at}.${field}`, 'unknown field');
    }
    if (node.description !== undefined && typeof node.description !== 'string') {
      add(`${at}.description`, 'must be a string');
    }

    if (node.needs !== undefined) {
      if (!Array.isArray(node.needs)) add(`${at}.needs`, `must be an array of node ids, got ${describe(node.needs)}`);
      else {
        const seen = new Set<string>();
        [...node.needs].forEach((need: unknown, j: number) => {
          const where = `${at}.needs[${j}]`;
          if (typeof need !== 'string') add(where, `must be a node id (string), got ${describe(need)}`);
          else if (need === id) add(where, `node "${need}" cannot need itself`);
          else if (!firstIndexOf.has(need)) add(where, `unknown node "${need}"`);
          else if (seen.has(need)) add(where, `"${need}" is listed twice`);
          if (typeof need === 'string') seen.add(need);
        });
      }
    }
    checkNodeOptions(node, at, add);
    if (kind === 'activity') checkLocalStep(node, isObject(value.defaults) ? value.defaults : {}, at, add);
    const defaults = isObject(value.defaults) ? value.defaults.retry : undefined;
    checkIntervals(node.retry, defaults, at, add);
  });

  // A cycle is only meaningful among well-formed nodes with unique ids.
  const graphNodes = nodes
    .filter((n, i): n is Record<string, unknown> => isObject(n) && typeof n.id === 'string' && firstIndexOf.get(n.id) === i)
    .map((n) => ({
      id: n.id as string,
      needs: Array.isArray(n.needs) ? n.needs.filter((x: unknown): x is string => typeof x === 'string' && x !== n.id) : [],
    }));
  const cycle = findCycle(graphNodes);
  if (cycle) add('cycle', cycle.join(' -> '));
}

/**
 * Validates and returns the spec, or throws one error listing every problem.
 *
 * @throws {InvalidSpecError} when the spec has problems.
 */
export function assertValidSpec(value: unknown): PipelineSpec {
  const result = validateSpec(value);
  if (!result.ok) throw new InvalidSpecError(result.problems);
  return result.spec;
}

/** A spec that failed validation; `problems` lists every problem found. */
export class InvalidSpecError extends TapflowError {
  readonly code = 'invalid_spec';

  constructor(public readonly problems: SpecProblem[]) {
    super(`invalid pipeline spec: ${problems.map(formatProblem).join('; ')}`);
  }
}

function checkNodeOptions(
  node: Record<string, unknown>,
  at: string,
  add: (path: string, message: string) => void,
): void {
  for (const field of ['timeout', 'heartbeatTimeout'] as const) {
    if (node[field] !== undefined && parseDuration(node[field] as string) === undefined) {
      add(`${at}.${field}`, `${describe(node[field])} is not a duration; use e.g. "30s", "2m", "1h30m" or milliseconds`);
    }
  }
  if (node.onFailure !== undefined && node.onFailure !== 'fail' && node.onFailure !== 'hold') {
    add(`${at}.onFailure`, `must be "fail" or "hold", got ${describe(node.onFailure)}`);
  }
  if (node.taskQueue !== undefined && (typeof node.taskQueue !== 'string' || node.taskQueue === '')) {
    add(`${at}.taskQueue`, 'must be a non-empty string');
  }
  if (node.local !== undefined && typeof node.local !== 'boolean') add(`${at}.local`, `must be true or false, got ${describe(node.local)}`);
  if (node.retry === undefined) return;
  const where = `${at}.retry`;
  const retry = node.retry;
  if (!isObject(retry)) {
    add(where, `must be an object, got ${describe(retry)}`);
    return;
  }
  unknownFields(retry, RETRY_FIELDS, where, add);
  if (retry.maximumAttempts !== undefined && !isPositiveInt(retry.maximumAttempts)) {
    add(`${where}.maximumAttempts`, `must be a whole number of at least 1, got ${describe(retry.maximumAttempts)}`);
  }
  if (
    retry.backoffCoefficient !== undefined &&
    (typeof retry.backoffCoefficient !== 'number' || !(retry.backoffCoefficient >= 1) || !Number.isFinite(retry.backoffCoefficient))
  ) {
    add(`${where}.backoffCoefficient`, `must be a number of at least 1, got ${describe(retry.backoffCoefficient)}`);
  }
  for (const field of ['initialInterval', 'maximumInterval'] as const) {
    if (retry[field] !== undefined && parseDuration(retry[field] as string) === undefined) {
      add(`${where}.${field}`, `${describe(retry[field])} is not a duration; use e.g. "1s" or "2m"`);
    }
  }
  if (retry.nonRetryableErrorTypes !== undefined) {
    const types = retry.nonRetryableErrorTypes;
    if (!Array.isArray(types) || [...types].some((t) => typeof t !== 'string' || t === '')) {
      add(`${where}.nonRetryableErrorTypes`, 'must be an array of error type names');
    }
  }
}

/**
 * An activity node that runs as a local step (its own `local`, else the defaults') runs on the
 * worker running the run and cannot heartbeat: a task queue or a heartbeat timeout in effect for
 * it (its own or the defaults') is refused here, rather than ignored when it runs.
 */
function checkLocalStep(
  node: Record<string, unknown>,
  defaults: Record<string, unknown>,
  at: string,
  add: (path: string, message: string) => void,
): void {
  const local = node.local ?? defaults.local;
  if (local !== true) return;
  const where = node.local === true ? `${at}.local` : `${at} (local from defaults)`;
  const queue = node.taskQueue ?? defaults.taskQueue;
  if (queue !== undefined) {
    const from = node.taskQueue === undefined ? ' (from defaults)' : '';
    add(where, `a local step runs on the worker that runs the run, so it cannot have a taskQueue${from}: drop taskQueue, or set local: false on this node`);
  }
  const heartbeat = node.heartbeatTimeout ?? defaults.heartbeatTimeout;
  if (heartbeat !== undefined) {
    const from = node.heartbeatTimeout === undefined ? ' (from defaults)' : '';
    add(where, `a local step cannot heartbeat, so it takes no heartbeatTimeout${from}: drop it, or set local: false on this node`);
  }
}

/**
 * The retry intervals in effect for a node (its own, else the defaults', else 1s initial) must
 * not have the cap below the first wait: Temporal would refuse them only once the node runs.
 */
function checkIntervals(
  retry: unknown,
  defaults: unknown,
  at: string,
  add: (path: string, message: string) => void,
): void {
  const own = isObject(retry) ? retry : {};
  const inherited = isObject(defaults) ? defaults : {};
  // A node that sets neither interval inherits the defaults', which are checked on their own.
  if (at !== 'defaults' && own.initialInterval === undefined && own.maximumInterval === undefined) return;
  const initialSpec = own.initialInterval ?? inherited.initialInterval ?? '1s';
  const maximumSpec = own.maximumInterval ?? inherited.maximumInterval;
  if (maximumSpec === undefined) return;
  const initial = parseDuration(initialSpec as string);
  const maximum = parseDuration(maximumSpec as string);
  if (initial === undefined || maximum === undefined || maximum >= initial) return;
  if (own.maximumInterval === undefined) {
    add(`${at}.retry.initialInterval`, `must not be longer than the maximumInterval in defaults (${String(maximumSpec)})`);
  } else if (own.initialInterval !== undefined) {
    add(`${at}.retry.maximumInterval`, 'must not be shorter than initialInterval');
  } else if (inherited.initialInterval !== undefined && at !== 'defaults') {
    add(`${at}.retry.maximumInterval`, `must not be shorter than the initialInterval in defaults (${String(initialSpec)})`);
  } else {
    add(`${at}.retry.maximumInterval`, 'must not be shorter than the default initialInterval (1s)');
  }
}

/** Unknown fields reported one by one in one object; the rest are counted in one line. */
const MAX_UNKNOWN_FIELDS_REPORTED = 20;

function unknownFields(
  obj: Record<string, unknown>,
  known: ReadonlySet<string>,
  at: string,
  add: (path: string, message: string) => void,
  kind?: string,
): void {
  let reported = 0;
  for (const key of Object.keys(obj)) {
    if (known.has(key)) continue;
    const where = at ? `${at}.${key}` : key;
    if (reported === MAX_UNKNOWN_FIELDS_REPORTED) {
      // Each one costs a "did you mean" search: an object of thousands of keys (a string's
      // characters, say) is reported in bounded time.
      const more = Object.keys(obj).filter((k) => !known.has(k)).length - reported;
      add(at || 'spec', `and ${more} more unknown field${more === 1 ? '' : 's'}`);
      return;
    }
    reported += 1;
    const otherKind = kind === undefined ? undefined : kindsWithField(key);
    if (otherKind) {
      add(where, `does not apply to ${withArticle(kind as string)} node (it belongs to ${otherKind} nodes)`);
      continue;
    }
    const near = closest(key, known);
    add(where, `unknown field${near ? `; did you mean "${near}"?` : ''}`);
  }
}

function kindsWithField(field: string): string | undefined {
  const kinds = (['activity', 'sleep', 'event', 'pipeline', 'map'] as const).filter((k) => fieldsOfKind(k).has(field));
  return kinds.length > 0 ? kinds.join(' and ') : undefined;
}



/** The known name within edit distance 2 of `word`, if any: turns typos into hints. */
function closest(word: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Narrowing helper for callers that hold a validated spec's nodes. */
export function nodeById(spec: PipelineSpec): Map<string, NodeSpec> {
  return new Map(spec.nodes.map((n) => [n.id, n]));
}
