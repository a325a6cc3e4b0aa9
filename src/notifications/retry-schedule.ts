/**
 * When a notification that failed is tried again: exponential backoff with a cap and jitter.
 */

/** How deliveries are retried. */
export interface RetrySchedule {
  /** Attempts in all, the first included. Default: 10. */
  maxAttempts: number;
  /** The wait after the first failed attempt, in ms. Default: 10,000 (10 s). */
  initialMs: number;
  /** What each next wait is multiplied by. Default: 3. */
  factor: number;
  /** The longest wait, in ms. Default: 7,200,000 (2 h). */
  maxMs: number;
  /**
   * Up to this fraction of each wait is taken off at random, so receivers that failed together
   * are not all retried at the same moment. Default: 0.2.
   */
  jitter: number;
}

/**
 * The default: 10 attempts, waits of 10 s, 30 s, 1.5 min, 4.5 min, 13.5 min, 40.5 min, then 2 h
 * thrice: the last attempt about 7.5 hours after the first, long enough to ride out a receiver's
 * deploy or an outage of an evening.
 */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { maxAttempts: 10, initialMs: 10_000, factor: 3, maxMs: 7_200_000, jitter: 0.2 };

/**
 * The wait before attempt `attempt + 1`, after attempt `attempt` (from 1) failed; `undefined`
 * when `attempt` was the last.
 */
export function retryDelay(schedule: RetrySchedule, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= schedule.maxAttempts) return undefined;
  const base = Math.min(schedule.maxMs, schedule.initialMs * schedule.factor ** (attempt - 1));
  return Math.max(1, Math.round(base * (1 - schedule.jitter * random())));
}
