/**
 * The run as a state machine: its state, the reason for it, its phase, and why it is ending.
 * Pure (no Temporal calls): the pipeline workflow is a thin driver that feeds it events (control
 * actions, held nodes, a failed node, the run's own limits, every node settled) and publishes
 * what it says. Each state change follows {@link RUN_TRANSITIONS}.
 *
 * Phases: `working` (nodes start as they become ready), `stopping` (the run has a cause to end
 * and waits for its nodes in flight to settle), `ended` (a final state). While stopping, the
 * first cause stands: a second failure, a late limit or a control action cannot change how
 * the run ends, and control actions are refused saying so.
 */
import { isFinal, type ControlAction, type RunState } from './states';
import { transition, type RunEvent } from './run-transitions';

/** How a cancel reached the run. */
export type CancelVia = 'update' | 'signal' | 'temporal';

/** Why a run is ending before (or instead of) completing. */
export type EndCause =
  | { kind: 'cancel'; via: CancelVia }
  | { kind: 'failed'; nodeId: string }
  | { kind: 'expired'; failureType: string; message: string };

/** A run's phase; see the module comment. */
export type RunPhase = 'working' | 'stopping' | 'ended';

/** What carries over to the next execution when the run continues as new. */
export interface RunMachineSnapshot {
  state: RunState;
  reason?: string;
  cancelVia?: CancelVia;
}

/** The text a Temporal cancel carries until the request's details are known. */
export const TEMPORAL_CANCEL_REASON = 'cancelled through Temporal';

/** See the module comment. One per workflow execution. */
export class RunMachine {
  private current: RunState;
  private why: string | undefined;
  private endCause: EndCause | undefined;
  private temporalAsked = false;

  constructor(snapshot: RunMachineSnapshot = { state: 'running' }) {
    this.current = snapshot.state;
    this.why = snapshot.reason;
    // A run that continued as new while cancelling is still cancelling.
    if (snapshot.state === 'cancelling') this.endCause = { kind: 'cancel', via: snapshot.cancelVia ?? 'update' };
  }

  /** The run's state. */
  get state(): RunState {
    return this.current;
  }

  /** Why the run is in its state, when there is a reason. */
  get reason(): string | undefined {
    return this.why;
  }

  /** Why the run is ending, once it is. */
  get cause(): EndCause | undefined {
    return this.endCause;
  }

  /** See {@link RunPhase}. */
  get phase(): RunPhase {
    if (isFinal(this.current)) return 'ended';
    return this.endCause ? 'stopping' : 'working';
  }

  /** Whether the run has a cause to end: no node starts any more. */
  get ending(): boolean {
    return this.endCause !== undefined;
  }

  /** Whether the run ends cancelled. */
  get cancelling(): boolean {
    return this.endCause?.kind === 'cancel';
  }

  /** Whether Temporal itself has been asked to cancel this execution (it then ends Canceled there). */
  get cancelledThroughTemporal(): boolean {
    return this.temporalAsked;
  }

  /** What the next execution starts from. */
  snapshot(): RunMachineSnapshot {
    const s: RunMachineSnapshot = { state: this.current };
    if (this.why !== undefined) s.reason = this.why;
    if (this.endCause?.kind === 'cancel') s.cancelVia = this.endCause.via;
    return s;
  }

  /** Why `action` would be refused now, or `undefined` when the run takes it. */
  refusal(action: ControlAction): string | undefined {
    if (this.endCause && this.endCause.kind !== 'cancel' && this.phase === 'stopping') {
      return `cannot ${action}: the run is ending (${this.why ?? 'it failed'})`;
    }
    const next = transition(this.current, action);
    return 'refused' in next ? next.refused : undefined;
  }

  /**
   * Takes a control action, or returns why not (nothing changes then).
   *
   * @param reason the requester's reason; for a pause, its default names who asked.
   * @param via for a cancel, how it came (decides how the execution ends in Temporal).
   */
  control(action: ControlAction, reason: string | undefined, by?: string, via: CancelVia = 'update'): string | undefined {
    const refused = this.refusal(action);
    if (refused) return refused;
    const suffix = by ? ` by ${by}` : '';
    this.move(action);
    if (action === 'pause') this.why = reason ?? `paused${suffix}`;
    else if (action === 'resume') this.why = undefined;
    else {
      this.why = reason ?? `cancelled${suffix}`;
      this.endCause = { kind: 'cancel', via };
    }
    return undefined;
  }

  /**
   * Temporal was asked to cancel this execution (the Web UI, `temporal workflow cancel`, a
   * client's `cancel()`, or the run's own request after a cancel update). Starts a cancel when
   * the run was not already ending; the reason is never an earlier pause's.
   *
   * @returns whether this began the run's end.
   */
  temporalCancel(): boolean {
    this.temporalAsked = true;
    if (this.endCause || this.phase === 'ended') return false;
    this.move('cancel');
    this.why = TEMPORAL_CANCEL_REASON;
    this.endCause = { kind: 'cancel', via: 'temporal' };
    return true;
  }

  /** Replaces a Temporal cancel's stand-in reason with what Temporal recorded (who, and why). */
  explainTemporalCancel(reason: string): void {
    if (this.endCause?.kind === 'cancel' && this.endCause.via === 'temporal' && this.phase !== 'ended') this.why = reason;
  }

  /** A node is held (or the held nodes changed): the run shows `held` while it would run. */
  hold(reason: string): void {
    this.move('hold');
    if (this.current === 'held') this.why = reason;
  }

  /** No node is held any more. */
  release(): void {
    if (this.current !== 'held') return;
    this.move('release');
    this.why = undefined;
  }

  /**
   * The run waits for a concurrency slot: a running run is `queued`, with `reason`. A paused or
   * pausing run stays so (it queues again when resumed).
   */
  enqueue(reason: string): void {
    this.move('enqueue');
    if (this.current === 'queued') this.why = reason;
  }

  /** The run has its slot: a queued run runs. */
  admit(): void {
    if (this.current !== 'queued') return;
    this.move('admit');
    this.why = undefined;
  }

  /** No node works any more: a pausing run is now paused. @returns whether it came to rest. */
  drained(): boolean {
    const before = this.current;
    this.move('drained');
    return before !== this.current;
  }

  /**
   * The run must end failed: a node failed for good, or the run's own limit passed. The first
   * cause stands; a later one changes nothing.
   *
   * @returns whether this began the run's end.
   */
  stop(cause: Exclude<EndCause, { kind: 'cancel' }>, reason: string): boolean {
    if (this.endCause || this.phase === 'ended') return false;
    this.move('stop');
    this.endCause = cause;
    this.why = reason;
    return true;
  }

  /** Every node has settled: the final state, by the cause (none: completed). */
  end(): RunState {
    const event: RunEvent = this.endCause === undefined ? 'complete' : this.endCause.kind === 'cancel' ? 'endCancelled' : 'endFailed';
    this.move(event);
    return this.current;
  }

  private move(event: RunEvent): void {
    const next = transition(this.current, event);
    if ('refused' in next) throw new Error(`run state machine: ${next.refused}`);
    this.current = next.to;
  }
}
