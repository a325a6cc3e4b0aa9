/**
 * `tapflow/store`: the run store, PostgreSQL as the system of record for runs, node attempts and
 * control actions, long after Temporal's retention has dropped a run.
 *
 * - Opening: {@link openStore} connects, migrates and starts the attempt recorder: what
 *   `createWorker`'s `store` option and `buildApi`'s `store` take. {@link createPool} and
 *   {@link checkStore} for a pool of your own.
 * - Schema: {@link migrate}, run by {@link openStore} at start; safe to run twice and from several
 *   processes at once. {@link MIGRATIONS} lists them. {@link checkSchema} checks without changing
 *   anything (`openStore({ migrate: false })`); an older tapflow works with a newer schema while
 *   the migrations it does not know are compatible with it (see `migrations/index.ts`).
 * - Retention: {@link purgeEndedRecords} deletes the records of runs that ended before a time, in
 *   batches; {@link deleteRunRecords} one ended run's; {@link StoreRetention} is a worker's
 *   hourly purge (`createWorker`'s `storeRetention`).
 * - Reads: {@link getRun}, {@link listAttempts}, {@link getAttemptOutput},
 *   {@link listControlActions}, {@link searchRuns}, {@link readRunHistory}.
 * - Following changes: {@link listenStoreEvents} (PostgreSQL `NOTIFY` on
 *   {@link STORE_EVENTS_CHANNEL}).
 * - Encrypted payloads: with `openStore({ url, dataConverter })` a run's values are kept encoded
 *   by the data converter's codecs; {@link storeValueCodec} and {@link decodeRun} read them back.
 * - The records and what each field means: see `types.ts`.
 *
 * Every read takes a client first (a pool, a pool client or a `pg.Client`), so callers choose the
 * connection and the transaction. Writes belong to the worker and go through the recorder.
 */
export * from './types';
export { StoreUnavailableError, StoreConfigError, MigrationError } from './errors';
export { openStore, StoreOpenError, migrateFromEnv, type OpenStore, type OpenStoreOptions } from './open-store';
export { createPool, checkStore, type Queryable, type StorePoolOptions } from './pool';
export { migrate, type MigrateResult } from './migrate';
export { MIGRATIONS, type Migration } from './migrations';
export { checkSchema } from './schema-check';
export { judgeSchema, type SchemaJudgement } from './schema-compatibility';
export {
  purgeEndedRecords,
  deleteRunRecords,
  DEFAULT_PURGE_BATCH,
  type PurgeOptions,
  type PurgeResult,
  type DeletedRun,
  type DeletedRecords,
} from './purge';
export { StoreRetention, type StoreRetentionSettings, type RetentionPass } from './store-retention';
export { listenStoreEvents } from './events';
export { AttemptRecorder, type AttemptRecorderOptions } from './attempt-recorder';
export { getAttemptOutput, type AttemptOutput } from './sql/get-attempt-output';
export { getRun } from './sql/get-run';
export { StorePipelineRegistry, specDigest, type PushedPipeline } from './pipeline-registry';
export { listAttempts } from './sql/list-attempts';
export { listControlActions } from './sql/list-control-actions';
export { searchRuns } from './sql/search-runs';
export { readRunHistory } from './run-history';
export { storeValueCodec, isEncodedValue, PLAIN_VALUES, ENCODED_VALUE_KEY, type StoreValueCodec, type EncodedValue } from './value-codec';
export { decodeRun, decodeAttempt, decodeAction } from './decode-records';
