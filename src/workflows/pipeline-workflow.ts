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
import { refuseIf } from './refuse';
import type { PipelineRunArgs } from './run-args';
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
} from '@temporalio/workflow';
import { formatDuration, parseDuration } from '../core/duration';
import type { ControlAction, OperatorAction, RunState, RunStatus } from '../core/states';
import { RunMachine, type CancelVia } from '../core/run-machine';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARALLEL, DEFAULT_MAXIMUM_ATTEMPTS, type DurationSpec, type NodeSpec } from '../core/types';
import { formatProblem, validateSpec } from '../core/validate';
import {
  cancelSignal,
  cancelUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  statusQuery,
  rerunPreviewQuery,
  type RerunPreview,
  type ControlAck,
  type ControlRequest,
  type PipelineRunResult,
  DEFAULT_PRIORITY,
  SCHEDULED_BY_SEARCH_ATTRIBUTE,
} from './definitions';
import { slotGrantedSignal } from './concurrency-protocol';
import { CONCURRENCY_PATCH, ConcurrencySlot, type SlotSnapshot } from './concurrency-slot';
import { nodeSlotHolder, resolveConcurrencyKey, runSlotHolder } from '../core/concurrency';
import {
  DEADLINE_EXCEEDED,
  EXPRESSION_FAILED,
  INVALID_SPEC,
  NEEDS_REVIEW,
  NODE_CANCELLED,
  NODE_FAILED,
  RUN_CANCELLED,
  RUN_TIMED_OUT,
} from '../core/failure-types';
import { specUsesExpressions } from '../core/expressions/spec-expressions';
import { gateNode } from './node-gate';
import { planRerun } from '../core/operator-rules';
import { rerunConditions } from '../core/rerun-conditions';
import { holdsTemplates } from '../core/expressions/templates';
import { ActiveClock, type ActiveClockSnapshot } from './active-clock';
import { cascade } from './child-node';
import { registerOperatorHandlers } from './operator-handlers';
import type { NodeOutcome } from './node-activity';
import { nodeRunner, type RunnerContext } from './node-runners';
import { LIVE_VIEWS_PATCH, ProgressPublisher } from './progress-publisher';
import { RunBook, type RunBookSnapshot } from './run-book';
import { StoreReporter } from './store-reporter';
import { LEAN_BOOKKEEPING_PATCH, patchAsker } from './lean-bookkeeping';
import { LocalStepPacer } from './local-steps';
import { isLocalStep } from './node-activity';
import { startWaiting, type Waiter } from './waiting-nodes';
import { requestOwnCancel, temporalCancelReason } from './cancel-calls';

/**
 * Runs started before the run store was wired in have no record calls in their history; this
 * patch keeps them replaying (see test/replay).
 */
export const STORE_RECORDS_PATCH = 'tapflow-store-records';

/**
 * A run paused while its last nodes were in flight used to complete as soon as they finished. It
 * now comes to rest `paused`, as a pause promises (nodes in flight finish, then the
 * run is paused), and completes once resumed; runs recorded before keep completing on replay.
 */
export const PAUSE_HOLDS_END_PATCH = 'tapflow-pause-holds-end';

/**
 * A run cancelled by the `cancel` update or signal used to wait up to 30 s for a Temporal cancel
 * request (only tapflow's client sent one) and otherwise end Failed in Temporal. It now asks
 * Temporal to cancel it (through the worker) and ends Canceled at once; a Temporal cancel's
 * reason is read from the history. Runs recorded before keep their old end on replay.
 */
export const CANCEL_ENDS_CANCELED_PATCH = 'tapflow-cancel-ends-canceled';

/**
 * Specs that decide and wire data (`when`, `trigger`, `repeat`, `${{ }}` templates). Before, the
 * workflow refused those fields and passed `${{` strings on as written; runs started then replay
 * so. The patch is asked at the start only of specs that use them, so other runs' histories do
 * not change; any other run asks it when a node fails, as a failure now skips what it rules out
 * at once (see `RunBook.fail`).
 */
export const EXPRESSIONS_PATCH = 'tapflow-expressions';

/** State carried from one execution of a run to the next through continue-as-new. */
interface Carried {
  book: RunBookSnapshot;
  state: RunState;
  reason?: string;
  /** How a cancel in progress came (runs carried before this was kept have none). */
  cancelVia?: CancelVia;
  startedAt: string;
  firstRunId: string;
  /** The store reporter's last sequence number. */
  seq?: number;
  products?: string[];
  plots?: string[];
  /** The paused clock. */
  clock?: ActiveClockSnapshot;
  /** Whether the run reads its spec's expressions (absent: carried before they existed). */
  expressions?: boolean;
  /** The run's concurrency slot, when its spec limits it. */
  slot?: SlotSnapshot;
  /** How many node slots the run has asked for (each start of a node is a holder of its own). */
  nodeSlots?: number;
}

/** Continue-as-new once the history passes this many events (Temporal warns at 10,240). */
const CONTINUE_AS_NEW_EVENTS = 8000;
/** ... or this many bytes (Temporal warns at 10 MB). */
const CONTINUE_AS_NEW_BYTES = 8 * 1024 * 1024;

/** Runs with more nodes than this are written live at each whole percent, not at each node. */
const LIVE_NODE_DETAIL_LIMIT = 1000;
/** Every this many live writes carries every node's status, whatever changed. */
const LIVE_WHOLE_EVERY = 64;

/** How long a run recorded before {@link CANCEL_ENDS_CANCELED_PATCH} waits for the client's Temporal cancel request, in ms. */
const TEMPORAL_CANCEL_GRACE_MS = 30_000;
/** How long a cancelled run waits for its own cancel request to come back from Temporal, in ms. */
const OWN_CANCEL_WAIT_MS = 10_000;

/** Runs a pipeline spec. See the module comment for the rules. */
export async function pipelineWorkflow(input: PipelineRunArgs): Promise<PipelineRunResult> {
  /**
   * Whether this run reads the spec's expressions (see {@link EXPRESSIONS_PATCH}). A run carried
   * across continue-as-new keeps what its first execution decided: one started before
   * expressions existed carries no flag and goes on without them.
   */
  // Asked first, before any other patch: a run that carries it asks no other (lean-bookkeeping.ts).
  const lean = patched(LEAN_BOOKKEEPING_PATCH);
  const since = patchAsker(lean);
  const carriedFlag = (input.carried as Carried | undefined)?.expressions;
  const expressive = input.carried ? carriedFlag === true : specUsesExpressions(input.spec) && since(EXPRESSIONS_PATCH);
  const checked = validateSpec(input.spec, { expressions: expressive });
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
  const scheduleId = meta.scheduleId ?? scheduledBy();
  const recorded = since(STORE_RECORDS_PATCH);
  const reporter = new StoreReporter(recorded, info.taskQueue, carried?.seq, recorded && since(LIVE_VIEWS_PATCH), lean);
  const book = new RunBook(spec, carried?.book, carried ? undefined : input.reuse, new Date().toISOString());
  // The clock's timers run under the root scope: cancelling the nodes must not stop it.
  const clock = new ActiveClock(CancellationScope.current(), carried?.clock);
  const maxParallel = spec.maxParallel ?? DEFAULT_MAX_PARALLEL;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const firstRunId = carried?.firstRunId ?? info.runId;
  const runOnFailure = meta.onFailure ?? spec.defaults?.onFailure ?? 'fail';

  /** The run's state, reason and how it ends: every change goes through it. */
  const run = new RunMachine(carried ? { state: carried.state, reason: carried.reason, cancelVia: carried.cancelVia } : undefined);
  /** Why the run cannot have a concurrency key (its template failed on the params), if so. */
  let keyProblem: string | undefined;
  /** The run's concurrency slot, when its spec limits it: until it has one, nothing starts. */
  const slot = ((): ConcurrencySlot | undefined => {
    const limit = spec.concurrency;
    if (limit === undefined || !since(CONCURRENCY_PATCH)) return undefined;
    let state = carried?.slot;
    if (!state) {
      const key = resolveConcurrencyKey(limit, input.params);
      if (!key.ok) {
        keyProblem = key.error;
        return undefined;
      }
      state = { key: key.key, limit: limit.limit, admitted: false, asked: false, ticket: 0 };
    }
    const owner = {
      scope: 'runs' as const,
      holder: runSlotHolder(info.workflowId),
      workflowId: info.workflowId,
      taskQueue: info.taskQueue,
      priority: meta.priority ?? DEFAULT_PRIORITY,
      arrivedAt: startedAt,
    };
    return new ConcurrencySlot(owner, state);
  })();
  if (slot && !carried && !slot.admitted) {
    // Queued time is not active time: the deadline counts from the admission.
    run.enqueue(slot.waitingReason);
    clock.stop();
    slot.ask();
  }
  let finishedAt: string | undefined;
  /** Paths the activities reported (the files they produced and the plots they drew), in order, once each. */
  const products = new Set(carried?.products);
  const plots = new Set(carried?.plots);
  /** The state last written to the store. */
  let recordedState: RunState | undefined = carried?.state;
  /** Set whenever something the main loop acts on changes; the loop waits on it. */
  let dirty = false;
  const wake = (): void => {
    dirty = true;
  };
  /** Sleep and event nodes waiting (they do not work: pause does not wait for them). */
  const waiting = new Map<string, Waiter>();
  /** Nodes with their own cancellation scope (those with a deadline). */
  const nodeScopes = new Map<string, CancellationScope>();
  /** Per node, how to remove its deadline alarm; and the nodes whose deadline has passed. */
  const deadlineAlarms = new Map<string, () => void>();
  const pastDeadline = new Set<string>();
  /** Outputs of nodes no attempt row holds (skips, sleeps, events), for the store's next write. */
  const unrecordedOutputs = new Map<string, unknown>();
  /** Pipeline and map nodes in flight: node id to their running child ids. They pause with the run (see `cascade`). */
  const children = new Map<string, string[]>();
  /** Nodes in flight that take a `maxParallel` slot and hold up continue-as-new: activities and children. */
  /** Nodes in flight that wait for a concurrency slot (or hold one), with their slots. */
  const nodeSlots = new Map<string, ConcurrencySlot>();
  /** Node slots being given back: the run ends only once they are. */
  const slotReleases: Array<Promise<void>> = [];
  let nodeSlotCount = carried?.nodeSlots ?? 0;
  const busy = (): number => book.inFlight - waiting.size;
  /** Nodes in flight that work here (activities): a pause waits for these. */
  const working = (): number => busy() - children.size - [...nodeSlots.values()].filter((s) => !s.admitted).length;
  const nesting = input.nesting ?? { depth: 0, maxDepth: spec.maxDepth ?? DEFAULT_MAX_DEPTH };
  /** Ends the workflow task between local steps, so the run answers (before any handler: they tell it). */
  const pacer = new LocalStepPacer(spec.nodes.some((n) => isLocalStep(spec, n)), info.taskQueue);

  const status = (): RunStatus => {
    const s: RunStatus = {
      workflowId: info.workflowId,
      runId: firstRunId,
      pipeline: spec.name,
      ...(meta.pipelineVersion === undefined ? {} : { pipelineVersion: meta.pipelineVersion }),
      ...(scheduleId === undefined ? {} : { scheduleId }),
      state: run.state,
      progress: book.progress(),
      nodes: book.nodeStatuses(),
      startedAt,
    };
    if (run.reason !== undefined) s.reason = run.reason;
    if (finishedAt !== undefined) s.finishedAt = finishedAt;
    return s;
  };
  const view = () => ({ state: run.state, nodes: book.nodeStatuses() });

  const recordAction = (
    action: ControlAction | OperatorAction,
    request: ControlRequest,
    refused?: string,
    nodeId?: string,
    details?: Record<string, unknown>,
  ): void => {
    reporter.control({
      workflowId: info.workflowId,
      requestId: request.requestId ?? currentUpdateInfo()?.id ?? uuid4(),
      action,
      requestedBy: request.by,
      reason: request.reason,
      requestedAt: new Date().toISOString(),
      accepted: refused === undefined,
      refusal: refused,
      ...(nodeId === undefined ? {} : { nodeId }),
      ...(details === undefined ? {} : { details }),
    });
  };

  /** Tells the run what its nodes now say: `held` while a node is held, `paused` once nothing works. */
  const settle = (): void => {
    // Counted, so a run with nothing held does not look at every node on every turn.
    const held = book.held > 0 ? book.heldIds() : [];
    if (held.length > 0) {
      const first = book.recordOf(held[0] as string);
      const more = held.length > 1 ? ` (and ${held.length - 1} more held)` : '';
      run.hold(`node "${held[0]}" is held: ${first.error ?? 'it failed'}${more}`);
    } else {
      run.release();
    }
    if (run.state === 'pausing' && working() === 0 && run.drained()) {
      log.info('run paused: the nodes in flight have finished', { pipeline: spec.name });
    }
  };

  /** Ends every waiting node as cancelled (the run is stopping). */
  const cancelWaiting = (): void => {
    for (const waiter of [...waiting.values()]) waiter.cancel();
  };
  /** Stops the run's nodes: a cancel, a failed node, the run's own limit. */
  const stopNodes = (): void => {
    nodeScope.cancel();
    cancelWaiting();
  };

  const control = (action: ControlAction, request: ControlRequest, via: CancelVia): ControlAck => {
    recordAction(action, request);
    if (action !== 'cancel' && children.size > 0) {
      // Cancel reaches children through the node scope; pause and resume go as signals.
      cascade(action === 'pause' ? pauseSignal : resumeSignal, [...children.values()].flat(), {
        ...request,
        requestId: request.requestId ?? currentUpdateInfo()?.id,
      });
    }
    // The validator (an update) or the signal handler has checked the run takes the action.
    run.control(action, request.reason, request.by, via);
    if (action === 'pause') {
      clock.stop();
      // What waits for a slot gives its place up while paused (it keeps its turn: when it asked).
      slot?.withdraw();
      for (const s of nodeSlots.values()) s.withdraw();
    }
    if (action === 'resume') {
      if (slot && !slot.admitted) {
        run.enqueue(slot.waitingReason);
        slot.ask();
      } else {
        clock.start();
        for (const s of nodeSlots.values()) s.ask();
      }
    }
    if (action === 'cancel') stopNodes();
    else settle();
    log.info(`run ${action}`, { state: run.state, reason: run.reason, by: request.by });
    pacer.changed();
    wake();
    return { state: run.state };
  };

  const validator =
    (action: ControlAction) =>
    (_request: ControlRequest): void =>
      refuseIf(run.refusal(action));
  const onSignal = (action: ControlAction) => (request: ControlRequest = {}): void => {
    const why = run.refusal(action);
    if (why) {
      log.warn(`${action} signal ignored: ${why}`, {});
      recordAction(action, request, why);
    } else control(action, request, 'signal');
  };
  // Every handler is registered before the first await.
  setHandler(statusQuery, status);
  setHandler(rerunPreviewQuery, ({ from }): RerunPreview => {
    const plan = planRerun(view(), from);
    if (typeof plan === 'string') return { refused: plan };
    const reused = new Map<string, unknown>();
    for (const id of plan.reused) if (book.outputOf(id) !== undefined || book.recordOf(id).state === 'skipped') reused.set(id, book.outputOf(id));
    return { conditions: rerunConditions(spec, plan.rerun, reused, input.params) };
  });
  setHandler(pauseUpdate, (r) => control('pause', r, 'update'), { validator: validator('pause') });
  setHandler(resumeUpdate, (r) => control('resume', r, 'update'), { validator: validator('resume') });
  setHandler(cancelUpdate, (r) => control('cancel', r, 'update'), { validator: validator('cancel') });
  setHandler(pauseSignal, onSignal('pause'));
  setHandler(resumeSignal, onSignal('resume'));
  setHandler(cancelSignal, onSignal('cancel'));
  setHandler(slotGrantedSignal, (grant) => {
    if (slot && grant.holder === slot.holder) {
      if (!slot.accept(grant)) return;
      if (run.state === 'queued') {
        run.admit();
        clock.start();
        log.info('run admitted: it has a concurrency slot', { key: slot.key });
      }
    } else {
      for (const [id, s] of nodeSlots) if (s.holder === grant.holder && s.accept(grant)) book.waitFor(id, undefined);
    }
    wake();
  });
  registerOperatorHandlers({
    book,
    waiting,
    unrecordedOutputs,
    state: () => run.state,
    view,
    record: recordAction,
    changed: () => {
      settle();
      pacer.changed();
      wake();
    },
  });

  /**
   * All node activities run in this scope, so one cancel reaches every node in flight. The
   * main loop runs inside it (entered once, not once per node: each scope entry costs promises).
   */
  const nodeScope = new CancellationScope();
  const inFlight = new Map<string, Promise<void>>();
  const publisher = new ProgressPublisher(spec.name, since, lean);
  const publish = (force = false): void => publisher.publish(run.state, book.progress(), run.reason, force);

  /** Reports how a node ended: the one place a node leaves flight. */
  const finish = (id: string, outcome: NodeOutcome): void => {
    // Nodes other than activities make one attempt per round; rounds number on.
    const kind = book.spec(id).kind;
    if (kind !== undefined && kind !== 'activity' && outcome.kind !== 'skipped') {
      outcome = { ...outcome, attempts: (book.recordOf(id).earlierAttempts ?? 0) + 1 };
    }
    try {
      record(id, outcome);
    } finally {
      inFlight.delete(id);
      waiting.delete(id);
      children.delete(id);
      nodeScopes.delete(id);
      deadlineAlarms.get(id)?.();
      deadlineAlarms.delete(id);
      pastDeadline.delete(id);
      settle();
      wake();
    }
  };

  // What activity, pipeline and map nodes run (node-runners.ts).
  const runners: RunnerContext = {
    book,
    spec,
    runId: info.workflowId,
    taskQueue: info.taskQueue,
    params: input.params,
    meta,
    maxParallel,
    nesting,
    children,
    optionsCache: new Map(),
    pacer,
    since,
    finish,
    mayStart: () => condition(() => run.state === 'running' || run.state === 'held'),
  };

  /** Starts a node; called from the main loop, so inside `nodeScope`. */
  /**
   * A node's work behind its `concurrency`: it asks the key's coordinator for a slot (showing
   * `waitingFor: concurrency <key>`), starts once it has one, and gives it back when it ends. A
   * cancel (the run's, or its deadline) while it waits ends it cancelled.
   */
  const withNodeSlot = (id: string, node: NodeSpec, work: () => Promise<void>): (() => Promise<void>) => {
    const limit = node.concurrency;
    if (limit === undefined || !since(CONCURRENCY_PATCH)) return work;
    return async () => {
      const key = resolveConcurrencyKey(limit, input.params, 'concurrency');
      if (!key.ok) {
        finish(id, { kind: 'failed', error: key.error, errorType: EXPRESSION_FAILED, attempts: 0 });
        return;
      }
      const owner = {
        scope: 'nodes' as const,
        holder: nodeSlotHolder(info.workflowId, id, ++nodeSlotCount),
        workflowId: info.workflowId,
        taskQueue: info.taskQueue,
        priority: meta.priority ?? DEFAULT_PRIORITY,
        arrivedAt: new Date().toISOString(),
      };
      const nodeSlot = new ConcurrencySlot(owner, { key: key.key, limit: limit.limit, admitted: false, asked: false, ticket: 0 });
      nodeSlots.set(id, nodeSlot);
      book.waitFor(id, nodeSlot.waitingFor);
      nodeSlot.ask();
      const giveBack = (): void => {
        nodeSlots.delete(id);
        book.waitFor(id, undefined);
        slotReleases.push(CancellationScope.nonCancellable(() => nodeSlot.release()));
      };
      try {
        await condition(() => nodeSlot.admitted);
      } catch (err) {
        giveBack();
        if (!isCancellation(err)) throw err;
        finish(id, { kind: 'cancelled', attempts: 0 });
        return;
      }
      try {
        await work();
      } finally {
        giveBack();
      }
    };
  };

  const launch = (id: string): void => {
    const node = book.spec(id);
    log.debug('node started', { nodeId: id, kind: node.kind ?? 'activity', activity: node.activity });
    const activeStart = book.recordOf(id).activeStart ?? clock.now();
    const limit = node.deadline === undefined ? undefined : parseDuration(node.deadline);
    if (limit !== undefined) {
      deadlineAlarms.set(
        id,
        clock.at(activeStart + limit, () => {
          pastDeadline.add(id);
          const message = `passed its deadline of ${describeDuration(node.deadline as DurationSpec, limit)}`;
          const waiter = waiting.get(id);
          if (waiter) waiter.fail(message, DEADLINE_EXCEEDED);
          else nodeScopes.get(id)?.cancel();
        }),
      );
    }
    if (node.kind === 'sleep' || node.kind === 'event') {
      const waiter = startWaiting({ clock, scope: nodeScope, finish }, id, node, activeStart, book.takeDelivered(id));
      // A delivered event ends the node at once, inside startWaiting.
      if (book.recordOf(id).state === 'running') waiting.set(id, waiter);
      return;
    }
    if ((node.kind === 'pipeline' || (node.kind === 'map' && node.pipeline)) && nesting.depth + 1 > nesting.maxDepth) {
      const error = `a child pipeline here would nest ${nesting.depth + 1} deep; the limit (maxDepth) is ${nesting.maxDepth}`;
      finish(id, { kind: 'failed', error, errorType: NODE_FAILED, attempts: 1 });
      return;
    }
    const run = withNodeSlot(id, node, nodeRunner(runners, id));
    if (limit === undefined) {
      inFlight.set(id, run());
      return;
    }
    // Its own scope, so its deadline cancels it alone.
    const scope = new CancellationScope();
    nodeScopes.set(id, scope);
    inFlight.set(id, scope.run(run));
  };

  const onFailureOf = (id: string): 'fail' | 'hold' => book.spec(id).onFailure ?? runOnFailure;

  const record = (id: string, outcome: NodeOutcome): void => {
    const now = new Date().toISOString();
    if (outcome.kind === 'cancelled' && !pastDeadline.has(id) && !run.ending) {
      // Nothing in this run cancelled it (a child run cancelled from outside, say): a node that
      // ends without its output is a failure, or the run would complete without it.
      outcome = { kind: 'failed', error: 'was cancelled, though the run was not', errorType: NODE_CANCELLED, attempts: outcome.attempts };
    }
    if (outcome.kind === 'cancelled' && pastDeadline.has(id)) {
      const node = book.spec(id);
      const limit = parseDuration(node.deadline as DurationSpec) ?? 0;
      outcome = {
        kind: 'failed',
        error: `passed its deadline of ${describeDuration(node.deadline as DurationSpec, limit)}`,
        errorType: DEADLINE_EXCEEDED,
        attempts: outcome.attempts,
      };
    }
    if (outcome.kind === 'completed') {
      book.complete(id, outcome.output, outcome.attempts, now);
      for (const path of outcome.products ?? []) products.add(path);
      for (const path of outcome.plots ?? []) plots.add(path);
      if (book.spec(id).kind === 'sleep' || book.spec(id).kind === 'event') unrecordedOutputs.set(id, outcome.output);
      log.debug('node completed', { nodeId: id, attempts: outcome.attempts });
    } else if (outcome.kind === 'skipped') {
      book.skip(id, outcome.output, now, 'timeout');
      unrecordedOutputs.set(id, outcome.output);
      log.debug('node skipped', { nodeId: id });
    } else if (outcome.kind === 'cancelled') {
      book.cancelled(id, outcome.attempts, now);
      log.debug('node cancelled', { nodeId: id, attempts: outcome.attempts });
    } else if (!run.ending && (outcome.errorType === NEEDS_REVIEW || onFailureOf(id) === 'hold')) {
      book.hold(id, outcome.error, outcome.errorType, outcome.attempts, now);
      log.warn('node held for an operator', { nodeId: id, error: outcome.error, attempts: outcome.attempts });
    } else {
      // Passing a failure on skips its dependents at once, which shows in the progress published
      // at once: runs recorded before published it only as they ended (asked lazily, so only a
      // run with a failure carries the marker).
      book.fail(id, outcome.error, outcome.errorType, outcome.attempts, now, expressive || since(EXPRESSIONS_PATCH));
      log.warn('node failed', { nodeId: id, error: outcome.error, attempts: outcome.attempts });
      // A node its failure has not ruled out (a join by `one_success` or `all_done`) may still
      // run: the run goes on, and fails once everything has ended.
      if (expressive && book.pendingDownstream(id)) {
        log.info('the nodes that can still run go on; the run fails once they end', { nodeId: id });
      } else if (run.stop({ kind: 'failed', nodeId: id }, failureReason(id))) {
        stopNodes();
      }
    }
  };

  /**
   * Whether node `id` is decided and resolved with expressions: in a run whose spec uses them, or
   * when an operator gave it an input with templates (asked of the patch then, so a run recorded
   * before, whose edited `${{` was taken as written, replays so).
   */
  const readsExpressions = (id: string): boolean =>
    expressive || (book.recordOf(id).inputEdited === true && holdsTemplates(book.writtenInputOf(id)) && since(EXPRESSIONS_PATCH));

  /** Why the run fails for node `id`'s failure. */
  const failureReason = (id: string): string => {
    const r = book.recordOf(id);
    const plural = r.attempts === 1 ? '' : 's';
    const after = r.attempts > 0 ? ` after ${r.attempts} attempt${plural}` : '';
    return `node "${id}" failed${after}: ${r.error ?? 'it failed'}`;
  };

  /** What every run write carries. */
  const runReport = () => ({
    workflowId: info.workflowId,
    pipeline: spec.name,
    state: run.state,
    reason: run.reason,
    attempt: info.attempt,
    progressCompleted: book.progress().completed,
    progressSkipped: book.progress().skipped,
    progressTotal: book.progress().total,
    executionRunId: info.runId,
    executionStartedAt: executionStartedAt(),
  });
  /** What the run's first write carries; a live run's final record carries it too (a sink may lose the first write). */
  const startFields = () => {
    const retry = spec.defaults?.retry?.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS;
    return {
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
      idempotencyKey: meta.idempotencyKey,
      ...(input.reuse ? { rerunOf: input.reuse.of } : {}),
      ...(meta.pipelineVersion === undefined ? {} : { pipelineVersion: meta.pipelineVersion }),
      ...(scheduleId === undefined ? {} : { scheduleId }),
    };
  };
  /** Outputs the store has no attempt row for, taken for the next write. */
  const takeOutputs = (): { outputs?: Record<string, unknown> } => {
    if (unrecordedOutputs.size === 0) return {};
    const outputs = Object.fromEntries(unrecordedOutputs);
    unrecordedOutputs.clear();
    return { outputs };
  };
  /** What the last live write said (state, reason, progress, held nodes, pending outputs). */
  let liveSaid = '';
  /**
   * Whether the next live write must carry every node's status rather than the changes: the
   * execution's first, and the first after a replay (the writes made while replaying were not
   * sent, so the worker has no list to lay changes over).
   */
  let liveWhole = true;
  let liveWrites = 0;
  /**
   * Writes the run's row. Runs recorded before live records: when the state has changed since the
   * last write (each write is an activity). Live runs: whenever what the views show changed (a
   * sink call costs no history event). Each write carries every node's status, so a run of more
   * than {@link LIVE_NODE_DETAIL_LIMIT} nodes is written when its state, reason or whole percent
   * changes rather than at every node, which bounds it to about a hundred writes. Live writes
   * leave the outputs pending for the next durable write, since a live write may be lost.
   */
  const reportState = (force = false): void => {
    if (!reporter.enabled) return;
    if (!reporter.live) {
      if (run.state === recordedState && !force) return;
      recordedState = run.state;
      reporter.run({ ...runReport(), nodes: book.nodeStatuses(), ...takeOutputs() });
      return;
    }
    const p = book.progress();
    const detail = p.total <= LIVE_NODE_DETAIL_LIMIT ? `${p.completed}|${p.skipped}|${p.running}|${unrecordedOutputs.size}` : `${p.percent}`;
    const said = `${run.state}|${run.reason ?? ''}|${p.failed}|${book.held}|${detail}`;
    if (said === liveSaid && !force) return;
    recordedState = run.state;
    liveSaid = said;
    const changed = book.takeChanged();
    if (workflowInfo().unsafe.isReplaying) {
      // The sink is not called on replay: build nothing (the number is taken all the same), and
      // send the whole list next time.
      reporter.skipLive();
      liveWhole = true;
      return;
    }
    liveWrites += 1;
    // Every so often the whole list, so a worker that lost the run's list (it keeps a bounded
    // number) has it again soon; and whenever most nodes changed anyway.
    const whole = liveWhole || liveWrites % LIVE_WHOLE_EVERY === 0 || changed.length * 2 >= p.total;
    liveWhole = false;
    const nodes = whole ? { nodes: book.nodeStatuses() } : { nodeChanges: changed.map((id) => book.nodeStatus(id)) };
    const outputs = unrecordedOutputs.size > 0 ? { outputs: Object.fromEntries(unrecordedOutputs) } : {};
    reporter.run({ ...runReport(), ...nodes, ...outputs });
  };
  /** Writes the run's row through the record activity, durably, with its pending outputs. */
  const recordDurably = (): void => {
    recordedState = run.state;
    reporter.run({ ...runReport(), nodes: book.nodeStatuses(), ...takeOutputs() }, { durable: true });
  };

  if (!carried) {
    recordedState = run.state;
    reporter.run({
      ...runReport(),
      ...startFields(),
      ...(input.reuse ? { nodes: book.nodeStatuses() } : {}),
    });
    log.info('run started', { pipeline: spec.name, nodes: spec.nodes.length, ...(input.reuse ? { rerunOf: input.reuse.of } : {}) });
  }

  const historyIsLong = (): boolean => {
    const now = workflowInfo();
    const events = input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_EVENTS;
    return now.historyLength >= events || now.historySize >= CONTINUE_AS_NEW_BYTES;
  };

  /** Stops the run for its own limit (the wall-clock timeout, the active-time deadline). */
  const expire = (type: string, message: string): void => {
    if (book.allFinished() || !run.stop({ kind: 'expired', failureType: type, message }, message)) return;
    stopNodes();
    wake();
  };

  // A run restarted by continue-as-new while cancelling finishes its cancel straight away.
  if (run.cancelling) nodeScope.cancel();
  CancellationScope.current().cancelRequested.catch(() => {
    // Temporal's cancel (the Web UI, `temporal workflow cancel`, a client's cancel(), or the
    // run's own request after a cancel update): the node scope is cancelled with the root.
    if (run.temporalCancel()) cancelWaiting();
    wake();
  });
  const limit = meta.timeout === undefined ? undefined : parseDuration(meta.timeout);
  if (limit !== undefined) {
    const left = Date.parse(startedAt) + limit - Date.now();
    // Outside nodeScope: our own cancel must not stop the clock. Temporal's cancel ends it.
    void sleep(Math.max(left, 1)).then(
      () => expire(RUN_TIMED_OUT, `run timed out after ${describeDuration(meta.timeout as DurationSpec, limit)}`),
      () => undefined,
    );
  }
  const deadlineSpec = meta.deadline ?? spec.deadline;
  const deadline = deadlineSpec === undefined ? undefined : parseDuration(deadlineSpec);
  if (deadline !== undefined) {
    clock.at(deadline, () =>
      expire(DEADLINE_EXCEEDED, `run passed its deadline of ${describeDuration(deadlineSpec as DurationSpec, deadline)} (time paused not counted)`),
    );
  }
  /**
   * Whether a run with every node finished stays open because it is paused (or pausing): it ends
   * once resumed or cancelled. Its wall-clock timeout no longer applies then (`expire` returns
   * early once every node has finished): the work is done, and it waits for the operator.
   */
  const pauseHoldsEnd = (): boolean => (run.state === 'pausing' || run.state === 'paused') && since(PAUSE_HOLDS_END_PATCH);
  /** Starts nodes as they become ready until the run ends, is cancelled or a node fails. */
  const mainLoop = async (): Promise<void> => {
    for (;;) {
      if (run.ending) return;
      const draining = historyIsLong();
      if ((run.state === 'running' || run.state === 'held') && !draining && pacer.due && book.hasReady()) {
        // Local steps have kept the workflow task open long enough: end it before the next
        // node, so what waits for the run (a pause, a cancel, a status query) is answered.
        await pacer.endTask();
        continue;
      }
      if ((run.state === 'running' || run.state === 'held') && !draining) {
        while (busy() < maxParallel) {
          const id = book.startNext(new Date().toISOString(), clock.now());
          if (id === undefined) break;
          const gate = readsExpressions(id) ? gateNode(book, id, input.params) : { kind: 'run' as const };
          if (gate.kind === 'run') launch(id);
          else if (gate.kind === 'skip') {
            book.skipForCondition(id, new Date().toISOString());
            unrecordedOutputs.set(id, null);
            log.debug('node skipped: its condition is false', { nodeId: id });
          } else {
            record(id, { kind: 'failed', error: gate.error, errorType: EXPRESSION_FAILED, attempts: 0 });
            settle();
            if (run.ending) break;
          }
        }
      }
      settle();
      if (book.allFinished() && !pauseHoldsEnd()) return;
      if (run.ending) return;
      if (book.inFlight === 0 && !book.hasReady() && run.state === 'running' && !draining) {
        // Unreachable with a valid graph; fail loudly rather than hang.
        throw ApplicationFailure.nonRetryable('no node can start and none is running', NODE_FAILED);
      }
      if (draining && busy() === 0) {
        await condition(allHandlersFinished);
        // A request for a slot still going out must be out before this execution ends.
        await slot?.flush();
        publish(true);
        if (reporter.live) {
          if (unrecordedOutputs.size > 0) recordDurably();
          else reportState(true);
        } else {
          reportState(unrecordedOutputs.size > 0);
        }
        await reporter.settle();
        const { state, reason, cancelVia } = run.snapshot();
        const next: Carried = {
          book: book.snapshot(),
          state,
          startedAt,
          firstRunId,
          seq: reporter.lastSeq,
          products: [...products],
          plots: [...plots],
          clock: clock.snapshot(),
          expressions: expressive,
        };
        if (slot) next.slot = slot.snapshot();
        if (nodeSlotCount > 0) next.nodeSlots = nodeSlotCount;
        if (reason !== undefined) next.reason = reason;
        if (cancelVia !== undefined) next.cancelVia = cancelVia;
        log.info('continuing as new', { historyLength: workflowInfo().historyLength });
        const nextInput: PipelineRunArgs = { ...input, carried: next };
        await continueAsNew<typeof pipelineWorkflow>(nextInput);
      }
      publish();
      reportState();
      dirty = false;
      await condition(() => dirty);
    }
  };

  // A concurrency key that cannot be had fails the run before anything starts.
  if (keyProblem !== undefined) run.stop({ kind: 'expired', failureType: EXPRESSION_FAILED, message: keyProblem }, keyProblem);
  try {
    await nodeScope.run(mainLoop);
    // Every node has ended and one failed that the run went on past: the run fails now.
    const failed = expressive && !run.ending ? book.failedIds()[0] : undefined;
    if (failed !== undefined) run.stop({ kind: 'failed', nodeId: failed }, failureReason(failed));
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The scope is cancelled by our own cancel, a failed node and the run's own limits (all
    // already with the machine), and by Temporal's cancel: the root scope's handler above has
    // usually seen that first, but the order of the two is not promised.
    if (!run.ending && run.temporalCancel()) cancelWaiting();
  }

  // Ending: let the nodes in flight settle (cancelled ones acknowledge), whatever cancels us.
  return await CancellationScope.nonCancellable(async () => {
    if (run.ending) {
      publish(true);
      reportState();
    }
    const cause = run.cause;
    // Both asked while the nodes settle, so neither adds to how long the end takes.
    const explained = cause?.kind === 'cancel' && cause.via === 'temporal' && since(CANCEL_ENDS_CANCELED_PATCH) ? temporalCancelReason() : undefined;
    const ownCancel =
      cause?.kind === 'cancel' && !run.cancelledThroughTemporal && since(CANCEL_ENDS_CANCELED_PATCH) ? requestOwnCancel() : undefined;
    await Promise.all(inFlight.values());
    // Slots go back before the final record: the next run of the key need not wait for it.
    const releaseSlots = async (): Promise<void> => {
      await slot?.release();
      await Promise.all(slotReleases);
    };
    // A run shows its end before its slots go back, in the same workflow task: the next run of
    // the key, started once they are back, never shows `running` beside one that still does.
    // Runs recorded before gave them back first.
    if (!lean) await releaseSlots();
    const told = await explained;
    if (told) run.explainTemporalCancel(told);
    const now = new Date().toISOString();
    if (run.cancelling) book.endPending('cancelled', now);
    else if (run.ending) book.endPending('skipped', now);
    const state = run.end();
    const reason = run.reason;
    finishedAt = now;
    publish(true);
    if (lean) await releaseSlots();
    await condition(allHandlersFinished);
    if (reporter.enabled) {
      recordedState = state;
      const nodes = book.nodeStatuses();
      reporter.run(
        {
          ...runReport(),
          ...(reporter.live ? startFields() : {}),
          nodes,
          result: state === 'completed' ? book.result() : undefined,
          products: [...products],
          plots: [...plots],
          finishedAt: now,
          ...takeOutputs(),
        },
        { reconcile: nodes },
      );
      // The run stays open until its final record has landed: the store must not miss it.
      await reporter.settle();
    }
    log.info(`run ${state}`, { pipeline: spec.name, reason });
    if (cause?.kind === 'cancel') {
      // Temporal shows a run as Canceled only when Temporal itself was asked to cancel it. A
      // workflow cannot ask that of itself, so a cancel that came as an update or a signal has
      // the worker ask (requestOwnCancel); the request arrives as Temporal's cancel.
      if (ownCancel) {
        if (await ownCancel) await condition(() => run.cancelledThroughTemporal, OWN_CANCEL_WAIT_MS);
      } else if (cause.via === 'update' && !run.cancelledThroughTemporal) {
        // Runs recorded before the own request: the client follows an accepted cancel update with
        // that request; wait a little for it.
        await condition(() => run.cancelledThroughTemporal, TEMPORAL_CANCEL_GRACE_MS);
      }
      if (run.cancelledThroughTemporal) throw new CancelledFailure(reason ?? 'cancelled');
      throw ApplicationFailure.create({ message: reason ?? 'cancelled', type: RUN_CANCELLED, nonRetryable: true });
    }
    if (cause?.kind === 'expired') {
      throw ApplicationFailure.create({ message: cause.message, type: cause.failureType, nonRetryable: true });
    }
    if (cause?.kind === 'failed') {
      throw ApplicationFailure.create({
        message: reason ?? 'a node failed',
        type: NODE_FAILED,
        nonRetryable: true,
        details: [{ nodeId: cause.nodeId }],
      });
    }
    return book.result();
  });
}

/**
 * When this execution started, as the store orders executions by it. A reset execution replays
 * the original's start, so its writes give the time they are made instead (every write that goes
 * out is made after the reset): either way later than anything an earlier execution wrote.
 */
function executionStartedAt(): string {
  const info = workflowInfo();
  const reset = info.originalExecutionRunId !== undefined && info.runId !== info.originalExecutionRunId;
  return (reset ? new Date() : info.runStartTime).toISOString();
}

/** A duration as the spec wrote it, or formatted. */
function describeDuration(written: DurationSpec, ms: number): string {
  return typeof written === 'string' ? written : formatDuration(ms);
}

/**
 * The Temporal Schedule that started this run, by Temporal's own search attribute: a schedule of
 * `pipelineWorkflow` made with any Temporal client is recorded as tapflow's are. It is part of the
 * start event, so every replay reads the same.
 */
function scheduledBy(): string | undefined {
  const id = workflowInfo().typedSearchAttributes.get(SCHEDULED_BY_SEARCH_ATTRIBUTE);
  return typeof id === 'string' && id !== '' ? id : undefined;
}
