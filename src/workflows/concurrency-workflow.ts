/**
 * The coordinator of one concurrency key (`concurrencyWorkflow`, workflow id
 * `tapflow-concurrency/runs/<key>`): it counts the key's slots across every run that names it.
 *
 * A run asks for a slot with a signal (its worker signals-with-start this workflow, so the first
 * run of a key starts it); the coordinator grants slots while fewer than `limit` are held, best
 * first (priority, then the time the run started, then the order the requests came), by
 * signalling the run; the run gives its slot back with a signal when it ends, however it ends by
 * itself. A run Temporal ended (terminated, timed out) sends nothing: every 10 seconds, while it
 * has holders, the coordinator asks its worker which of them are closed (one local activity) and
 * frees their slots. A grant that cannot be delivered (the run is gone) frees the slot at once.
 *
 * One workflow per key serialises the key's decisions, which is what makes the count exact; its
 * cost is a few history events per run (see docs/design/concurrency.md), and it continues as new
 * before its history grows long. With nothing held or waiting for a minute it ends; the next
 * request starts it again.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CLOSED_RUNS_ACTIVITY } from '../core/types';
import {
  acquireSlotSignal,
  releaseSlotSignal,
  slotGrantedSignal,
  slotsQuery,
  type ConcurrencyCoordinatorInput,
  type SlotEntry,
  type SlotsState,
} from './concurrency-protocol';

/** How often the holders are checked for runs Temporal ended, in ms. */
const RECLAIM_EVERY_MS = 10_000;
/** How long the coordinator stays with nothing held or waiting before it ends, in ms. */
const IDLE_FOR_MS = 60_000;
/** Continue as new past this many history events. */
const CONTINUE_AS_NEW_EVENTS = 2000;

/** The worker function behind the reclaim (see `activities/concurrency.ts`). */
export interface ClosedRunsActivities {
  /** Which of these workflow ids no longer have a running execution. */
  [CLOSED_RUNS_ACTIVITY](workflowIds: string[]): Promise<string[]>;
}

const checks = proxyLocalActivities<ClosedRunsActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** See the module comment. */
export async function concurrencyWorkflow(input: ConcurrencyCoordinatorInput): Promise<void> {
  const state: SlotsState = input.carried ?? { key: input.key, limit: 1, holders: [], waiting: [] };
  let dirty = true;
  /** Holders to grant again (asked again while holding). */
  const regrant = new Set<string>();

  setHandler(slotsQuery, () => state);
  setHandler(acquireSlotSignal, (request) => {
    state.limit = request.limit;
    const entry: SlotEntry = {
      holder: request.holder,
      workflowId: request.workflowId,
      priority: request.priority,
      arrivedAt: request.arrivedAt,
      ticket: request.ticket,
      since: new Date().toISOString(),
    };
    const held = state.holders.find((h) => h.holder === request.holder);
    if (held) {
      // Asked again while holding (a retried request, or after continue-as-new): grant again.
      held.ticket = request.ticket;
      regrant.add(request.holder);
    } else {
      state.waiting = state.waiting.filter((w) => w.holder !== request.holder);
      state.waiting.push(entry);
    }
    dirty = true;
  });
  setHandler(releaseSlotSignal, ({ holder }) => {
    state.holders = state.holders.filter((h) => h.holder !== holder);
    state.waiting = state.waiting.filter((w) => w.holder !== holder);
    dirty = true;
  });
  /** Gives free slots to the best waiters and tells them; drops those that cannot be told. */
  const grant = async (): Promise<void> => {
    state.waiting.sort(byTurn);
    const granted: SlotEntry[] = [];
    while (state.holders.length < state.limit && state.waiting.length > 0) {
      const next = state.waiting.shift() as SlotEntry;
      next.since = new Date().toISOString();
      state.holders.push(next);
      granted.push(next);
    }
    for (const holder of regrant) {
      const held = state.holders.find((h) => h.holder === holder);
      if (held && !granted.includes(held)) granted.push(held);
    }
    regrant.clear();
    const told = await Promise.all(
      granted.map((g) =>
        getExternalWorkflowHandle(g.workflowId)
          .signal(slotGrantedSignal, { holder: g.holder, ticket: g.ticket })
          .then(
            () => true,
            (err: unknown) => {
              log.info('a slot was granted to a run that is gone; freeing it', { holder: g.holder, error: (err as Error)?.message });
              return false;
            },
          ),
      ),
    );
    const gone = new Set(granted.filter((_, i) => !told[i]).map((g) => g.holder));
    if (gone.size > 0) {
      state.holders = state.holders.filter((h) => !gone.has(h.holder));
      dirty = true;
    }
  };

  /** Frees the slots of holders whose runs Temporal has ended. */
  const reclaim = async (): Promise<void> => {
    const ids = [...new Set(state.holders.map((h) => h.workflowId))];
    if (ids.length === 0) return;
    let closed: string[];
    try {
      closed = await checks[CLOSED_RUNS_ACTIVITY](ids);
    } catch (err) {
      log.warn('could not check which holders have ended; trying again later', { error: (err as Error)?.message });
      return;
    }
    if (closed.length === 0) return;
    const ended = new Set(closed);
    log.info('freeing the slots of runs Temporal has ended', { key: state.key, runs: closed });
    state.holders = state.holders.filter((h) => !ended.has(h.workflowId));
    dirty = true;
  };

  /** When the holders are next checked. */
  let nextCheck = Date.now() + RECLAIM_EVERY_MS;
  for (;;) {
    while (dirty) {
      dirty = false;
      await grant();
    }
    if (workflowInfo().historyLength >= CONTINUE_AS_NEW_EVENTS) {
      await condition(allHandlersFinished);
      if (!dirty) {
        await continueAsNew<typeof concurrencyWorkflow>({ key: state.key, carried: state });
      }
      continue;
    }
    const holding = state.holders.length > 0;
    if (!holding) nextCheck = Date.now() + RECLAIM_EVERY_MS;
    else if (Date.now() >= nextCheck) {
      // On a fixed beat, however often signals come: a busy key must not put the check off.
      await reclaim();
      nextCheck = Date.now() + RECLAIM_EVERY_MS;
      continue;
    }
    const waitMs = holding ? Math.max(nextCheck - Date.now(), 1) : IDLE_FOR_MS;
    const woke = await condition(() => dirty, waitMs);
    if (woke || holding) continue;
    if (state.waiting.length === 0) {
      // Idle: end, once every signal that came in has been handled.
      await condition(allHandlersFinished);
      if (!dirty) return;
    }
  }
}

/** Waiters in the order they are granted: priority (1 first), then the run's start, then arrival. */
function byTurn(a: SlotEntry, b: SlotEntry): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.arrivedAt < b.arrivedAt ? -1 : a.arrivedAt > b.arrivedAt ? 1 : 0;
}
