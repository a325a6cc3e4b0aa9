/** `tapflow pause|resume|cancel ID`: each returns once the run has taken the action. */
import type { ControlAction } from '../core/states';
import { actionRequest, print, printJson, withClient, type GlobalOptions } from './io';

/** Options of the control commands. */
export interface ControlOptions extends GlobalOptions {
  reason?: string;
  user?: string;
  wait?: boolean;
}

/**
 * Sends a control action and reports the state the run is in after taking it.
 *
 * @throws {ActionRefusedError} when the run cannot take the action (exit code 2).
 * @throws {RunNotFoundError} for an unknown id.
 */
export function controlCommand(action: ControlAction, id: string, options: ControlOptions): Promise<number> {
  return withClient(options, async (client) => {
    const request = actionRequest(options);
    const ack =
      action === 'pause'
        ? await client.pause(id, request)
        : action === 'resume'
          ? await client.resume(id, request)
          : await client.cancel(id, { ...request, wait: options.wait });
    if (options.json) printJson({ workflowId: id, action, state: ack.state });
    else print(`${id}: ${action} accepted, run is ${ack.state}`);
    return 0;
  });
}
