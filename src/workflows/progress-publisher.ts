/**
 * Keeps a run readable in the Temporal Web UI: the current details (free text, no history
 * cost) on every call, and the search attributes `TapflowPipeline`, `TapflowState` and
 * `TapflowProgress` whenever the state or the whole percent of progress changes.
 *
 * Each upsert is a history event, and progress moves through at most 101 whole percents, so a
 * run's execution upserts about a hundred times at most for progress however many nodes it has.
 * The last change always reaches the search attributes at once: no throttle to trail, no timer.
 * Runs recorded when progress-only upserts were limited to one a second keep that limit on
 * replay (`patched`, {@link LIVE_VIEWS_PATCH}).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PatchAsker } from './lean-bookkeeping';
import type { Progress, RunState } from '../core/states';
import { PIPELINE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } from './definitions';

/** Least time between two progress-only upserts of runs recorded before every percent was published, in ms. */
export const PROGRESS_UPSERT_INTERVAL_MS = 1000;

/**
 * One patch for the two changes that keep a run's views live, so a run carries one marker for
 * both (see docs/compatibility.md):
 * - progress-only upserts used to be at most one a second, and a change inside that second was
 *   lost when nothing followed it (a run waiting for an event showed old progress); now every
 *   change of the whole percent is upserted;
 * - a run's live changes used to be written by the record activity, two or more rows of
 *   bookkeeping in every run's timeline; they now leave through the store sink (no history
 *   event), and only the final record stays an activity.
 * Runs recorded before keep both old ways on replay.
 */
export const LIVE_VIEWS_PATCH = 'tapflow-live-views';

/** See the module comment. One per workflow execution. */
export class ProgressPublisher {
  /** What the search attributes hold now (as this execution last upserted them). */
  private state: RunState | undefined;
  private percent = -1;
  private at = 0;
  /**
   * Whether this execution upserts every percent: asked of `patched` once, at the first change the
   * old one-a-second limit would have held back, so it is asked at the same point on every replay.
   */
  private everyPercent: boolean | undefined;

  /**
   * @param since whether a change behind a patch applies to this run (`lean-bookkeeping.ts`).
   * @param fromStart take what the search attributes hold at the start as already published: the
   *   start (tapflow's client, a schedule) set them, so an upsert of the same values would only add
   *   an event. False for runs recorded before, which upserted them at their first task.
   */
  constructor(
    private readonly pipeline: string,
    private readonly since: PatchAsker,
    fromStart = false,
  ) {
    if (!fromStart) return;
    const attributes = workflowInfo().typedSearchAttributes;
    const state = attributes.get(STATE_SEARCH_ATTRIBUTE);
    const percent = attributes.get(PROGRESS_SEARCH_ATTRIBUTE);
    if (attributes.get(PIPELINE_SEARCH_ATTRIBUTE) !== pipeline || state === undefined || percent === undefined) return;
    this.state = state as RunState;
    this.percent = percent;
  }

  /**
   * Publishes the run's state and progress: the details always, the search attributes when the
   * state or the whole percent changed.
   *
   * @param force for runs recorded before every percent was published: upsert a progress change
   *   even within the second (at the end of a run).
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
    if (!stateChanged && !percentChanged) return;
    const withinTheSecond = !stateChanged && !force && now - this.at < PROGRESS_UPSERT_INTERVAL_MS;
    if (withinTheSecond && !(this.everyPercent ??= this.since(LIVE_VIEWS_PATCH))) return;
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
