/**
 * `tapflow result ID [--wait]`: the run's result (each leaf node's output). From Temporal; for a
 * run Temporal no longer has (or that it cannot be reached for), from the store, where `--wait`
 * has nothing to wait for and the answer comes at once.
 */
import { commandValueCodec } from './data-converter';
import { RunFailedError } from '../core/errors';
import { print, printJson, withClient, type GlobalOptions } from './io';
import { readRunFromStore } from './store-fallback';

/** Options of `result`. */
export interface ResultOptions extends GlobalOptions {
  wait?: boolean;
}

/**
 * Prints the result; exit code 1 when the run failed or was cancelled.
 *
 * @throws {UsageError} when the run has not finished and `--wait` is not given.
 * @throws {RunNotFoundError} when neither Temporal nor the store has the run.
 * @throws Error when the store has the run but no result for it (it never recorded its end).
 */
export async function resultCommand(id: string, options: ResultOptions): Promise<number> {
  try {
    let result: unknown;
    try {
      result = await withClient(options, (client) => client.result(id, { wait: options.wait }));
    } catch (err) {
      result = await storedResult(id, err, options);
    }
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
}

/** The result the store keeps, after Temporal failed with `err` (rethrown when the store cannot help). */
async function storedResult(id: string, err: unknown, options: ResultOptions): Promise<unknown> {
  const { run, note } = await readRunFromStore(id, err, options);
  if (!options.json) process.stderr.write(`(from the store: ${note})\n`);
  switch (run.state) {
    case 'completed':
      if (run.result === null || run.result === undefined) throw new Error(`${id} completed, but the store holds no result for it`);
      return (await commandValueCodec()).decode(run.result);
    case 'failed':
    case 'cancelled':
      throw new RunFailedError(id, run.state, run.reason ?? run.state);
    default:
      throw new Error(`${id}: ${note}, and the store last recorded it ${run.state}, without a result`);
  }
}
