/**
 * Keeps a run readable in the Temporal Web UI: the current details (free text, no history
 * cost) on every call, and the search attributes `TapflowPipeline`, `TapflowState` and
 * `TapflowProgress` when the state changes, and when progress changes at most once a second
 * (each upsert is a history event).
 *
 * A progress change inside that second is not dropped: the workflow wakes at the end of the
 * second ({@link ProgressPublisher.dueAt}) and publishes the latest progress then (the trailing
 * edge), so `TapflowProgress` (and `tapflow list`, which reads it) never stays behind a run that
 * has gone quiet, e.g. one waiting for an event right after a node completed. The wake-up is a
 * timer in the history, so runs recorded before it replay without it (`patched`,
 * {@link PROGRESS_TRAILING_EDGE_PATCH}).
 */
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Progress, RunState } from '../core/states';
import { PIPELINE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } from './definitions';

/** Least time between two progress-only upserts, in ms of workflow time. */
export const PROGRESS_UPSERT_INTERVAL_MS = 1000;

/**
 * The patch behind the trailing-edge publish: executions recorded before it never wake for it
 * (see docs/compatibility.md).
 */
export const PROGRESS_TRAILING_EDGE_PATCH = 'tapflow-progress-trailing-edge';

/** See the module comment. One per workflow execution. */
export class ProgressPublisher {
  /** What the search attributes hold now (as this execution last upserted them). */
  private state: RunState | undefined;
  private percent = -1;
  private at = 0;
  /**
   * Whether this execution publishes on the trailing edge: asked of `patched` once, at the first
   * throttled change, so that the question is asked at the same point on every replay.
   */
  private trailing: boolean | undefined;
  /** When a throttled change is due (workflow time, ms), while one waits. */
  private due: number | undefined;

  constructor(private readonly pipeline: string) {}

  /**
   * Publishes the run's state and progress. A change of state is upserted at once; a change of
   * progress alone at once when the last upsert is a second old (or `force`), else at the end of
   * that second.
   *
   * @param force upsert a progress change even within the interval (at the end of a run).
   */
  publish(state: RunState, progress: Progress, reason: string | undefined, force = false): void {
    setCurrentDetails(
      `**${this.pipeline}**: ${state}, ${progress.completed}/${progress.total} nodes done` +
        (progress.skipped ? `, ${progress.skipped} skipped` : '') +
        (progress.running ? `, ${progress.running} running` : '') +
        (reason ? `\n\n${reason}` : ''),
    );
    const now = Date.now();
    const stateChanged = this.state !== state;
    const percentChanged = this.percent !== progress.percent;
    if (stateChanged || (percentChanged && (force || now - this.at >= PROGRESS_UPSERT_INTERVAL_MS))) {
      this.upsert(state, progress.percent, now);
      return;
    }
    if (percentChanged) this.publishLater();
    else this.due = undefined;
  }

  private upsert(state: RunState, percent: number, now: number): void {
    upsertSearchAttributes([
      { key: PIPELINE_SEARCH_ATTRIBUTE, value: this.pipeline },
      { key: STATE_SEARCH_ATTRIBUTE, value: state },
      { key: PROGRESS_SEARCH_ATTRIBUTE, value: percent },
    ]);
    this.state = state;
    this.percent = percent;
    this.at = now;
    this.due = undefined;
  }

  /**
   * Notes that a throttled change is due at the interval's end, unless this execution predates
   * the trailing edge. The workflow's main loop wakes then ({@link dueAt}) and publishes again.
   */
  private publishLater(): void {
    this.trailing ??= patched(PROGRESS_TRAILING_EDGE_PATCH);
    if (this.trailing) this.due = this.at + PROGRESS_UPSERT_INTERVAL_MS;
  }

  /**
   * When (workflow time, ms) a progress change held back by the interval is due: the workflow
   * wakes then and publishes again, so the last change is never left behind. `undefined` when
   * none waits. One wake-up serves this and the run's live store writes: a timer is a history
   * event and a workflow task.
   */
  get dueAt(): number | undefined {
    return this.due;
  }
}
