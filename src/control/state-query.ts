/**
 * A run state as a Temporal visibility query. `TapflowState` is what the run last said of
 * itself; a run Temporal ended (terminate, execution timeout) never says so, and a closed
 * execution's search attributes cannot change afterwards. So each state goes with Temporal's
 * `ExecutionStatus`: the same rule the documented Web UI filters follow (docs/observability.md).
 * Pure.
 */
import { isFinal, type RunState } from '../core/states';
import { ENDED_BY_TEMPORAL_QUERY } from './temporal-end';

/**
 * The visibility clause matching runs in `state`:
 * - `terminated`: `ExecutionStatus IN ("Terminated", "TimedOut")`;
 * - a state a run is in while it runs: `ExecutionStatus = "Running" AND TapflowState = "<state>"`;
 * - a final state the run reached itself: `TapflowState = "<state>"` on an execution Temporal did
 *   not end (a run that says `completed` may still be closing).
 */
export function stateClause(state: RunState): string {
  if (state === 'terminated') return ENDED_BY_TEMPORAL_QUERY;
  // States are fixed lower-case words (RUN_STATES): nothing to escape.
  if (!isFinal(state)) return `ExecutionStatus = "Running" AND TapflowState = "${state}"`;
  return `TapflowState = "${state}" AND ExecutionStatus != "Terminated" AND ExecutionStatus != "TimedOut"`;
}
