/**
 * The operator's updates and signals on a run: retry, skip, edit, rerun and send. Each validator
 * refuses with the shared rules of `pipeline/operator-rules.ts` (so a refused update never reaches
 * history); each handler changes the run book, records the action, and lets the run go on.
 * Registered by the pipeline workflow before its first await.
 */
import { log, setHandler } from '@temporalio/workflow';
import { refuseIf } from './refuse';
import {
  editRefusal,
  eventTakers,
  planRerun,
  rerunRefusal,
  retryRefusal,
  sendRefusal,
  skipRefusal,
  type RunView,
} from '../core/operator-rules';
import type { OperatorAction, RunState } from '../core/states';
import {
  editUpdate,
  rerunUpdate,
  retryUpdate,
  sendEventSignal,
  sendEventUpdate,
  skipUpdate,
  type ControlRequest,
  type EventAck,
  type EventRequest,
  type NodeAck,
} from './definitions';
import type { RunBook } from './run-book';
import { inputTemplateRefusal } from '../core/validate-expressions';
import type { Waiter } from './waiting-nodes';

/** What the handlers need from the running workflow. */
export interface OperatorHost {
  book: RunBook;
  /** Sleep and event nodes waiting, by id. */
  waiting: ReadonlyMap<string, Waiter>;
  /** Outputs the store has no attempt row for, written with the next run record. */
  unrecordedOutputs: Map<string, unknown>;
  state(): RunState;
  view(): RunView;
  /** Records the action in the store (a refusal when `refused` is given). */
  record(action: OperatorAction, request: ControlRequest, refused?: string, nodeId?: string, details?: Record<string, unknown>): void;
  /** After a change: put the run's state right and wake the main loop. */
  changed(): void;
}

/** Registers the operator's updates and signals; see the module comment. */
export function registerOperatorHandlers(host: OperatorHost): void {
  const { book } = host;
  /**
   * Why an operator's input cannot be taken for its templates (checked like a spec's, as they
   * are resolved when the node starts), or `undefined`. An unknown node is left to the rules.
   */
  const templateRefusal = (node: string, input: unknown): string | undefined => {
    if (!book.has(node)) return undefined;
    const spec = book.spec(node);
    const why = inputTemplateRefusal(input, spec.needs ?? [], spec.repeat !== undefined);
    return why === undefined ? undefined : `cannot take the input of node "${node}": ${why}`;
  };
  const nodeAck = (node: string): NodeAck => ({ state: host.state(), node, nodeState: book.recordOf(node).state });

  const deliverEvent = (request: EventRequest): EventAck => {
    const takers = eventTakers(host.view(), request.event);
    const data = request.data === undefined ? null : request.data;
    host.record('send', request, undefined, undefined, { event: request.event, data, ...takers });
    for (const id of takers.waiting) host.waiting.get(id)?.deliver?.(data);
    for (const id of takers.later) book.deliver(id, data);
    log.info('event delivered', { event: request.event, delivered: takers.waiting, kept: takers.later });
    host.changed();
    return { state: host.state(), delivered: takers.waiting, kept: takers.later };
  };

  setHandler(
    retryUpdate,
    (r) => {
      const edited = 'input' in r ? { value: r.input } : undefined;
      host.record('retry', r, undefined, r.node, edited ? { input: r.input } : undefined);
      book.retry(r.node, edited);
      log.info('node retried by an operator', { nodeId: r.node, by: r.by });
      host.changed();
      return nodeAck(r.node);
    },
    {
      validator: (r) =>
        refuseIf(retryRefusal(host.view(), r.node, 'input' in r ? { value: r.input } : undefined) ?? ('input' in r ? templateRefusal(r.node, r.input) : undefined)),
    },
  );
  setHandler(
    skipUpdate,
    (r) => {
      const output = r.output === undefined ? null : r.output;
      host.record('skip', r, undefined, r.node, { output });
      book.skip(r.node, output, new Date().toISOString(), 'operator', r.reason);
      host.unrecordedOutputs.set(r.node, output);
      log.info('node skipped by an operator', { nodeId: r.node, by: r.by });
      host.changed();
      return nodeAck(r.node);
    },
    { validator: (r) => refuseIf(skipRefusal(host.view(), r.node, r.output)) },
  );
  setHandler(
    editUpdate,
    (r) => {
      host.record('edit', r, undefined, r.node, { input: r.input });
      book.editInput(r.node, r.input);
      log.info('node input edited', { nodeId: r.node, by: r.by });
      host.changed();
      return nodeAck(r.node);
    },
    { validator: (r) => refuseIf(editRefusal(host.view(), r.node, r.input) ?? templateRefusal(r.node, r.input)) },
  );
  setHandler(
    rerunUpdate,
    (r) => {
      const plan = planRerun(host.view(), r.from);
      const reused = typeof plan === 'string' ? [] : plan.reused;
      const rerun = book.rerun(r.from, new Date().toISOString());
      host.record('rerun', r, undefined, r.from, { rerun, reused });
      for (const id of rerun) host.unrecordedOutputs.delete(id);
      log.info('rerun from a node', { from: r.from, nodes: rerun.length, by: r.by });
      host.changed();
      return { state: host.state(), rerun, reused };
    },
    { validator: (r) => refuseIf(rerunRefusal(host.view(), r.from)) },
  );
  setHandler(sendEventUpdate, deliverEvent, { validator: (r) => refuseIf(sendRefusal(host.view(), r.event, r.data)) });
  setHandler(sendEventSignal, (r) => {
    const why = sendRefusal(host.view(), r.event, r.data);
    if (!why) return void deliverEvent(r);
    log.warn(`event signal ignored: ${why}`, {});
    host.record('send', r, why, undefined, { event: r.event });
  });
}
