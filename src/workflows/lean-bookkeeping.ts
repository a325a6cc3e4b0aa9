/**
 * The one patch marker a run started by this version of tapflow carries, in place of one per
 * change made since runs were first recorded.
 *
 * Every `patched()` that returns true writes a marker event into the run's history, and a run of
 * the previous version carried two on every run (the store records and the live views) and more
 * on some (pause holding the end, cancel ending Canceled, expressions, map shard reuse,
 * concurrency slots). A run that carries {@link LEAN_BOOKKEEPING_PATCH} has all of those changes
 * without asking for them: {@link patchAsker} answers true for each at once, with no marker. A run
 * recorded before has no such marker, so `patched(LEAN_BOOKKEEPING_PATCH)` is false on its replay
 * and every change is asked of its own patch, where its history has it.
 *
 * The same patch also moves a run's bookkeeping off the history where it costs events and buys
 * nothing a user sees:
 * - the run store's durable run records (the final record, a record before continue-as-new) run
 *   as local activities: one marker event each instead of an activity's three and the workflow
 *   task that follows its completion;
 * - the search attributes are not upserted at the first workflow task when the start already set
 *   them to what the run shows (tapflow's client starts every run with its pipeline, state and
 *   progress).
 */
import { patched } from '@temporalio/workflow';

/** See the module comment. Asked once, at the start of every execution of the pipeline workflow. */
export const LEAN_BOOKKEEPING_PATCH = 'tapflow-lean-bookkeeping';

/**
 * Asks whether a change behind patch `id` applies to this run: always for a run that carries
 * {@link LEAN_BOOKKEEPING_PATCH} (no marker written), and by its own patch for runs recorded before.
 */
export type PatchAsker = (id: string) => boolean;

/** A {@link PatchAsker} for a run that carries the lean patch (`lean`) or not. */
export function patchAsker(lean: boolean): PatchAsker {
  return lean ? () => true : (id) => patched(id);
}
