/** `tapflow status ID`: the run's state, progress and nodes. */
import { print, printJson, withClient, type GlobalOptions } from './io';
import { renderStatus } from './render';

/**
 * Prints a run's status.
 *
 * @throws {RunNotFoundError} for an unknown id.
 */
export function statusCommand(id: string, options: GlobalOptions): Promise<number> {
  return withClient(options, async (client) => {
    const status = await client.getStatus(id);
    if (options.json) printJson(status);
    else print(...renderStatus(status, Boolean(process.stdout.isTTY)));
    return 0;
  });
}
