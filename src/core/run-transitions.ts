/**
 * The run's transition table: for every run state and every event the run can meet, the next
 * state or the refusal. Pure data, so the rules are read and tested in one place; the
 * {@link RunMachine} applies them inside the workflow, and {@link refusal} answers a client that
 * asks why an action was refused.
 */
import { FINAL_RUN_STATES, RUN_STATES, type ControlAction, type RunState } from './states';

/**
 * What can happen to a run as a whole.
 * - `pause`, `resume`, `cancel`: a person's or a script's control action (`cancel` also stands
 *   for a cancel through Temporal, which cannot be refused but is ignored when it would be).
 * - `hold`: a node failed and waits for an operator; `release`: no node is held any more.
 * - `drained`: no node works any more (a pausing run comes to rest).
 * - `stop`: the run must end failed (a node failed for good, the run's own limit passed); its
 *   state stays while the nodes in flight are stopped, and the reason says why.
 * - `complete`, `endCancelled`, `endFailed`: every node has settled and the run ends.
 * - `enqueue`: the run waits for a concurrency slot before any node starts (at its start, and
 *   when resumed after it withdrew while paused); `admit`: it has the slot.
 */
export const RUN_EVENTS = ['pause', 'resume', 'cancel', 'hold', 'release', 'drained', 'stop', 'complete', 'endCancelled', 'endFailed', 'enqueue', 'admit'] as const;

/** An event of {@link RUN_EVENTS}. */
export type RunEvent = (typeof RUN_EVENTS)[number];

/** A cell of the table: the next state, or why the event is refused in this state. */
export type Transition = { to: RunState } | { refused: string };

/** States a control action is taken in, and where it leads. */
const ACCEPTS: Record<ControlAction, Partial<Record<RunState, RunState>>> = {
  // A run with nothing in flight goes on to `paused` at once (the machine follows with `drained`).
  pause: { queued: 'pausing', running: 'pausing', held: 'pausing' },
  resume: { pausing: 'running', paused: 'running' },
  cancel: { queued: 'cancelling', running: 'cancelling', pausing: 'cancelling', paused: 'cancelling', held: 'cancelling' },
};

/** Why a control action is refused in a live state where {@link ACCEPTS} has no entry. */
function refusalText(action: ControlAction, state: RunState): string {
  switch (action) {
    case 'pause':
      return state === 'cancelling' ? 'cannot pause: the run is being cancelled' : `cannot pause: the run is already ${state}`;
    case 'resume':
      if (state === 'cancelling') return 'cannot resume: the run is being cancelled';
      if (state === 'held') return 'cannot resume: the run is held, not paused; retry or skip the held node (tapflow retry|skip ID NODE)';
      return `cannot resume: the run is ${state}, not paused`;
    case 'cancel':
      return 'cannot cancel: the run is already being cancelled';
  }
}

function cell(state: RunState, event: RunEvent): Transition {
  const final = FINAL_RUN_STATES.has(state);
  switch (event) {
    case 'pause':
    case 'resume':
    case 'cancel': {
      if (final) return { refused: `cannot ${event}: the run has already ended (${state})` };
      const to = ACCEPTS[event][state];
      return to === undefined ? { refused: refusalText(event, state) } : { to };
    }
    case 'hold':
      // A held node shows as the run's state only while the run would otherwise run.
      return { to: state === 'running' || state === 'queued' ? 'held' : state };
    case 'release':
      return { to: state === 'held' ? 'running' : state };
    case 'drained':
      return { to: state === 'pausing' ? 'paused' : state };
    case 'stop':
      return final ? { refused: `cannot stop: the run has already ended (${state})` } : { to: state };
    case 'complete':
      if (final) return { refused: `cannot complete: the run has already ended (${state})` };
      if (state === 'cancelling') return { refused: 'cannot complete: the run is being cancelled' };
      if (state === 'held') return { refused: 'cannot complete: a node is held for an operator' };
      return { to: 'completed' };
    case 'endCancelled':
      return final ? { refused: `cannot end: the run has already ended (${state})` } : { to: 'cancelled' };
    case 'endFailed':
      return final ? { refused: `cannot end: the run has already ended (${state})` } : { to: 'failed' };
    case 'enqueue':
      if (final) return { refused: `cannot queue: the run has already ended (${state})` };
      return { to: state === 'running' ? 'queued' : state };
    case 'admit':
      if (final) return { refused: `cannot admit: the run has already ended (${state})` };
      return { to: state === 'queued' ? 'running' : state };
  }
}

/** The whole table: every state by every event. */
export const RUN_TRANSITIONS: Readonly<Record<RunState, Readonly<Record<RunEvent, Transition>>>> = Object.fromEntries(
  RUN_STATES.map((state) => [state, Object.fromEntries(RUN_EVENTS.map((event) => [event, cell(state, event)]))]),
) as Record<RunState, Record<RunEvent, Transition>>;

/** Where `event` takes a run in `state`: the next state, or the refusal. */
export function transition(state: RunState, event: RunEvent): Transition {
  return RUN_TRANSITIONS[state][event];
}

/**
 * Why a run in `state` cannot take `action`, or `undefined` when it can.
 * The text is shown to the person who asked, so it says what to do instead.
 */
export function refusal(action: ControlAction, state: RunState): string | undefined {
  const next = transition(state, action);
  return 'refused' in next ? next.refused : undefined;
}
