/**
 * Errors the store raises. Each message is one line meant for a person: the command line prints
 * it as is, without a stack trace.
 */
import { TapflowError } from '../core/errors';

/**
 * The store's PostgreSQL cannot be reached or refused the connection (server down, wrong host
 * or port, bad password, missing database). The message names the server without its password.
 */
export class StoreUnavailableError extends TapflowError {
  readonly code = 'store_unavailable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store is not configured: no `DATABASE_URL` and no URL given. */
export class StoreConfigError extends TapflowError {
  readonly code = 'store_config';

  constructor(message: string) {
    super(message);
  }
}

/**
 * The database was migrated by a newer tapflow than this one, or a migration failed. Nothing
 * was changed: migrations run in one transaction.
 */
export class MigrationError extends TapflowError {
  readonly code = 'migration';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
