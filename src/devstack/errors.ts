/**
 * Errors of the developer's stack. Each message is one line meant for a person: the command
 * line prints it as is, without a stack trace.
 */
import { TapflowError } from '../core/errors';

/**
 * The embedded PostgreSQL could not start or stop: a port in use, a data directory in use by
 * another server or from another PostgreSQL version, missing binaries. The message says what to do.
 */
export class EmbeddedPostgresError extends TapflowError {
  readonly code = 'embedded_postgres';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
