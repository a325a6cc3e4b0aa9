/**
 * A run's metadata (`meta` of the workflow's argument) from a start's options, checked: shared by
 * a start (`TapflowClient.startRun`) and a schedule, whose runs carry the same metadata. Pure.
 */
import { parseDuration } from '../core/duration';
import { UsageError } from '../core/errors';
import { checkRunId, checkRunLabels } from '../core/run-text';
import type { DurationSpec } from '../core/types';
import { LOWEST_PRIORITY, type RunMeta } from '../workflows/definitions';
import { checkIdempotencyKey } from './idempotency';

/** The options a run's metadata is made from (a start's options have them all; see `StartRunOptions`). */
export interface RunMetaOptions {
  id?: string;
  tags?: readonly string[];
  groups?: readonly string[];
  user?: string;
  site?: string;
  event?: unknown;
  priority?: number;
  timeout?: DurationSpec;
  deadline?: DurationSpec;
  onFailure?: 'fail' | 'hold';
  pipelineVersion?: number;
  idempotencyKey?: string;
}

/**
 * The run's metadata from the start options, checked. Call it to check options before
 * connecting; `TapflowClient.startRun` calls it too.
 *
 * @throws {UsageError} on a run id or label that is too long or holds control characters (see
 *   `run-text.ts`), a priority outside 1-5, a timeout that is not a positive duration, or an
 *   idempotency key that is empty, too long or holds whitespace or control characters.
 */
export function runMeta(options: RunMetaOptions): RunMeta {
  if (options.id !== undefined) checkRunId(options.id);
  checkRunLabels(options);
  const meta: RunMeta = { createdAt: new Date().toISOString() };
  if (options.tags?.length) meta.tags = [...new Set(options.tags)];
  if (options.groups?.length) meta.groups = [...new Set(options.groups)];
  if (options.user) meta.user = options.user;
  if (options.site) meta.site = options.site;
  if (options.event !== undefined) meta.event = options.event;
  if (options.priority !== undefined) {
    const p = options.priority;
    if (!Number.isInteger(p) || p < 1 || p > LOWEST_PRIORITY) {
      throw new UsageError(`priority must be a whole number from 1 (first) to ${LOWEST_PRIORITY} (last), got ${String(p)}`);
    }
    meta.priority = p;
  }
  if (options.timeout !== undefined) {
    const ms = parseDuration(options.timeout);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(`timeout must be a positive duration such as "90s" or "2h", got ${JSON.stringify(options.timeout)}`);
    }
    meta.timeout = options.timeout;
  }
  if (options.idempotencyKey !== undefined) meta.idempotencyKey = checkIdempotencyKey(options.idempotencyKey);
  if (options.pipelineVersion !== undefined) meta.pipelineVersion = options.pipelineVersion;
  if (options.deadline !== undefined) {
    const ms = parseDuration(options.deadline);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(`deadline must be a positive duration such as "30m" or "2h", got ${JSON.stringify(options.deadline)}`);
    }
    meta.deadline = options.deadline;
  }
  if (options.onFailure !== undefined) {
    if (options.onFailure !== 'fail' && options.onFailure !== 'hold') {
      throw new UsageError(`on-failure must be "fail" or "hold", got ${JSON.stringify(options.onFailure)}`);
    }
    meta.onFailure = options.onFailure;
  }
  return meta;
}
