/**
 * The one generic workflow that runs any pipeline spec.
 *
 * A node starts as soon as every node it needs has completed, up to `maxParallel` in flight.
 * Pause stops new starts (in-flight nodes finish: `pausing`, then `paused`); resume carries on;
 * cancel (tapflow's update or signal, or a Temporal cancel from the Web UI or CLI) cancels the
 * nodes in flight, waits for them, then ends the run `cancelled`. A node that fails for good
 * cancels its siblings in flight, skips what has not started, and fails the run with its message.
 * Long runs continue-as-new between nodes, so no single history grows past ~10,000 events.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { refusal, type ControlAction, type RunState, type RunStatus } from '../pipeline/states';
import { DEFAULT_MAX_PARALLEL } from '../pipeline/types';
import { formatProblem, validateSpec } from '../pipeline/validate';
import {
  cancelSignal,
  cancelUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  statusQuery,
  type ControlAck,
  type ControlRequest,
  type PipelineRunInput,
  type PipelineRunResult,
} from './definitions';
import { INVALID_SPEC, NODE_FAILED, RUN_CANCELLED } from './errors';
import { activityOptionsFor, executeNode, type NodeOutcome } from './node-activity';
import { ProgressPublisher } from './progress-publisher';
import { RunBook, type RunBookSnapshot } from './run-book';

/** State carried from one execution of a run to the next through continue-as-new. */
interface Carried {
  book: RunBookSnapshot;
  state: RunState;
  reason?: string;
  startedAt: string;
  firstRunId: string;
}

/** Continue-as-new once the history passes this many events (Temporal warns at 10,240). */
const CONTINUE_AS_NEW_EVENTS = 8000;
/** ... or this many bytes (Temporal warns at 10 MB). */
const CONTINUE_AS_NEW_BYTES = 8 * 1024 * 1024;
/** How long a run cancelled by update waits for the client's Temporal cancel request, in ms. */
const TEMPORAL_CANCEL_GRACE_MS = 30_000;

/** Runs a pipeline spec. See the module comment for the rules. */
export async function pipelineWorkflow(input: PipelineRunInput): Promise<PipelineRunResult> {
  const checked = validateSpec(input.spec);
  if (!checked.ok) {
    throw ApplicationFailure.nonRetryable(
      `invalid pipeline spec: ${checked.problems.map(formatProblem).join('; ')}`,
      INVALID_SPEC,
    );
  }
  const spec = checked.spec;
  const info = workflowInfo();
  const carried = input.carried as Carried | undefined;
  const book = new RunBook(spec, carried?.book);
  const maxParallel = spec.maxParallel ?? DEFAULT_MAX_PARALLEL;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const firstRunId = carried?.firstRunId ?? info.runId;

  let state: RunState = carried?.state ?? 'running';
  let reason = carried?.reason;
  let finishedAt: string | undefined;
  let cancelRequested = state === 'cancelling';
  let failedNode: string | undefined;
  /** How the cancel came: decides how the workflow ends (see the end of this function). */
  let cancelVia: 'update' | 'signal' | 'temporal' | undefined;
  /** Set once Temporal itself has asked this workflow to cancel. */
  let temporalCancelSeen = false;
  /** Set whenever something the main loop acts on changes; the loop waits on it. */
  let dirty = false;
  const wake = (): void => {
    dirty = true;
  };

  const status = (): RunStatus => {
    const s: RunStatus = {
      workflowId: info.workflowId,
      runId: firstRunId,
      pipeline: spec.name,
      state,
      progress: book.progress(),
      nodes: book.nodeStatuses(),
      startedAt,
    };
    if (reason !== undefined) s.reason = reason;
    if (finishedAt !== undefined) s.finishedAt = finishedAt;
    return s;
  };

  const control = (action: ControlAction, request: ControlRequest, via: 'update' | 'signal'): ControlAck => {
    const by = request.by ? ` by ${request.by}` : '';
    switch (action) {
      case 'pause':
        state = book.inFlight > 0 ? 'pausing' : 'paused';
        reason = request.reason ?? `paused${by}`;
        break;
      case 'resume':
        state = 'running';
        reason = undefined;
        break;
      case 'cancel':
        state = 'cancelling';
        reason = request.reason ?? `cancelled${by}`;
        cancelRequested = true;
        cancelVia = via;
        nodeScope.cancel();
        break;
    }
    log.info(`run ${action}`, { state, reason, by: request.by });
    wake();
    return { state };
  };

  const validator =
    (action: ControlAction) =>
    (_request: ControlRequest): void => {
    const why = refusal(action, state);
    if (why) throw new Error(why);
  };
  const onSignal = (action: ControlAction) => (request: ControlRequest = {}): void => {
    const why = refusal(action, state);
    if (why) log.warn(`${action} signal ignored: ${why}`, {});
    else control(action, request, 'signal');
  };

  // Every handler is registered before the first await.
  setHandler(statusQuery, status);
  setHandler(pauseUpdate, (r) => control('pause', r, 'update'), { validator: validator('pause') });
  setHandler(resumeUpdate, (r) => control('resume', r, 'update'), { validator: validator('resume') });
  setHandler(cancelUpdate, (r) => control('cancel', r, 'update'), { validator: validator('cancel') });
  setHandler(pauseSignal, onSignal('pause'));
  setHandler(resumeSignal, onSignal('resume'));
  setHandler(cancelSignal, onSignal('cancel'));

  /**
   * All node activities run in this scope, so one cancel reaches every node in flight. The
   * main loop runs inside it (entered once, not once per node: each scope entry costs promises).
   */
  const nodeScope = new CancellationScope();
  const inFlight = new Map<string, Promise<void>>();
  const optionsCache = new Map<string, ActivityOptions>();
  const publisher = new ProgressPublisher(spec.name);
  const publish = (force = false): void => publisher.publish(state, book.progress(), reason, force);

  /** Starts a node; called from the main loop, so inside `nodeScope`. */
  const launch = (id: string): void => {
    const node = book.spec(id);
    let options = optionsCache.get(id);
    if (!options) {
      options = activityOptionsFor(spec, node, info.taskQueue);
      optionsCache.set(id, options);
    }
    const call = {
      input: node.input,
      params: input.params,
      upstream: book.upstreamOf(id),
      node: { runId: info.workflowId, nodeId: id, key: `${info.workflowId}/${id}` },
    };
    inFlight.set(
      id,
      executeNode(node, call, options, (outcome) => {
        try {
          record(id, outcome);
        } finally {
          inFlight.delete(id);
          wake();
        }
      }),
    );
  };

  const record = (id: string, outcome: NodeOutcome): void => {
    const now = new Date().toISOString();
    if (outcome.kind === 'completed') book.complete(id, outcome.output, outcome.attempts, now);
    else if (outcome.kind === 'cancelled') book.cancelled(id, outcome.attempts, now);
    else {
      book.fail(id, outcome.error, outcome.errorType, outcome.attempts, now);
      log.warn('node failed', { nodeId: id, error: outcome.error, attempts: outcome.attempts });
      if (!failedNode && !cancelRequested) {
        failedNode = id;
        const plural = outcome.attempts === 1 ? '' : 's';
        reason = `node "${id}" failed after ${outcome.attempts} attempt${plural}: ${outcome.error}`;
        nodeScope.cancel();
      }
    }
  };

  const historyIsLong = (): boolean => {
    const now = workflowInfo();
    const events = input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_EVENTS;
    return now.historyLength >= events || now.historySize >= CONTINUE_AS_NEW_BYTES;
  };

  // A run restarted by continue-as-new while cancelling finishes its cancel straight away.
  if (cancelRequested) nodeScope.cancel();
  CancellationScope.current().cancelRequested.catch(() => {
    temporalCancelSeen = true;
    wake();
  });
  /** Starts nodes as they become ready until the run ends, is cancelled or a node fails. */
  const mainLoop = async (): Promise<void> => {
    for (;;) {
      if (cancelRequested || failedNode) return;
      const draining = historyIsLong();
      if (state === 'running' && !draining) {
        while (book.inFlight < maxParallel) {
          const id = book.startNext(new Date().toISOString());
          if (id === undefined) break;
          launch(id);
        }
      }
      if (state === 'pausing' && book.inFlight === 0) state = 'paused';
      if (book.allFinished()) return;
      if (book.inFlight === 0 && !book.hasReady() && state === 'running' && !draining) {
        // Unreachable with a valid graph; fail loudly rather than hang.
        throw ApplicationFailure.nonRetryable('no node can start and none is running', NODE_FAILED);
      }
      if (draining && book.inFlight === 0) {
        await condition(allHandlersFinished);
        publish(true);
        const next: Carried = { book: book.snapshot(), state, startedAt, firstRunId };
        if (reason !== undefined) next.reason = reason;
        log.info('continuing as new', { historyLength: workflowInfo().historyLength });
        const nextInput: PipelineRunInput = { ...input, carried: next };
        await continueAsNew<typeof pipelineWorkflow>(nextInput);
      }
      publish();
      dirty = false;
      await condition(() => dirty);
    }
  };

  try {
    await nodeScope.run(mainLoop);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The scope is cancelled by our own cancel and by a failed node (both already recorded),
    // and by Temporal's cancel (Web UI, `temporal workflow cancel`, client.cancel()).
    if (!cancelRequested && !failedNode) {
      cancelRequested = true;
      cancelVia = 'temporal';
      state = 'cancelling';
      reason ??= 'cancelled through Temporal';
    }
  }

  // Ending: let the nodes in flight settle (cancelled ones acknowledge), whatever cancels us.
  return await CancellationScope.nonCancellable(async () => {
    if (cancelRequested || failedNode) publish(true);
    await Promise.all(inFlight.values());
    const now = new Date().toISOString();
    if (cancelRequested) {
      book.endPending('cancelled', now);
      state = 'cancelled';
    } else if (failedNode) {
      book.endPending('skipped', now);
      state = 'failed';
    } else {
      state = 'completed';
    }
    finishedAt = now;
    publish(true);
    await condition(allHandlersFinished);
    log.info(`run ${state}`, { reason });
    if (state === 'cancelled') {
      // Temporal shows a run as Canceled only when Temporal itself was asked to cancel it. The
      // client follows an accepted cancel update with that request; wait a little for it, so
      // the Web UI agrees with tapflow. A signal has no such follow-up.
      if (cancelVia === 'update' && !temporalCancelSeen) {
        await condition(() => temporalCancelSeen, TEMPORAL_CANCEL_GRACE_MS);
      }
      if (temporalCancelSeen) throw new CancelledFailure(reason ?? 'cancelled');
      throw ApplicationFailure.create({ message: reason ?? 'cancelled', type: RUN_CANCELLED, nonRetryable: true });
    }
    if (state === 'failed') {
      throw ApplicationFailure.create({
        message: reason ?? 'a node failed',
        type: NODE_FAILED,
        nonRetryable: true,
        details: [{ nodeId: failedNode }],
      });
    }
    return book.result();
  });
}
