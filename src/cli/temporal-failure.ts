/**
 * Which failures of Temporal let a command answer from the run store instead, and how to say
 * so. Pure.
 */
import { isTapflowError, NoWorkerAnsweredError, RunFailedError, RunNotFoundError, UsageError } from '../core/errors';

/**
 * Why Temporal could not answer for a run:
 * - `not-found`: Temporal does not have it (never started there, or dropped after its retention);
 * - `no-worker`: Temporal has it, but no worker answered the status query in time;
 * - `unreachable`: the Temporal server could not be reached.
 */
export type TemporalFailure = 'not-found' | 'no-worker' | 'unreachable';

// How a failed connection to Temporal reads (the same test the command line's error report uses).
const UNREACHABLE = /UNAVAILABLE|Failed to connect|ECONNREFUSED|connect.*timed? ?out|Connection refused/i;

/** Which {@link TemporalFailure} `err` is, or `undefined` for any other error. */
export function classifyTemporalFailure(err: unknown): TemporalFailure | undefined {
  if (err instanceof RunNotFoundError) return 'not-found';
  if (err instanceof NoWorkerAnsweredError) return 'no-worker';
  if (isTapflowError(err, 'temporal_unreachable')) return 'unreachable';
  // The run's own answer (it failed, it refused, it has not finished): never a reason to look elsewhere.
  if (!(err instanceof Error) || err instanceof RunFailedError || err instanceof UsageError) return undefined;
  if (UNREACHABLE.test(err.message)) return 'unreachable';
  return undefined;
}

/** A few words for people: why the answer comes from the store. */
export function describeTemporalFailure(failure: TemporalFailure, address: string): string {
  switch (failure) {
    case 'not-found':
      return 'Temporal no longer has this run';
    case 'no-worker':
      return 'no worker answered the status query';
    case 'unreachable':
      return `Temporal could not be reached at ${address}`;
  }
}
