/** `tapflow list [--state S] [--pipeline NAME]`: runs, newest first. */
import { UsageError } from '../core/errors';
import { RUN_STATES, type RunState } from '../core/states';
import { print, printJson, withClient, type GlobalOptions } from './io';
import { renderRuns } from './render';

/** Options of `list`. */
export interface ListOptions extends GlobalOptions {
  state?: string;
  pipeline?: string;
  limit?: string;
}

/**
 * Lists runs through Temporal's visibility (search attributes).
 *
 * @throws {UsageError} for an unknown state or a bad limit.
 */
export function listCommand(options: ListOptions): Promise<number> {
  if (options.state && !RUN_STATES.includes(options.state as RunState)) {
    throw new UsageError(`--state: unknown state "${options.state}"; one of ${RUN_STATES.join(', ')}`);
  }
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: must be a whole number of at least 1`);
  return withClient(options, async (client) => {
    const runs = await client.listRuns({ state: options.state as RunState | undefined, pipeline: options.pipeline, limit });
    if (options.json) printJson(runs);
    else print(...renderRuns(runs, Boolean(process.stdout.isTTY)));
    return 0;
  });
}
