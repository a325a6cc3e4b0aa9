/**
 * Keeps a run that is doing local steps answering its operators.
 *
 * A local step runs inside the run's workflow task, and the SDK keeps that task open while a
 * local activity is outstanding: when one ends and the workflow starts the next, the task goes on,
 * and the SDK completes it only at 80 % of the task timeout (8 s of Temporal's default 10 s).
 * Until it completes, the server holds every update, signal and query for the run (pause, cancel,
 * status wait), and the steps done in it are not in the history yet (a worker that dies runs
 * them again). So the run ends the task itself before it starts another node:
 * - once it has spent {@link END_TASK_AFTER_MS} in local steps, or done
 *   {@link END_TASK_AFTER_STEPS} of them, since it last ended its task;
 * - after an update or a signal changed it (a resume, a retry), so the answer leaves at once
 *   rather than after the next steps.
 *
 * It ends the task by scheduling {@link END_TASK_ACTIVITY}, an activity that does nothing: the
 * task completes to send it, and its completion starts the next. A timer would do the same with
 * no worker involved, but a Temporal server fires no timer sooner than its timer queue's look-ahead
 * (`history.timerProcessorMaxTimeShift`, 1 s by default), where an activity is dispatched at once.
 *
 * The time counted is each step's own, as the worker measured it and the step's history marker
 * holds it, never the clock, so a replay takes the same decisions.
 */
import { scheduleActivity } from '@temporalio/workflow';
import { END_TASK_ACTIVITY } from '../core/types';

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
  private answerFirst = false;

  /**
   * @param enabled whether the run has local steps at all: a run without ends its tasks by
   *   itself, and the pacer is never due.
   * @param taskQueue the run's task queue, where the end-of-task activity goes.
   */
  constructor(
    private readonly enabled: boolean,
    private readonly taskQueue: string,
  ) {}

  /** Counts a local step that ended, `ms` its measured time when known. */
  ended(ms: number | undefined): void {
    this.steps += 1;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) this.ms += ms;
  }

  /** An update or a signal changed the run: its answer should leave before more local steps. */
  changed(): void {
    this.answerFirst = true;
  }

  /** Whether the run should end its workflow task before it starts another node. */
  get due(): boolean {
    return this.enabled && (this.answerFirst || this.ms >= END_TASK_AFTER_MS || this.steps >= END_TASK_AFTER_STEPS);
  }

  /** Ends the workflow task (see the module comment). Rejects with a cancellation when the surrounding scope is cancelled meanwhile. */
  async endTask(): Promise<void> {
    this.ms = 0;
    this.steps = 0;
    this.answerFirst = false;
    await scheduleActivity(END_TASK_ACTIVITY, [], {
      taskQueue: this.taskQueue,
      startToCloseTimeout: '10s',
      summary: 'end the workflow task',
    });
  }
}
