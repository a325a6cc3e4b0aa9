/**
 * `tapflow start SPEC|NAME[@VERSION] [--input JSON] [--id ID] [--wait] [--tag T]... [--group G]...
 * [--user U] [--priority N] [--site S] [--event JSON] [--timeout D] [--idempotency-key K]`.
 *
 * SPEC is a spec file; an argument that is no file is a registered pipeline (`tapflow pipeline
 * push`): `NAME` or `NAME@latest` its latest version, `NAME@3` version 3.
 */
import { existsSync } from 'node:fs';
import { checkHostedActivitiesIfReadable } from '../control/hosted-activities';
import { EncodedValuesError } from '../store/decode-records';
import { isFinal } from '../core/states';
import { commandValueCodec } from './data-converter';
import { formatProblem, validateSpec } from '../core/validate';
import { IdempotencyConflictError, PipelineNotFoundError, RunFailedError, UnknownActivityError, UsageError } from '../core/errors';
import { formatPipelineRef, parsePipelineRef, type PipelineRef } from '../core/pipeline-registry';
import { runMeta, type StartedRun, type StartRunOptions } from '../client';
import { currentUser, parseJsonArg, print, printJson, readSpecFile, withClient, type GlobalOptions } from './io';
import { SpecProblemsError } from './validate';
import { findStartInStore, type StoredStart } from '../control/start-once';
import { assertPayloadFits } from '../core/payload-limit';
import type { PipelineSpec } from '../core/types';
import { commandStoreUrl, StoreReadError, withStore } from './store-access';
import { findRegistered, withRegistry } from './pipeline';

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

/** What a start runs: a spec file's spec, or a registered version's. */
interface StartSource {
  spec: PipelineSpec;
  /** The registered version, when started by name; `ref` is `NAME@VERSION`. */
  registered?: { ref: string; name: string; version: number };
}

/**
 * Validates the spec and starts a run; with `--wait`, waits for its result.
 *
 * `target` is a spec file when there is such a file, else a registered pipeline: its spec is read
 * from the store's registry (before Temporal is connected to) and the run records its version.
 * The text then says `started ID from NAME@VERSION`, and `--json` adds `"pipeline"` and
 * `"version"`. A target that is neither is one line naming both, exit 2.
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
export async function startCommand(target: string, options: StartOptions): Promise<number> {
  // A file wins: a spec file that happens to share a registered pipeline's name is what the
  // user pointed at, as it always was.
  const wanted = existsSync(target) ? fileSource(target) : registeredRef(target);
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
  const source = 'spec' in wanted ? wanted : await registeredSource(target, wanted);
  const spec = source.spec;
  if (source.registered) startOptions.pipelineVersion = source.registered.version;
  const key = startOptions.idempotencyKey;
  const stored = key === undefined ? undefined : await findStartInCommandStore(spec, key, input, options.id);
  if (stored && (!options.wait || isFinal(stored.record.state))) return reportStored(stored, key as string, options, source);
  return withClient(options, async (client) => {
    const activitiesChecked = !stored && !options.allowUnknownActivities ? await checkActivitiesInCommandStore(spec, client.taskQueue, options.taskQueue) : true;
    const started = stored?.started ?? (await client.startRun(spec, startOptions));
    // Said once the run has started: a start refused for another reason is its one line alone.
    if (!activitiesChecked) process.stderr.write('tapflow: no run store answered, so the activities the nodes call were not checked against what the workers host\n');
    if (!options.wait) {
      if (options.json) printJson(startedJson(started, source));
      else print(...startedLines(started, key, source));
      return 0;
    }
    if (!options.json) print(`${startedLines(started, key, source)[0] as string}; waiting for it to finish...`);
    try {
      const result = await client.result(started.workflowId, { wait: true });
      if (options.json) printJson({ ...startedJson(started, source), state: 'completed', result });
      else print(`${started.workflowId} completed`, JSON.stringify(result, null, 2));
      return 0;
    } catch (err) {
      if (err instanceof RunFailedError && options.json) {
        printJson({ ...startedJson(started, source), state: err.state, error: err.message });
        return 1;
      }
      throw err;
    }
  });
}

/**
 * The spec in a spec file, checked (every problem listed) and within Temporal's payload limit.
 *
 * @throws {UsageError} when the file cannot be read or parsed.
 * @throws {SpecProblemsError} when the spec is invalid.
 */
function fileSource(path: string): StartSource {
  const checked = validateSpec(readSpecFile(path));
  if (!checked.ok) throw new SpecProblemsError(path, checked.problems.map(formatProblem));
  assertPayloadFits(path, checked.spec);
  return { spec: checked.spec };
}

/**
 * `target` read as a pipeline reference, when it is no file.
 *
 * @throws {UsageError} saying it is neither a file nor a reference (`media@0`).
 */
function registeredRef(target: string): PipelineRef {
  try {
    return parsePipelineRef(target);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const reason = err.message.startsWith(`"${target}": `) ? err.message.slice(target.length + 4) : err.message;
    throw new UsageError(`${target}: no such file, nor a registered pipeline: ${reason}`);
  }
}

/**
 * The registered version `ref` names, from the store's registry.
 *
 * @throws {UsageError} when the registry has no such pipeline or version (naming the file that is
 *   not there too: the user may have mistyped either), its spec is encoded and cannot be read, or,
 *   without `DATABASE_URL`, no store answered.
 * @throws {StoreReadError} when `DATABASE_URL` is set and that store cannot be read.
 */
async function registeredSource(target: string, ref: PipelineRef, env: NodeJS.ProcessEnv = process.env): Promise<StartSource> {
  try {
    const found = await withRegistry((registry) => findRegistered(registry, ref.name, ref.version));
    return { spec: found.spec, registered: { ref: formatPipelineRef(found.name, found.version), name: found.name, version: found.version } };
  } catch (err) {
    if (err instanceof PipelineNotFoundError) throw new UsageError(`${target}: no such file, and ${err.message}`);
    if (!(err instanceof StoreReadError)) throw err;
    const message = `${target}: no such file, and the registered pipelines could not be read: ${err.message}`;
    // A store the user configured that fails is a failure (exit 1, try again). Without one, only
    // the dev store was tried: most often there is none and the argument is a mistyped file
    // name, which stays bad input (exit 2), as it was before pipelines could be started by name.
    throw env.DATABASE_URL ? new StoreReadError(message) : new UsageError(message);
  }
}

/** What `start --json` prints for a run: the ids, and the registered version it runs, if any. */
function startedJson(started: StartedRun, source: StartSource): StartedRun & { pipeline?: string; version?: number } {
  return source.registered ? { ...started, pipeline: source.registered.name, version: source.registered.version } : started;
}

/** What `start` prints for a run it started, or found already there. */
function startedLines(started: StartedRun, key: string | undefined, source: StartSource): string[] {
  // An existing run is not said to be of the version: it may have been started from a file with
  // the same spec.
  const first = started.existing
    ? `existing run ${started.workflowId} (idempotency key ${key ?? ''}); nothing started`
    : `started ${started.workflowId}${source.registered ? ` from ${source.registered.ref}` : ''}`;
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

function reportStored(stored: StoredStart, key: string, options: StartOptions, source: StartSource): number {
  const { started, record } = stored;
  if (!options.wait) {
    if (options.json) printJson(startedJson(started, source));
    else print(...startedLines(started, key, source));
    return 0;
  }
  if (record.state === 'completed') {
    if (options.json) printJson({ ...startedJson(started, source), state: 'completed', result: record.result });
    else print(startedLines(started, key, source)[0] as string, `${started.workflowId} completed`, JSON.stringify(record.result, null, 2));
    return 0;
  }
  const failed = new RunFailedError(started.workflowId, record.state as 'failed' | 'cancelled', record.reason ?? record.state);
  if (!options.json) throw failed;
  printJson({ ...startedJson(started, source), state: failed.state, error: failed.message });
  return 1;
}

function parsePriority(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--priority: expected a whole number from 1 to 5, got "${text}"`);
  return Number(text);
}
