/**
 * Concurrency limits across runs: checking a spec's `concurrency`, resolving its key for a run,
 * and naming the coordinator workflow that counts the slots of a key. Pure: the workflow and
 * validation both use it.
 */
import { expressionEngine } from './expressions/load-expressions';
import { holdsTemplates, parseTemplate, resolveTemplates } from './expressions/templates';
import { MAX_CONCURRENCY_KEY_LENGTH, MAX_CONCURRENCY_LIMIT, type ConcurrencySpec, type PipelineSpec } from './types';
import { describe, isObject, isPositiveInt } from './value-checks';

/** The variables a key's template may read: the run's input only (it is resolved at start). */
export const CONCURRENCY_KEY_VARIABLES = ['params'] as const;

const FIELDS = new Set(['key', 'limit']);

/**
 * Checks a `concurrency` value, reporting each problem at its path (`concurrency.limit: ...`).
 *
 * @param expressions whether `${{ }}` in the key is a template (else the key is taken as written).
 */
export function checkConcurrency(value: unknown, at: string, expressions: boolean, add: (path: string, message: string) => void): void {
  if (!isObject(value)) {
    add(at, `must be an object with "key" and "limit", e.g. { "key": "\${{ params.tenant }}", "limit": 2 }, got ${describe(value)}`);
    return;
  }
  for (const field of Object.keys(value)) if (!FIELDS.has(field)) add(`${at}.${field}`, 'unknown field; a concurrency limit takes "key" and "limit"');
  const { key, limit } = value;
  if (key === undefined) add(`${at}.key`, 'missing: what the limit counts over (a name, or a template over params)');
  else if (typeof key !== 'string' || key.trim() === '') add(`${at}.key`, `must be a non-empty string, got ${describe(key)}`);
  else if (key.length > MAX_CONCURRENCY_KEY_LENGTH) add(`${at}.key`, `at most ${MAX_CONCURRENCY_KEY_LENGTH} characters, got ${key.length}`);
  else if (expressions && holdsTemplates(key)) {
    const parsed = parseTemplate(key);
    if (!parsed.ok) add(`${at}.key`, parsed.problem);
    else {
      for (const part of parsed.parts) {
        if (!('expression' in part)) continue;
        const check = expressionEngine().checkExpression(part.expression, { variables: CONCURRENCY_KEY_VARIABLES, needs: [] });
        if (!check.ok) add(`${at}.key`, check.problem);
      }
    }
  }
  if (limit === undefined) add(`${at}.limit`, 'missing: how many at once');
  else if (!isPositiveInt(limit) || limit > MAX_CONCURRENCY_LIMIT) {
    add(`${at}.limit`, `must be a whole number from 1 to ${MAX_CONCURRENCY_LIMIT}, got ${describe(limit)}`);
  }
}

/**
 * The key of a run's concurrency limit: the spec's key with its templates resolved over the run's
 * `params`; a value that is not a string becomes its JSON text.
 *
 * @returns the key, or why it cannot be had (a missing parameter, an empty or too long key).
 */
export function resolveConcurrencyKey(spec: ConcurrencySpec, params: unknown, at = 'concurrency'): { ok: true; key: string } | { ok: false; error: string } {
  let value: unknown = spec.key;
  if (holdsTemplates(spec.key)) {
    const scope = { variables: CONCURRENCY_KEY_VARIABLES, needs: [] };
    try {
      value = resolveTemplates(spec.key, `${at}.key`, (expression) => {
        const result = expressionEngine().evaluateExpression(expression, scope, { params });
        if (!result.ok) throw new Error(result.error);
        return result.value;
      });
    } catch (err) {
      // The message names where: `concurrency.key: ...`.
      return { ok: false, error: (err as Error).message };
    }
  }
  const key = typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
  if (key.trim() === '') return { ok: false, error: `${at}.key: ${spec.key} gave an empty key` };
  if (key.length > MAX_CONCURRENCY_KEY_LENGTH) return { ok: false, error: `${at}.key: ${spec.key} gave a key of ${key.length} characters (at most ${MAX_CONCURRENCY_KEY_LENGTH})` };
  return { ok: true, key };
}

/** What a key counts: runs (a pipeline's `concurrency`) or nodes (a node's); each has its own keys. */
export type ConcurrencyScope = 'runs' | 'nodes';

/** The workflow id of the coordinator that counts the slots of `key` in `scope`. */
export function concurrencyCoordinatorId(scope: ConcurrencyScope, key: string): string {
  return `tapflow-concurrency/${scope}/${key}`;
}

/** The holder name a run takes a slot under: its workflow id (the same across continue-as-new). */
export function runSlotHolder(workflowId: string): string {
  return `run:${workflowId}`;
}

/** The holder name of one start of a node (`n` counts the run's node slots, so a later start is another holder). */
export function nodeSlotHolder(workflowId: string, nodeId: string, n: number): string {
  return `node:${workflowId}/${nodeId}#${n}`;
}

/**
 * The state a run starts in, as its start sets `TapflowState`: `queued` when its spec limits its
 * concurrency (it waits for a slot before anything starts), else `running`.
 */
export function initialRunState(spec: Pick<PipelineSpec, 'concurrency'>): 'queued' | 'running' {
  return spec.concurrency === undefined ? 'running' : 'queued';
}
