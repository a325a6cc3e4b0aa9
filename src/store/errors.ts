/**
 * Errors the store raises. Each message is one line meant for a person: the command line prints
 * it as is, without a stack trace.
 */

/**
 * The store's PostgreSQL cannot be reached or refused the connection (server down, wrong host
 * or port, bad password, missing database). The message names the server without its password.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store is not configured: no `DATABASE_URL` and no URL given. */
export class StoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConfigError';
  }
}

/**
 * The database was migrated by a newer tapflow than this one, or a migration failed. Nothing
 * was changed: migrations run in one transaction.
 */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/**
 * The embedded PostgreSQL could not start or stop: a port in use, a data directory in use by
 * another server or from another PostgreSQL version, missing binaries. The message says what to do.
 */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}
