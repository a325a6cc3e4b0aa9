/**
 * The paging cursor of `tapflow runs search`: where the previous page ended (the last run's
 * creation time and workflow id), as an opaque URL-safe string. The store keeps creation times
 * to the millisecond, so the cursor carries them exactly and pages neither skip nor repeat a run.
 * Pure.
 */
import { UsageError } from '../core/errors';
import type { RunRecord } from './types';

/** Where a page of runs ended: what `searchRuns` takes as `after`. */
export type RunCursor = Pick<RunRecord, 'createdAt' | 'workflowId'>;

/** The cursor that continues after `run`. */
export function encodeRunCursor(run: RunCursor): string {
  return Buffer.from(JSON.stringify([run.createdAt.toISOString(), run.workflowId]), 'utf8').toString('base64url');
}

/**
 * Reads a cursor that {@link encodeRunCursor} made.
 *
 * @param flag the flag's name, for the message.
 * @throws {UsageError} when `value` is not such a cursor.
 */
export function decodeRunCursor(flag: string, value: string): RunCursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
    const createdAt = new Date(parsed[0]);
    if (!Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === parsed[0]) {
      return { createdAt, workflowId: parsed[1] };
    }
  }
  throw new UsageError(`${flag}: "${value}" is not a cursor; pass the "next" value a previous tapflow runs search printed`);
}
