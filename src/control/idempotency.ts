/**
 * Starting a run once per idempotency key (`tapflow start --idempotency-key K`): a second start
 * with the same key returns the first run and starts nothing.
 *
 * Terminology
 * - **idempotency key**: a caller's name for one start request (an order number, a webhook's
 *   delivery id). 1 to {@link MAX_IDEMPOTENCY_KEY_LENGTH} characters, no whitespace or control
 *   characters. Scoped to the pipeline: the run id is `<pipeline>-<key>` unless `--id` is given.
 * - **request hash**: a hash of the spec and the input ({@link requestHash}), kept in the run's
 *   memo ({@link REQUEST_MEMO}); a key that comes back with another hash is a conflict, not a
 *   repeat.
 * - **start id**: a random id each start attempt puts in the memo too, so the attempt can tell
 *   whether the run Temporal returned is the one it started or one that was already there: the
 *   start response of `@temporalio/client` 1.24 does not say (the server's `started` flag is
 *   dropped), and timing cannot.
 *
 * How Temporal does the deduplication: the start uses `workflowIdConflictPolicy: USE_EXISTING`
 * (a running run with the id is returned, never a second one, even when two starts race) and
 * `workflowIdReusePolicy: REJECT_DUPLICATE` (a closed run Temporal still keeps makes the start
 * fail with `WorkflowExecutionAlreadyStartedError`, and that run is returned). Once Temporal has
 * forgotten a run, only the store still knows the key: the command line looks there first.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { IdempotencyConflictError, RunAlreadyExistsError, UsageError } from '../core/errors';

/** Longest idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** The memo field a run started with an idempotency key carries ({@link StartRequestMemo}). */
export const REQUEST_MEMO = 'tapflowRequest';

/** What {@link REQUEST_MEMO} holds. */
export interface StartRequestMemo {
  /** The key the run was started with. */
  idempotencyKey: string;
  /** {@link requestHash} of the spec and input it was started with. */
  hash: string;
  /** The start attempt that created the run (see the module comment). */
  startId: string;
}

/** The ids of a started run. */
export interface StartedRun {
  workflowId: string;
  /** The Temporal run id of the run's first execution. */
  runId: string;
  /**
   * Only with an idempotency key: true when the run already existed and nothing was started,
   * false when this start started it.
   */
  existing?: boolean;
}

/** The ids of a run an idempotent start returned, and whether it was already there. */
export interface StartedOnce extends StartedRun {
  /** True when the run existed before this start (nothing was started). */
  existing: boolean;
}

/** The Temporal options {@link startOnce} adds to the start. */
export interface StartOncePolicy {
  memo: { [REQUEST_MEMO]: StartRequestMemo };
  workflowIdConflictPolicy: 'USE_EXISTING';
  workflowIdReusePolicy: 'REJECT_DUPLICATE';
}

// Whitespace (any Unicode space, line breaks) and control characters.
const FORBIDDEN = /[\s\p{Cc}]/u;

/**
 * Checks an idempotency key and returns it.
 *
 * @param flag how the caller names the key in the message. Default: `--idempotency-key`.
 * @throws {UsageError} (one line) when the key is empty, longer than
 *   {@link MAX_IDEMPOTENCY_KEY_LENGTH} characters, or holds whitespace or a control character.
 */
export function checkIdempotencyKey(key: string, flag = '--idempotency-key'): string {
  const length = [...key].length;
  if (length === 0) throw new UsageError(`${flag}: must not be empty`);
  if (length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new UsageError(`${flag}: at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${length}`);
  }
  if (FORBIDDEN.test(key)) throw new UsageError(`${flag}: must not contain whitespace or control characters`);
  return key;
}

/** The run id of a start with an idempotency key and no `--id`: `<pipeline>-<key>`, so the key is scoped to the pipeline. */
export function idempotentRunId(pipeline: string, idempotencyKey: string): string {
  return `${pipeline}-${idempotencyKey}`;
}

/**
 * JSON with every object's keys sorted, so equal values give equal text whatever order their keys
 * came in (PostgreSQL's `jsonb` reorders them). `undefined` is `null` at the top and left out of
 * objects, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  const plain: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? 'null');
  return JSON.stringify(sortKeys(plain));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/**
 * The hash a start request is recognised by: SHA-256 (hex) of the canonical JSON of
 * `{ spec, input }`. No input and `null` input hash alike (the store keeps both as `null`).
 */
export function requestHash(spec: unknown, input: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ spec, input: input ?? null }))
    .digest('hex');
}

/**
 * Starts a run once: calls `start` with the memo and id policies of {@link StartOncePolicy}, then
 * finds out whether this call started the run or Temporal returned one that was already there.
 *
 * @param start starts the workflow with the given extra options; resolves to the run id Temporal
 *   returned (`handle.firstExecutionRunId`).
 * @returns the run's ids; `existing` is true when nothing was started.
 * @throws {IdempotencyConflictError} when the run there was started with this key but another
 *   spec or input.
 * @throws {RunAlreadyExistsError} when a run with `workflowId` exists that was not started with
 *   this key (without one, or with another).
 */
export async function startOnce(
  client: Client,
  workflowId: string,
  request: { idempotencyKey: string; hash: string },
  start: (policy: StartOncePolicy) => Promise<string>,
): Promise<StartedOnce> {
  const startId = randomUUID();
  let returnedRunId: string | undefined;
  try {
    returnedRunId = await start({
      memo: { [REQUEST_MEMO]: { idempotencyKey: request.idempotencyKey, hash: request.hash, startId } },
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    // A closed run Temporal still keeps: look at it below.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  let first: { runId: string; memo: StartRequestMemo | undefined };
  try {
    first = await firstExecution(client, workflowId, returnedRunId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new RunAlreadyExistsError(workflowId);
    throw err;
  }
  if (first.memo?.startId === startId) return { workflowId, runId: first.runId, existing: false };
  if (first.memo?.idempotencyKey !== request.idempotencyKey) throw new RunAlreadyExistsError(workflowId);
  if (first.memo.hash !== request.hash) throw new IdempotencyConflictError(request.idempotencyKey, workflowId);
  return { workflowId, runId: first.runId, existing: true };
}

/**
 * The first execution of the run `workflowId` (the one a start created; continue-as-new makes
 * more) and its request memo. `runId` is the execution to start from; default: the latest.
 */
async function firstExecution(
  client: Client,
  workflowId: string,
  runId: string | undefined,
): Promise<{ runId: string; memo: StartRequestMemo | undefined }> {
  const described = await client.workflow.getHandle(workflowId, runId).describe();
  const firstRunId = described.raw.workflowExecutionInfo?.firstRunId || described.runId;
  let memo = described.memo;
  if (firstRunId !== described.runId) {
    try {
      memo = (await client.workflow.getHandle(workflowId, firstRunId).describe()).memo;
    } catch (err) {
      // The first execution is past its retention while the run goes on: the later one's memo.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { runId: firstRunId, memo: readRequestMemo(memo) };
}

/** The {@link StartRequestMemo} of a run's memo, or `undefined` when it has none (or a malformed one). */
export function readRequestMemo(memo: Record<string, unknown> | undefined): StartRequestMemo | undefined {
  const value = memo?.[REQUEST_MEMO] as Partial<StartRequestMemo> | undefined;
  if (!value || typeof value !== 'object') return undefined;
  const { idempotencyKey, hash, startId } = value;
  if (typeof idempotencyKey !== 'string' || typeof hash !== 'string' || typeof startId !== 'string') return undefined;
  return { idempotencyKey, hash, startId };
}
