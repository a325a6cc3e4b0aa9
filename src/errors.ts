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
    super(`no run with id "${runId}"`);
    this.name = 'RunNotFoundError';
  }
}

/** The run refused a control action (pausing a completed run, resuming a running one). */
export class ActionRefusedError extends UsageError {
  constructor(
    public readonly runId: string,
    message: string,
  ) {
    super(`${runId}: ${message}`);
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
