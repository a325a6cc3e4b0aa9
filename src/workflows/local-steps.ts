/**
 * Keeps a run that is doing local steps answering its operators.
 *
 * A local step runs inside the run's workflow task, and the SDK keeps that task open while a
 * local activity is outstanding: when one ends and the workflow starts the next, the task goes on,
 * and the SDK completes it only at 80 % of the task timeout (8 s of Temporal's default 10 s).
 * Until it completes, the server holds every update, signal and query for the run (pause, cancel,
 * status wait), and the steps done in it are not in the history yet (a worker that dies runs
 * them again). So once the run has spent {@link END_TASK_AFTER_MS} in local steps, or done
 * {@link END_TASK_AFTER_STEPS} of them, since it last ended its task, it ends the task itself
 * with a 1 ms timer before it starts another node.
 *
 * The time counted is each step's own, as the worker measured it and the step's history marker
 * holds it, never the clock, so a replay takes the same decisions.
 */
import { sleep } from '@temporalio/workflow';

/** Time in local steps after which the run ends its workflow task, in ms. */
export const END_TASK_AFTER_MS = 200;
/**
 * Local steps after which the run ends its workflow task whatever their time: a step's time
 * leaves out the workflow's own work between steps, and a step without a measured time (a
 * failed attempt, an activity tapflow did not wrap) counts as none.
 */
export const END_TASK_AFTER_STEPS = 50;

/** See the module comment. One per workflow execution. */
export class LocalStepPacer {
  private ms = 0;
  private steps = 0;

  /** Counts a local step that ended, `ms` its measured time when known. */
  ended(ms: number | undefined): void {
    this.steps += 1;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) this.ms += ms;
  }

  /** Whether the workflow task has been open long enough that the run should end it. */
  get due(): boolean {
    return this.ms >= END_TASK_AFTER_MS || this.steps >= END_TASK_AFTER_STEPS;
  }

  /**
   * Ends the workflow task: a timer is a command the task must complete to send, and it fires
   * at once. Rejects with a cancellation when the surrounding scope is cancelled meanwhile.
   */
  async endTask(): Promise<void> {
    this.ms = 0;
    this.steps = 0;
    await sleep(1);
  }
}
