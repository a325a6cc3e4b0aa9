/**
 * `tapflow start SPEC [--input JSON] [--id ID] [--wait] [--tag T]... [--group G]... [--user U]
 * [--priority N] [--site S] [--event JSON] [--timeout D] [--idempotency-key K]`.
 */
import { checkHostedActivitiesIfReadable } from '../control/hosted-activities';
import { EncodedValuesError } from '../store/decode-records';
import { isFinal } from '../core/states';
import { commandValueCodec } from './data-converter';
import { formatProblem, validateSpec } from '../core/validate';
import { IdempotencyConflictError, RunFailedError, UnknownActivityError, UsageError } from '../core/errors';
import { runMeta, type StartedRun, type StartRunOptions } from '../client';
import { currentUser, parseJsonArg, print, printJson, readSpecFile, withClient, type GlobalOptions } from './io';
import { SpecProblemsError } from './validate';
import { findStartInStore, type StoredStart } from '../control/start-once';
import { assertPayloadFits } from '../core/payload-limit';
import type { PipelineSpec } from '../core/types';
import { commandStoreUrl, withStore } from './store-access';

/** Options of `start`. */
export interface StartOptions extends GlobalOptions {
  input?: string;
  id?: string;
  wait?: boolean;
  tag?: string[];
  group?: string[];
  user?: string;
  priority?: string;
  site?: string;
  event?: string;
  timeout?: string;
  deadline?: string;
  onFailure?: string;
  idempotencyKey?: string;
  allowUnknownActivities?: boolean;
}

/**
 * Validates the spec and starts a run; with `--wait`, waits for its result.
 *
 * With `--idempotency-key`, a run already started with the key (in the store, see
 * `start-once.ts`, or in Temporal) is returned instead and nothing starts: the text says
 * `existing run ID (idempotency key K); nothing started`, and `--json` adds `"existing": true`
 * (`false` when this start started the run). Without a key the JSON is `{workflowId, runId}`.
 *
 * @throws {UsageError} on a bad spec, `--input` or `--idempotency-key` (nothing is started, nothing
 *   is connected to).
 * @throws {IdempotencyConflictError} when the key was first used with another spec, input or `--id`.
 */
export async function startCommand(path: string, options: StartOptions): Promise<number> {
  const parsed = readSpecFile(path);
  const checked = validateSpec(parsed);
  if (!checked.ok) throw new SpecProblemsError(path, checked.problems.map(formatProblem));
  assertPayloadFits(path, checked.spec);
  const input = options.input === undefined ? undefined : parseJsonArg('--input', options.input);
  const startOptions: StartRunOptions = {
    input,
    id: options.id,
    taskQueue: options.taskQueue,
    tags: options.tag,
    groups: options.group,
    user: options.user ?? currentUser(),
    site: options.site,
    event: options.event === undefined ? undefined : parseJsonArg('--event', options.event),
    priority: options.priority === undefined ? undefined : parsePriority(options.priority),
    timeout: options.timeout,
    deadline: options.deadline,
    onFailure: options.onFailure as StartRunOptions['onFailure'],
    idempotencyKey: options.idempotencyKey,
  };
  runMeta(startOptions); // bad --priority, --timeout or --idempotency-key: say so before connecting
  const key = startOptions.idempotencyKey;
  const stored = key === undefined ? undefined : await findStartInCommandStore(checked.spec, key, input, options.id);
  if (stored && (!options.wait || isFinal(stored.record.state))) return reportStored(stored, key as string, options);
  return withClient(options, async (client) => {
    const activitiesChecked = !stored && !options.allowUnknownActivities ? await checkActivitiesInCommandStore(checked.spec, client.taskQueue, options.taskQueue) : true;
    const started = stored?.started ?? (await client.startRun(checked.spec, startOptions));
    // Said once the run has started: a start refused for another reason is its one line alone.
    if (!activitiesChecked) process.stderr.write('tapflow: no run store answered, so the activities the nodes call were not checked against what the workers host\n');
    if (!options.wait) {
      if (options.json) printJson(started);
      else print(...startedLines(started, key));
      return 0;
    }
    if (!options.json) print(`${startedLines(started, key)[0] as string}; waiting for it to finish...`);
    try {
      const result = await client.result(started.workflowId, { wait: true });
      if (options.json) printJson({ ...started, state: 'completed', result });
      else print(`${started.workflowId} completed`, JSON.stringify(result, null, 2));
      return 0;
    } catch (err) {
      if (err instanceof RunFailedError && options.json) {
        printJson({ ...started, state: err.state, error: err.message });
        return 1;
      }
      throw err;
    }
  });
}

/** What `start` prints for a run it started, or found already there. */
function startedLines(started: StartedRun, key: string | undefined): string[] {
  const first = started.existing
    ? `existing run ${started.workflowId} (idempotency key ${key ?? ''}); nothing started`
    : `started ${started.workflowId}`;
  return [first, `  runId ${started.runId}`];
}

/**
 * The run the store holds under the key. Which store: `DATABASE_URL` when it is set, and then it
 * must be readable (a start that cannot check would risk a second run: it fails with one line,
 * exit 1, and can be retried). Without `DATABASE_URL`, the store `tapflow dev` runs on this
 * machine is asked if it answers; if it does not (not reachable, not a tapflow store, an older
 * schema), the start goes on with Temporal's check alone.
 *
 * @throws {StoreReadError} when `DATABASE_URL` is set and the store cannot be read.
 * @throws {IdempotencyConflictError} as {@link findStartInStore} does.
 */
export async function findStartInCommandStore(
  spec: PipelineSpec,
  key: string,
  input: unknown,
  id?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoredStart | undefined> {
  try {
    const codec = await commandValueCodec(env);
    return await withStore((db) => findStartInStore(db, spec, key, input, id, codec), commandStoreUrl(env));
  } catch (err) {
    if (err instanceof IdempotencyConflictError || err instanceof EncodedValuesError || env.DATABASE_URL) throw err;
    return undefined;
  }
}


/**
 * Reports a run the store holds under the key, without asking Temporal: the ids, or with
 * `--wait` (the run has ended) its result or how it ended, as the store recorded them.
 */
/**
 * Refuses a node whose activity no live worker on its task queue hosts, from the store the
 * command reads (see {@link findStartInCommandStore} for which).
 *
 * @returns false when no store answered, so nothing was checked.
 * @throws {UnknownActivityError} naming each such node.
 */
async function checkActivitiesInCommandStore(spec: PipelineSpec, clientQueue: string, flagQueue: string | undefined): Promise<boolean> {
  try {
    return (await withStore((db) => checkHostedActivitiesIfReadable(db, spec, flagQueue ?? clientQueue), commandStoreUrl())) !== undefined;
  } catch (err) {
    if (err instanceof UnknownActivityError || process.env.DATABASE_URL) throw err;
    return false;
  }
}

function reportStored(stored: StoredStart, key: string, options: StartOptions): number {
  const { started, record } = stored;
  if (!options.wait) {
    if (options.json) printJson(started);
    else print(...startedLines(started, key));
    return 0;
  }
  if (record.state === 'completed') {
    if (options.json) printJson({ ...started, state: 'completed', result: record.result });
    else print(startedLines(started, key)[0] as string, `${started.workflowId} completed`, JSON.stringify(record.result, null, 2));
    return 0;
  }
  const failed = new RunFailedError(started.workflowId, record.state as 'failed' | 'cancelled', record.reason ?? record.state);
  if (!options.json) throw failed;
  printJson({ ...started, state: failed.state, error: failed.message });
  return 1;
}

function parsePriority(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--priority: expected a whole number from 1 to 5, got "${text}"`);
  return Number(text);
}
