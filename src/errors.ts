/**
 * Errors the programmatic client and the command line raise. Each carries a message meant for
 * a person, on one line. The command line maps {@link UsageError} and its subclasses to exit
 * code 2 and anything else to 1.
 */

/** Bad input from the caller: a malformed flag, an invalid spec, an unknown run. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** No run has this id. */
export class RunNotFoundError extends UsageError {
  constructor(public readonly runId: string) {
    // JSON-quoted: an id holding a quote or a newline still reads as one value on one line.
    super(`no run with id ${JSON.stringify(runId)}`);
    this.name = 'RunNotFoundError';
  }
}

/** The run refused a control action (pausing a completed run, resuming a running one). */
export class ActionRefusedError extends UsageError {
  constructor(
    public readonly runId: string,
    /** Why the run refused, as the run said it (the message without the run id). */
    public readonly reason: string,
  ) {
    super(`${runId}: ${reason}`);
    this.name = 'ActionRefusedError';
  }
}

/** A run with this id already exists (and is running or kept by the id reuse policy). */
export class RunAlreadyExistsError extends UsageError {
  constructor(public readonly runId: string) {
    super(`a run with id "${runId}" already exists; choose another --id`);
    this.name = 'RunAlreadyExistsError';
  }
}

/**
 * An idempotency key came back with a request that differs from the one it was first used with
 * (another spec, input or run id): nothing is started, and the first run is named so the caller
 * can look at it. Exit code 2.
 */
export class IdempotencyConflictError extends UsageError {
  constructor(
    public readonly idempotencyKey: string,
    /** The run the key was first used for. */
    public readonly runId: string,
    /** What differs, in a few words. Default: `spec or input`. */
    what = 'spec or input',
  ) {
    super(`idempotency key "${idempotencyKey}" was first used with a different ${what} (run ${runId})`);
    this.name = 'IdempotencyConflictError';
  }
}

/** The run ended without a result: it failed or was cancelled. Exit code 1. */
export class RunFailedError extends Error {
  constructor(
    public readonly runId: string,
    public readonly state: 'failed' | 'cancelled',
    message: string,
  ) {
    super(`${runId} ${state}: ${message}`);
    this.name = 'RunFailedError';
  }
}

/** The run exists, but no worker answered its status query in time (none polls its task queue). Exit code 1. */
export class NoWorkerAnsweredError extends Error {
  constructor(
    public readonly runId: string,
    public readonly taskQueue: string,
    timeoutMs: number,
  ) {
    super(`${runId}: no worker answered within ${timeoutMs / 1000}s; is a tapflow worker polling task queue "${taskQueue}"?`);
    this.name = 'NoWorkerAnsweredError';
  }
}
