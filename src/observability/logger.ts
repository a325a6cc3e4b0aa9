/**
 * The tapflow logger: one JSON object per line (pino), on stderr, so a log shipper reads the
 * worker's, the API's and the workflows' lines alike. Every line carries `service` (`worker` or
 * `api`), and, where there is one, the run (`workflowId`) and the node (`nodeId`).
 */
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { UsageError } from '../core/errors';

/** Which process (or part of `tapflow dev`) a line comes from: the `service` field. */
export type TapflowService = 'worker' | 'api';

/** The environment variable that sets the log level. */
export const LOG_LEVEL_ENV = 'TAPFLOW_LOG_LEVEL';

/** The levels a tapflow logger takes, quietest last (`silent` logs nothing). */
export const LOG_LEVELS: readonly (Level | 'silent')[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Options of {@link createLogger}. */
export interface TapflowLoggerOptions {
  /** The `service` field of every line. */
  service: TapflowService;
  /**
   * The least severe level written, any case (`DEBUG`, `warn`). Default: the
   * `TAPFLOW_LOG_LEVEL` environment variable, else `defaultLevel`.
   */
  level?: string;
  /** The level when neither `level` nor `TAPFLOW_LOG_LEVEL` is given. Default: `info`. */
  defaultLevel?: Level;
  /** Where the lines go. Default: stderr, written synchronously (nothing is lost at exit). */
  destination?: DestinationStream;
}

/**
 * A level name as pino knows it.
 *
 * @throws {UsageError} for a name that is not one of {@link LOG_LEVELS}.
 */
export function parseLogLevel(value: string, where = LOG_LEVEL_ENV): Level | 'silent' {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as Level | 'silent';
  throw new UsageError(`${where}: "${value}" is not a log level (${LOG_LEVELS.join(', ')})`);
}

/**
 * Makes a tapflow logger: JSON lines with `level` as a name (`"info"`), `time` as ISO-8601,
 * `service`, `pid` and `hostname`; an `err` or `error` field that is an Error is written with its
 * type, message and stack.
 *
 * @throws {UsageError} when the level (given, or from `TAPFLOW_LOG_LEVEL`) is not a level.
 */
export function createLogger(options: TapflowLoggerOptions): Logger {
  const fromEnv = process.env[LOG_LEVEL_ENV];
  let level: Level | 'silent' = options.defaultLevel ?? 'info';
  if (options.level !== undefined) level = parseLogLevel(options.level, '--log-level');
  else if (fromEnv) level = parseLogLevel(fromEnv);
  return pino(
    {
      level,
      base: { service: options.service, pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
