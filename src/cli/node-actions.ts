/**
 * `tapflow retry ID NODE [--input JSON]`, `tapflow skip ID NODE [--output JSON]`,
 * `tapflow edit ID NODE --input JSON` and `tapflow send ID EVENT [--data JSON]`: an operator's
 * actions on one node (or event) of a live run. Each returns once the run has taken it, or
 * exits 2 with the run's reason when it does not apply.
 */
import { actionRequest, parseJsonArg, print, printJson, withClient, type GlobalOptions } from './io';

/** Options every node action takes. */
export interface NodeActionOptions extends GlobalOptions {
  reason?: string;
  user?: string;
  input?: string;
  output?: string;
  data?: string;
}

/** `retry`: runs a held node again, optionally with a new input. */
export function retryCommand(id: string, node: string, options: NodeActionOptions): Promise<number> {
  const input = options.input === undefined ? undefined : { input: parseJsonArg('--input', options.input) };
  return withClient(options, async (client) => {
    const ack = await client.retry(id, node, { ...actionRequest(options), ...input });
    report(options, { workflowId: id, action: 'retry', ...ack }, `${id}: node ${node} retried; it is ${ack.nodeState}, the run is ${ack.state}`);
    return 0;
  });
}

/** `skip`: marks a held or pending node done with an output. */
export function skipCommand(id: string, node: string, options: NodeActionOptions): Promise<number> {
  const output = options.output === undefined ? null : parseJsonArg('--output', options.output);
  return withClient(options, async (client) => {
    const ack = await client.skip(id, node, { ...actionRequest(options), output });
    report(options, { workflowId: id, action: 'skip', ...ack }, `${id}: node ${node} skipped; the run is ${ack.state}`);
    return 0;
  });
}

/** `edit`: changes a pending node's input while the run is paused. */
export function editCommand(id: string, node: string, options: NodeActionOptions): Promise<number> {
  const input = parseJsonArg('--input', options.input ?? '');
  return withClient(options, async (client) => {
    const ack = await client.edit(id, node, { ...actionRequest(options), input });
    report(options, { workflowId: id, action: 'edit', ...ack }, `${id}: node ${node}'s input changed; the run is ${ack.state}`);
    return 0;
  });
}

/** `send`: delivers a named event to the run's event nodes of that name. */
export function sendCommand(id: string, event: string, options: NodeActionOptions): Promise<number> {
  const data = options.data === undefined ? null : parseJsonArg('--data', options.data);
  return withClient(options, async (client) => {
    const ack = await client.sendEvent(id, event, { ...actionRequest(options), data });
    const went = [
      ack.delivered.length > 0 ? `completed ${ack.delivered.join(', ')}` : '',
      ack.kept.length > 0 ? `kept for ${ack.kept.join(', ')} (not started yet)` : '',
    ].filter(Boolean);
    report(options, { workflowId: id, action: 'send', event, ...ack }, `${id}: event ${event} ${went.join('; ')}; the run is ${ack.state}`);
    return 0;
  });
}

function report(options: GlobalOptions, json: Record<string, unknown>, text: string): void {
  if (options.json) printJson(json);
  else print(text);
}
