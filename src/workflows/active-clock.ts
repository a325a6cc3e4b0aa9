/**
 * The paused clock: a run's active time, which stops while the run is paused. Run and node
 * deadlines, sleeps and event timeouts are set on it, so time spent paused never counts toward
 * them. Workflow code: timers are Temporal timers, so the clock is durable and deterministic.
 *
 * One Temporal timer is armed at a time, for the earliest target; stopping the clock cancels it
 * and starting it arms it again for what is left. The timer runs in a scope of its own under the
 * workflow's root, so cancelling the nodes (a failure, a cancel) does not stop the clock.
 */
import { CancellationScope, sleep } from '@temporalio/workflow';

/** What carries a clock across continue-as-new. */
export interface ActiveClockSnapshot {
  /** Active time so far, in ms. */
  activeMs: number;
  /** Whether it was running. */
  running: boolean;
}

interface Alarm {
  id: number;
  target: number;
  fire: () => void;
}

/** See the module comment. */
export class ActiveClock {
  private before: number;
  private since: number | undefined;
  private readonly alarms: Alarm[] = [];
  private nextId = 1;
  private armed: { scope: CancellationScope; target: number } | undefined;

  /**
   * @param root the scope the clock's timer runs under: the workflow's root scope, so cancelling
   *   the nodes leaves the clock alone.
   * @param carried the clock of the execution before a continue-as-new.
   */
  constructor(
    private readonly root: CancellationScope,
    carried?: ActiveClockSnapshot,
  ) {
    this.before = carried?.activeMs ?? 0;
    this.since = carried === undefined || carried.running ? Date.now() : undefined;
  }

  /** Active time so far, in ms. */
  now(): number {
    return this.before + (this.since === undefined ? 0 : Date.now() - this.since);
  }

  /** Whether the clock runs (the run is not paused). */
  get running(): boolean {
    return this.since !== undefined;
  }

  /** Stops the clock (the run was paused); alarms wait. */
  stop(): void {
    if (this.since === undefined) return;
    this.before = this.now();
    this.since = undefined;
    this.disarm();
  }

  /** Starts the clock again (the run was resumed). */
  start(): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.arm();
  }

  /**
   * Calls `fire` once the active time reaches `target` ms (at once, on the next timer, when it
   * already has and the clock runs).
   *
   * @returns a function that removes the alarm.
   */
  at(target: number, fire: () => void): () => void {
    const alarm: Alarm = { id: this.nextId++, target, fire };
    this.alarms.push(alarm);
    this.arm();
    return () => {
      const i = this.alarms.indexOf(alarm);
      if (i >= 0) this.alarms.splice(i, 1);
      if (this.alarms.length === 0) this.disarm();
    };
  }

  /** The clock in a form that survives continue-as-new. */
  snapshot(): ActiveClockSnapshot {
    return { activeMs: this.now(), running: this.running };
  }

  private earliest(): number | undefined {
    let min: number | undefined;
    for (const a of this.alarms) if (min === undefined || a.target < min) min = a.target;
    return min;
  }

  private arm(): void {
    const target = this.earliest();
    if (target === undefined || this.since === undefined) return this.disarm();
    if (this.armed?.target === target) return;
    this.disarm();
    const scope = new CancellationScope({ cancellable: true, parent: this.root });
    const armed = { scope, target };
    this.armed = armed;
    void scope
      .run(() => sleep(Math.max(target - this.now(), 1)))
      .then(
        () => {
          if (this.armed === armed) this.armed = undefined;
          this.ring();
        },
        () => undefined, // disarmed
      );
  }

  private disarm(): void {
    const armed = this.armed;
    this.armed = undefined;
    armed?.scope.cancel();
  }

  /** Fires every alarm that is due, in the order they were set, then arms the next. */
  private ring(): void {
    const now = this.now();
    const due = this.alarms.filter((a) => a.target <= now).sort((a, b) => a.target - b.target || a.id - b.id);
    for (const alarm of due) {
      const i = this.alarms.indexOf(alarm);
      if (i >= 0) this.alarms.splice(i, 1);
    }
    for (const alarm of due) alarm.fire();
    this.arm();
  }
}
