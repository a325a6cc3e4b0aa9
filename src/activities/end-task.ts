/**
 * The activity a run doing local steps ends its workflow task with (`workflows/local-steps.ts`).
 * It does nothing: what matters is that the workflow task completes to schedule it, and that its
 * completion starts the next one.
 */
import { END_TASK_ACTIVITY } from '../core/types';

/** Registered on every tapflow worker under its reserved name. */
export const endTaskActivities = {
  [END_TASK_ACTIVITY]: async function tapflowEndTask(): Promise<null> {
    return null;
  },
};
