/**
 * The fields each node kind takes and the checks particular to each kind (the part of spec
 * validation that differs between `activity`, `sleep`, `event`, `pipeline` and `map` nodes).
 * Pure.
 */
import { parseDuration } from './duration';
import { MAX_MAP_BATCH_SIZE, NODE_KINDS, type NodeKind } from './types';
import { describe, isObject, isPositiveDuration, isPositiveInt } from './value-checks';
import { isTemplateText } from './expressions/templates';
import { checkConcurrency } from './concurrency';

/** Fields every node takes, whatever its kind. */
const COMMON_FIELDS = ['id', 'kind', 'needs', 'description', 'onFailure', 'deadline', 'when', 'trigger'];
/** Fields that configure how an activity is called. */
const ACTIVITY_OPTIONS = ['retry', 'timeout', 'heartbeatTimeout', 'taskQueue'];

const FIELDS: Record<NodeKind, ReadonlySet<string>> = {
  activity: new Set([...COMMON_FIELDS, 'activity', 'input', 'concurrency', 'local', ...ACTIVITY_OPTIONS]),
  sleep: new Set([...COMMON_FIELDS, 'duration', 'until']),
  event: new Set([...COMMON_FIELDS, 'event', 'timeout', 'onTimeout', 'default']),
  pipeline: new Set([...COMMON_FIELDS, 'pipeline', 'input', 'taskQueue', 'parentClose', 'repeat', 'concurrency']),
  map: new Set([...COMMON_FIELDS, 'over', 'activity', 'pipeline', 'input', 'maxParallel', 'batchSize', 'parentClose', 'concurrency', ...ACTIVITY_OPTIONS]),
};

/** An event name: like a node id, and `:` is allowed too (`review:legal`). */
const EVENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** An absolute time: ISO-8601 with seconds optional and a zone (`Z` or `+02:00`). */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The node's kind, `activity` when the field is absent, `undefined` when it is not a kind. */
export function kindOf(kind: unknown): NodeKind | undefined {
  if (kind === undefined) return 'activity';
  return typeof kind === 'string' && (NODE_KINDS as readonly string[]).includes(kind) ? (kind as NodeKind) : undefined;
}

/** The fields a node of `kind` takes. */
export function fieldsOfKind(kind: NodeKind): ReadonlySet<string> {
  return FIELDS[kind];
}

/** What the kind checks need from the spec around the node. */
export interface KindContext {
  /** How deep the spec holding the node is nested (0 for the top-level spec). */
  depth: number;
  /** The top-level spec's nesting limit. */
  maxDepth: number;
  /** Whether expressions are read (see `ValidateOptions`): then `over` may be one. */
  expressions: boolean;
  /** Checks an inline child spec (problems are reported under the node's `pipeline` path). */
  checkChild: (child: unknown) => void;
}

/** Reports the problems of the fields particular to the node's kind. */
export function checkKindFields(
  node: Record<string, unknown>,
  kind: NodeKind,
  at: string,
  add: (path: string, message: string) => void,
  context: KindContext,
): void {
  if (node.concurrency !== undefined && FIELDS[kind].has('concurrency')) checkConcurrency(node.concurrency, `${at}.concurrency`, context.expressions, add);
  if (node.deadline !== undefined && !isPositiveDuration(node.deadline)) {
    add(`${at}.deadline`, `${describe(node.deadline)} is not a positive duration; use e.g. "30m" or "2h"`);
  }
  switch (kind) {
    case 'activity':
      checkActivityName(node, at, add, 'an activity node must name its activity');
      return;
    case 'sleep':
      checkSleep(node, at, add);
      return;
    case 'event':
      checkEvent(node, at, add);
      return;
    case 'pipeline':
      checkChildSpec(node, at, add, context, true);
      return;
    case 'map':
      checkMap(node, at, add, context);
      return;
  }
}

function checkActivityName(
  node: Record<string, unknown>,
  at: string,
  add: (path: string, message: string) => void,
  missing: string,
): void {
  if (node.activity === undefined) add(`${at}.activity`, `missing: ${missing}`);
  else if (typeof node.activity !== 'string' || node.activity.trim() === '') {
    add(`${at}.activity`, `must be a non-empty string, got ${describe(node.activity)}`);
  }
}

function checkSleep(node: Record<string, unknown>, at: string, add: (path: string, message: string) => void): void {
  const hasDuration = node.duration !== undefined;
  const hasUntil = node.until !== undefined;
  if (hasDuration === hasUntil) {
    add(at, hasDuration ? 'a sleep node takes "duration" or "until", not both' : 'missing: a sleep node needs "duration" or "until"');
  }
  if (hasDuration && parseDuration(node.duration as string) === undefined) {
    add(`${at}.duration`, `${describe(node.duration)} is not a duration; use e.g. "30s", "2h" or milliseconds`);
  }
  if (hasUntil) {
    const until = node.until;
    if (typeof until !== 'string' || !isInstant(until)) {
      add(`${at}.until`, `${describe(until)} is not a time; use ISO-8601 with a zone, e.g. "2026-12-01T09:00:00Z"`);
    }
  }
}

/** Whether `text` is an ISO-8601 time with a zone that names a real day and time (no February 30). */
function isInstant(text: string): boolean {
  const m = INSTANT_PATTERN.exec(text);
  if (!m || Number.isNaN(Date.parse(text))) return false;
  const [year, month, day, hour, minute] = text.slice(0, 16).split(/[-T:]/).map(Number) as [number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59;
}

function checkEvent(node: Record<string, unknown>, at: string, add: (path: string, message: string) => void): void {
  if (node.event === undefined) add(`${at}.event`, 'missing: an event node must name the event it waits for');
  else if (typeof node.event !== 'string' || !EVENT_PATTERN.test(node.event)) {
    add(`${at}.event`, `${describe(node.event)} is not a valid event name: use letters, digits, "_", "-", "." and ":"`);
  }
  const onTimeout = node.onTimeout;
  if (onTimeout !== undefined && onTimeout !== 'fail' && onTimeout !== 'skip' && onTimeout !== 'default') {
    add(`${at}.onTimeout`, `must be "fail", "skip" or "default", got ${describe(onTimeout)}`);
  }
  if (onTimeout !== undefined && node.timeout === undefined) {
    add(`${at}.onTimeout`, 'applies only with a "timeout"');
  }
  if (onTimeout === 'default' && !('default' in node)) {
    add(`${at}.default`, 'missing: onTimeout "default" needs the output to take');
  }
  if (node.default !== undefined && onTimeout !== 'default') {
    add(`${at}.default`, 'is used only with onTimeout "default"');
  }
}

function checkChildSpec(
  node: Record<string, unknown>,
  at: string,
  add: (path: string, message: string) => void,
  context: KindContext,
  required: boolean,
): void {
  const child = node.pipeline;
  if (child === undefined) {
    if (required) add(`${at}.pipeline`, 'missing: a pipeline node needs the child spec');
    return;
  }
  if (typeof child === 'string') {
    add(
      `${at}.pipeline`,
      `"${child}" is a file reference: tapflow start and validate inline it from the spec's folder; a spec given to the client must hold the child spec itself`,
    );
    return;
  }
  if (!isObject(child)) {
    add(`${at}.pipeline`, `must be a pipeline spec (an object with "name" and "nodes"), got ${describe(child)}`);
    return;
  }
  if (context.depth + 1 > context.maxDepth) {
    add(`${at}.pipeline`, `child pipelines nest more than ${context.maxDepth} deep (maxDepth); flatten the spec or raise maxDepth`);
    return;
  }
  context.checkChild(child);
  const policy = node.parentClose;
  if (policy !== undefined && policy !== 'cancel' && policy !== 'terminate' && policy !== 'abandon') {
    add(`${at}.parentClose`, `must be "cancel", "terminate" or "abandon", got ${describe(policy)}`);
  }
}

function checkMap(
  node: Record<string, unknown>,
  at: string,
  add: (path: string, message: string) => void,
  context: KindContext,
): void {
  const over = node.over;
  if (over === undefined) add(`${at}.over`, 'missing: a map node names the upstream node whose output holds the items');
  else if (typeof over !== 'string' || over === '') add(`${at}.over`, `must be a node id or a dotted path, got ${describe(over)}`);
  else if (context.expressions && isTemplateText(over)) {
    // An expression: checked with the node's other expressions.
  } else {
    const source = over.split('.')[0] as string;
    const needs = Array.isArray(node.needs) ? node.needs : [];
    if (!needs.includes(source)) add(`${at}.over`, `"${source}" must be one of the node's needs`);
  }
  const hasActivity = node.activity !== undefined;
  const hasPipeline = node.pipeline !== undefined;
  if (hasActivity === hasPipeline) {
    add(at, hasActivity ? 'a map node runs an "activity" or a "pipeline", not both' : 'missing: a map node needs an "activity" or a "pipeline" to run per item');
  } else if (hasActivity) {
    checkActivityName(node, at, add, 'a map node must name its activity');
  } else {
    checkChildSpec(node, at, add, context, true);
  }
  if (node.maxParallel !== undefined && !isPositiveInt(node.maxParallel)) {
    add(`${at}.maxParallel`, `must be a whole number of at least 1, got ${describe(node.maxParallel)}`);
  }
  const batch = node.batchSize;
  if (batch !== undefined) {
    if (!isPositiveInt(batch) || (batch as number) > MAX_MAP_BATCH_SIZE) {
      add(`${at}.batchSize`, `must be a whole number from 1 to ${MAX_MAP_BATCH_SIZE}, got ${describe(batch)}`);
    } else if (hasPipeline && !hasActivity) {
      add(`${at}.batchSize`, 'batches are for a map that runs an activity; each child pipeline is a run of its own');
    }
  }
}
