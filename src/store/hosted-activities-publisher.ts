/**
 * A worker's side of the activity check: it writes the activities it hosts on its task queue to
 * the store at start and then every minute, for as long as it runs, so a start can tell a
 * misspelt activity from one a live worker serves.
 */
import type { Queryable } from './pool';
import { publishHostedActivities } from './sql/publish-hosted-activities';

/** How often a worker says again what it hosts, in ms. */
export const PUBLISH_EVERY_MS = 60_000;

/** Options of {@link startPublishingHostedActivities}. */
export interface HostedActivitiesPublishing {
  taskQueue: string;
  activities: readonly string[];
  /** The worker's identity (host and process). */
  worker: string;
  /** Whether the worker still runs; publishing stops once it does not. */
  running: () => boolean;
  /** Where a failed write is reported, once until one succeeds again. */
  warn: (message: string) => void;
  /** Default: {@link PUBLISH_EVERY_MS}. */
  everyMs?: number;
}

/**
 * Publishes now and every `everyMs` while `running()` holds; the timer never keeps the process
 * alive. A store that is away is retried at the next turn. Returns how to stop early.
 */
export function startPublishingHostedActivities(db: Queryable, options: HostedActivitiesPublishing): () => void {
  let failing = false;
  const publish = (): void => {
    publishHostedActivities(db, options.taskQueue, options.activities, options.worker).then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) options.warn(`tapflow store: could not publish this worker's activities (${(err as Error).message}); will try again`);
        failing = true;
      },
    );
  };
  publish();
  const timer = setInterval(() => {
    if (options.running()) publish();
    else clearInterval(timer);
  }, options.everyMs ?? PUBLISH_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
