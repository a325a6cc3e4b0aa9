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
  currentUpdateInfo,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { formatDuration, parseDuration } from '../pipeline/duration';
import { refusal, type ControlAction, type RunState, type RunStatus } from '../pipeline/states';
import { DEFAULT_MAX_PARALLEL, DEFAULT_MAXIMUM_ATTEMPTS } from '../pipeline/types';
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
import { INVALID_SPEC, NODE_FAILED, RUN_CANCELLED, RUN_TIMED_OUT } from './errors';
import { activityOptionsFor, executeNode, type NodeOutcome } from './node-activity';
import { ProgressPublisher } from './progress-publisher';
import { RunBook, type RunBookSnapshot } from './run-book';
import { StoreReporter } from './store-reporter';

/**
 * Runs started before the run store was wired in have no record calls in their history; this
 * patch keeps them replaying (see test/replay).
 */
export const STORE_RECORDS_PATCH = 'tapflow-store-records';

/** State carried from one execution of a run to the next through continue-as-new. */
interface Carried {
  book: RunBookSnapshot;
  state: RunState;
  reason?: string;
  startedAt: string;
  firstRunId: string;
  /** The store reporter's last sequence number. */
  seq?: number;
  products?: string[];
  plots?: string[];
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
  const meta = input.meta ?? {};
  const reporter = new StoreReporter(patched(STORE_RECORDS_PATCH), info.taskQueue, carried?.seq);
  const book = new RunBook(spec, carried?.book);
  const maxParallel = spec.maxParallel ?? DEFAULT_MAX_PARALLEL;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const firstRunId = carried?.firstRunId ?? info.runId;

  let state: RunState = carried?.state ?? 'running';
  let reason = carried?.reason;
  let finishedAt: string | undefined;
  let cancelRequested = state === 'cancelling';
  let failedNode: string | undefined;
  /** Set when the run's own timeout (`meta.timeout`) has passed. */
  let timedOut = false;
  /** Paths the activities reported (seed 003's products and plots), in order, once each. */
  const products = new Set(carried?.products);
  const plots = new Set(carried?.plots);
  /** The state last written to the store. */
  let recordedState: RunState | undefined = carried?.state;
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

  const recordAction = (action: ControlAction, request: ControlRequest, refused?: string): void => {
    reporter.control({
      workflowId: info.workflowId,
      requestId: request.requestId ?? currentUpdateInfo()?.id ?? uuid4(),
      action,
      requestedBy: request.by,
      reason: request.reason,
      requestedAt: new Date().toISOString(),
      accepted: refused === undefined,
      refusal: refused,
    });
  };

  const control = (action: ControlAction, request: ControlRequest, via: 'update' | 'signal'): ControlAck => {
    recordAction(action, request);
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
    if (why) {
      log.warn(`${action} signal ignored: ${why}`, {});
      recordAction(action, request, why);
    } else control(action, request, 'signal');
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
    if (outcome.kind === 'completed') {
      book.complete(id, outcome.output, outcome.attempts, now);
      for (const path of outcome.products ?? []) products.add(path);
      for (const path of outcome.plots ?? []) plots.add(path);
    }
    else if (outcome.kind === 'cancelled') book.cancelled(id, outcome.attempts, now);
    else {
      book.fail(id, outcome.error, outcome.errorType, outcome.attempts, now);
      log.warn('node failed', { nodeId: id, error: outcome.error, attempts: outcome.attempts });
      if (!failedNode && !cancelRequested && !timedOut) {
        failedNode = id;
        const plural = outcome.attempts === 1 ? '' : 's';
        reason = `node "${id}" failed after ${outcome.attempts} attempt${plural}: ${outcome.error}`;
        nodeScope.cancel();
      }
    }
  };

  /** What every run write carries. */
  const runReport = () => ({
    workflowId: info.workflowId,
    pipeline: spec.name,
    state,
    reason,
    attempt: info.attempt,
    progressCompleted: book.progress().completed,
    progressTotal: book.progress().total,
  });
  /** Writes the run's row when its state has changed since the last write. */
  const reportState = (): void => {
    if (!reporter.enabled || state === recordedState) return;
    recordedState = state;
    reporter.run({ ...runReport(), nodes: book.nodeStatuses() });
  };

  if (!carried) {
    recordedState = state;
    const retry = spec.defaults?.retry?.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS;
    reporter.run({
      ...runReport(),
      firstRunId,
      spec: input.spec,
      params: input.params,
      tags: meta.tags,
      groups: meta.groups,
      userName: meta.user,
      site: meta.site,
      event: meta.event,
      priority: meta.priority,
      timeoutMs: meta.timeout === undefined ? undefined : parseDuration(meta.timeout),
      retries: Math.max(retry - 1, 0),
      createdAt: meta.createdAt ?? startedAt,
      startedAt,
    });
  }

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
  const limit = meta.timeout === undefined ? undefined : parseDuration(meta.timeout);
  if (limit !== undefined) {
    const left = Date.parse(startedAt) + limit - Date.now();
    // Outside nodeScope: our own cancel must not stop the clock. Temporal's cancel ends it.
    void sleep(Math.max(left, 1)).then(
      () => {
        if (cancelRequested || failedNode || book.allFinished()) return;
        timedOut = true;
        reason = `run timed out after ${typeof meta.timeout === 'string' ? meta.timeout : formatDuration(limit)}`;
        nodeScope.cancel();
        wake();
      },
      () => undefined,
    );
  }
  /** Starts nodes as they become ready until the run ends, is cancelled or a node fails. */
  const mainLoop = async (): Promise<void> => {
    for (;;) {
      if (cancelRequested || failedNode || timedOut) return;
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
        reportState();
        await reporter.settle();
        const next: Carried = {
          book: book.snapshot(),
          state,
          startedAt,
          firstRunId,
          seq: reporter.lastSeq,
          products: [...products],
          plots: [...plots],
        };
        if (reason !== undefined) next.reason = reason;
        log.info('continuing as new', { historyLength: workflowInfo().historyLength });
        const nextInput: PipelineRunInput = { ...input, carried: next };
        await continueAsNew<typeof pipelineWorkflow>(nextInput);
      }
      publish();
      reportState();
      dirty = false;
      await condition(() => dirty);
    }
  };

  try {
    await nodeScope.run(mainLoop);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The scope is cancelled by our own cancel, a failed node and the run's timeout (all already
    // recorded), and by Temporal's cancel (Web UI, `temporal workflow cancel`, client.cancel()).
    if (!cancelRequested && !failedNode && !timedOut) {
      cancelRequested = true;
      cancelVia = 'temporal';
      state = 'cancelling';
      reason ??= 'cancelled through Temporal';
    }
  }

  // Ending: let the nodes in flight settle (cancelled ones acknowledge), whatever cancels us.
  return await CancellationScope.nonCancellable(async () => {
    if (cancelRequested || failedNode || timedOut) {
      publish(true);
      reportState();
    }
    await Promise.all(inFlight.values());
    const now = new Date().toISOString();
    if (cancelRequested) {
      book.endPending('cancelled', now);
      state = 'cancelled';
    } else if (failedNode || timedOut) {
      book.endPending('skipped', now);
      state = 'failed';
    } else {
      state = 'completed';
    }
    finishedAt = now;
    publish(true);
    await condition(allHandlersFinished);
    if (reporter.enabled) {
      recordedState = state;
      const nodes = book.nodeStatuses();
      reporter.run(
        {
          ...runReport(),
          nodes,
          result: state === 'completed' ? book.result() : undefined,
          products: [...products],
          plots: [...plots],
          finishedAt: now,
        },
        nodes,
      );
      // The run stays open until its final record has landed: the store must not miss it.
      await reporter.settle();
    }
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
    if (timedOut) {
      throw ApplicationFailure.create({ message: reason ?? 'run timed out', type: RUN_TIMED_OUT, nonRetryable: true });
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
