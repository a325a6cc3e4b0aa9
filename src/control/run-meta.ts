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

/** What a run's metadata is made from: part of a start's options (`StartRunOptions`), and a schedule's. */
export interface RunMetaOptions {
  /** The run id (workflow id). Default: `<pipeline>-<uuid>`. */
  id?: string;
  /** Labels to find the run by in the store (`tapflow runs search --tag`). */
  tags?: readonly string[];
  /** Working groups the run belongs to. */
  groups?: readonly string[];
  /** Who starts it (recorded). Default: none; the command line gives `--user` or the OS user. */
  user?: string;
  /** Where it runs or is meant to run (recorded). */
  site?: string;
  /** What the run is about (event numbers, a ticket), any JSON (recorded). */
  event?: unknown;
  /**
   * Temporal task priority: 1 (taken first) to 5 (taken last); default 3. The run's nodes
   * inherit it, so on a backlogged task queue a higher-priority run's nodes go first.
   */
  priority?: number;
  /**
   * Longest the whole run may take (`"2h"`, or milliseconds). When it passes, its nodes are
   * cancelled and the run fails (type `TapflowRunTimedOut`), and that is recorded. Default: no limit.
   */
  timeout?: DurationSpec;
  /**
   * Longest the run may take counting only time it is not paused (overrides the spec's
   * `deadline`); then it fails with type `TapflowDeadlineExceeded`. Default: the spec's, else none.
   */
  deadline?: DurationSpec;
  /**
   * What a node's failure does when the node does not say (`onFailure`): `hold` keeps the run
   * for an operator. Overrides the spec's `defaults.onFailure`. Default: the spec's, else `fail`.
   */
  onFailure?: 'fail' | 'hold';
  /** The registered version the spec is (set by `TapflowClient.startPipeline`); recorded with the run. */
  pipelineVersion?: number;
  /**
   * Start the run at most once for this key: a second start with the same key returns the first
   * run (`existing: true`) and starts nothing: while Temporal has the run, and, with the client's
   * `store`, for as long as the store keeps it. 1-200 characters, no whitespace or control
   * characters. The run id is `<pipeline>-<key>` unless `id` is given. Default: none (every start
   * starts a run).
   */
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
