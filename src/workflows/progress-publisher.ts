/**
 * Keeps a run readable in the Temporal Web UI: the current details (free text, no history
 * cost) on every call, and the search attributes `TapflowPipeline`, `TapflowState` and
 * `TapflowProgress` when the state changes, and when progress changes at most once a second
 * (each upsert is a history event).
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Progress, RunState } from '../core/states';
import { PIPELINE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } from './definitions';

/** Least time between two progress-only upserts, in ms of workflow time. */
export const PROGRESS_UPSERT_INTERVAL_MS = 1000;

/** See the module comment. One per workflow execution. */
export class ProgressPublisher {
  private state: RunState | undefined;
  private percent = -1;
  private at = 0;

  constructor(private readonly pipeline: string) {}

  /**
   * Publishes the run's state and progress.
   *
   * @param force upsert a progress change even within the interval (at the end of a run).
   */
  publish(state: RunState, progress: Progress, reason: string | undefined, force = false): void {
    setCurrentDetails(
      `**${this.pipeline}**: ${state}, ${progress.completed}/${progress.total} nodes done` +
        (progress.running ? `, ${progress.running} running` : '') +
        (reason ? `\n\n${reason}` : ''),
    );
    const now = Date.now();
    const stateChanged = this.state !== state;
    const percentChanged = this.percent !== progress.percent;
    if (!stateChanged && !(percentChanged && (force || now - this.at >= PROGRESS_UPSERT_INTERVAL_MS))) return;
    upsertSearchAttributes([
      { key: PIPELINE_SEARCH_ATTRIBUTE, value: this.pipeline },
      { key: STATE_SEARCH_ATTRIBUTE, value: state },
      { key: PROGRESS_SEARCH_ATTRIBUTE, value: progress.percent },
    ]);
    this.state = state;
    this.percent = progress.percent;
    this.at = now;
  }
}
