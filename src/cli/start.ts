/**
 * `tapflow start SPEC [--input JSON] [--id ID] [--wait] [--tag T]... [--group G]... [--user U]
 * [--priority N] [--site S] [--event JSON] [--timeout D]`.
 */
import { formatProblem, validateSpec } from '../pipeline/validate';
import { RunFailedError, UsageError } from '../errors';
import { runMeta, type StartRunOptions } from '../client';
import { currentUser, parseJsonArg, print, printJson, readSpecFile, withClient, type GlobalOptions } from './io';
import { SpecProblemsError } from './validate';

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
}

/**
 * Validates the spec and starts a run; with `--wait`, waits for its result.
 *
 * @throws {UsageError} on a bad spec or `--input` (nothing is started).
 */
export async function startCommand(path: string, options: StartOptions): Promise<number> {
  const parsed = readSpecFile(path);
  const checked = validateSpec(parsed);
  if (!checked.ok) throw new SpecProblemsError(path, checked.problems.map(formatProblem));
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
  };
  runMeta(startOptions); // bad --priority or --timeout: say so before connecting
  return withClient(options, async (client) => {
    const started = await client.startRun(checked.spec, startOptions);
    if (!options.wait) {
      if (options.json) printJson(started);
      else print(`started ${started.workflowId}`, `  runId ${started.runId}`);
      return 0;
    }
    if (!options.json) print(`started ${started.workflowId}; waiting for it to finish...`);
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

function parsePriority(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--priority: expected a whole number from 1 to 5, got "${text}"`);
  return Number(text);
}
