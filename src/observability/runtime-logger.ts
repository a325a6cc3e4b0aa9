/**
 * The Temporal SDK's logger interface over a pino logger, for `Runtime.install({ logger })`: the
 * SDK's own lines, the lines workflows write with `log` from `@temporalio/workflow` (which reach
 * the worker through the SDK's logger sink) and the lines activities write with `Context.log`
 * all become tapflow JSON lines, with the attributes the SDK attaches (`workflowId`, `runId`,
 * `activityType`, `sdkComponent`, ...) and those tapflow adds (`nodeId`) as fields.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger as PinoLogger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** A Temporal `Logger` that writes to a pino logger. Levels map one to one. */
export class PinoRuntimeLogger implements TemporalLogger {
  constructor(readonly pino: PinoLogger) {}

  /** Writes one line; `meta` becomes the line's fields. */
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = LEVELS[level] ?? 'info';
    if (!this.pino.isLevelEnabled(method)) return;
    // The SDK's own timestamp rides under a symbol key, which pino leaves out: pino stamps its own.
    if (meta === undefined) this.pino[method](message);
    else this.pino[method](meta, message);
  }

  /** See {@link PinoRuntimeLogger.log}. */
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  /** See {@link PinoRuntimeLogger.log}. */
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  /** See {@link PinoRuntimeLogger.log}. */
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  /** See {@link PinoRuntimeLogger.log}. */
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  /** See {@link PinoRuntimeLogger.log}. */
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
