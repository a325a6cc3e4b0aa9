/** `tapflow result ID [--wait]`: the run's result (each leaf node's output). */
import { RunFailedError } from '../errors';
import { print, printJson, withClient, type GlobalOptions } from './io';

/** Options of `result`. */
export interface ResultOptions extends GlobalOptions {
  wait?: boolean;
}

/**
 * Prints the result; exit code 1 when the run failed or was cancelled.
 *
 * @throws {UsageError} when the run has not finished and `--wait` is not given.
 */
export function resultCommand(id: string, options: ResultOptions): Promise<number> {
  return withClient(options, async (client) => {
    try {
      const result = await client.result(id, { wait: options.wait });
      if (options.json) printJson(result);
      else print(JSON.stringify(result, null, 2));
      return 0;
    } catch (err) {
      if (err instanceof RunFailedError && options.json) {
        printJson({ workflowId: id, state: err.state, error: err.message });
        return 1;
      }
      throw err;
    }
  });
}
