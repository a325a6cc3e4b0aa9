/**
 * The run store: PostgreSQL as the system of record for runs, node attempts and control actions.
 *
 * - Connecting: {@link createPool} (from `DATABASE_URL`), {@link withPgClient}, {@link checkStore}.
 * - Schema: {@link migrate} at start; safe to run twice and from several processes at once.
 * - Writes (idempotent under duplicate delivery): {@link upsertRun}, {@link upsertAttemptStart},
 *   {@link upsertAttemptEnd}, {@link insertControlAction}; batches of attempts:
 *   {@link foldAttemptWrites} then {@link upsertAttemptRows}.
 * - Reads: {@link getRun}, {@link listAttempts}, {@link getAttemptOutput}, {@link listControlActions},
 *   {@link searchRuns}, {@link findRunByIdempotencyKey}.
 * - Following changes: {@link listenStoreEvents} (PostgreSQL `NOTIFY`).
 * - Without a server: {@link startEmbeddedPostgres}, {@link startDevPostgres}.
 *
 * Every statement takes a client first (a pool, a pool client or a `pg.Client`), so callers
 * choose the connection and the transaction.
 */
export * from './types';
export * from './errors';
export {
  createPool,
  withPgClient,
  makeWithPgClient,
  checkStore,
  isConnectionError,
  describeConnectionError,
  redactUrl,
  type Queryable,
  type StorePoolOptions,
  type WithPgClient,
} from './pool';
export { migrate, MIGRATION_LOCK_KEY, type MigrateResult } from './migrate';
export { MIGRATIONS, type Migration } from './migrations';
export { parseStoreEvent, listenStoreEvents } from './events';
export {
  startEmbeddedPostgres,
  startDevPostgres,
  DEV_POSTGRES_PORT,
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type StopMode,
} from './embedded';
export { AttemptRecorder, type AttemptRecorderOptions } from './attempt-recorder';
export { upsertRun } from './sql/upsert-run';
export { upsertAttemptStart } from './sql/upsert-attempt-start';
export { upsertAttemptEnd } from './sql/upsert-attempt-end';
export { foldAttemptWrites, type AttemptRow, type AttemptWrite } from './sql/attempt-rows';
export {
  upsertAttemptRows,
  MAX_INLINE_OUTPUT_BYTES,
  ATTEMPT_OUTPUTS_REF,
  type AttemptRowsOptions,
  type AttemptRowsOutcome,
} from './sql/upsert-attempt-rows';
export { getAttemptOutput, type AttemptOutput } from './sql/get-attempt-output';
export { insertControlAction } from './sql/insert-control-action';
export { getRun } from './sql/get-run';
export { listAttempts } from './sql/list-attempts';
export { listControlActions } from './sql/list-control-actions';
export { searchRuns } from './sql/search-runs';
export { findRunByIdempotencyKey } from './sql/find-run-by-idempotency-key';
export { listReusableOutputs } from './sql/list-reusable-outputs';
