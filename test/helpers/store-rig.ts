/**
 * A test file's Temporal server, a throwaway PostgreSQL with a fresh store database, and one
 * tapflow worker recording into it: what every store-backed workflow test starts with.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AttemptRecorder, type AttemptRecorderOptions } from '../../src/store/attempt-recorder';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { freshDatabase, startTestPostgres, type TestDatabase } from './postgres';
import { startRig, uniqueTaskQueue, type TestRig } from './worker';

/** What {@link storeRigPerFile} gives a test file; fields are set once `beforeAll` has run. */
export interface StoreRig {
  readonly env: TestWorkflowEnvironment;
  readonly server: EmbeddedPostgres;
  readonly db: TestDatabase;
  readonly recorder: AttemptRecorder;
  readonly rig: TestRig;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start `makeEnv()` and a PostgreSQL, and a worker on
 * its own task queue (named from `prefix`) with the store; all stopped after the file. The
 * PostgreSQL server is started again before stopping, in case a test left it down.
 */
export function storeRigPerFile(
  makeEnv: () => Promise<TestWorkflowEnvironment>,
  prefix: string,
  recorderOptions: AttemptRecorderOptions = {},
): StoreRig {
  const parts: Partial<{ -readonly [K in keyof StoreRig]: StoreRig[K] }> = {};
  beforeAll(async () => {
    [parts.env, parts.server] = await Promise.all([makeEnv(), startTestPostgres()]);
    parts.db = await freshDatabase(parts.server);
    parts.recorder = new AttemptRecorder(parts.db.pool, recorderOptions);
    parts.recorder.start();
    parts.rig = await startRig(parts.env, uniqueTaskQueue(prefix), {
      store: { pool: parts.db.pool, recorder: parts.recorder },
    });
  });
  afterAll(async () => {
    await parts.server?.startServer();
    await parts.rig?.stop();
    await parts.recorder?.drain();
    await parts.db?.end();
    await Promise.all([parts.server?.stop(), parts.env?.teardown()]);
  });
  const get = <K extends keyof StoreRig>(key: K): StoreRig[K] => {
    const value = parts[key];
    if (value === undefined) throw new Error(`the store rig's ${key} is not started yet (use it inside a test or hook)`);
    return value as StoreRig[K];
  };
  return {
    get env() {
      return get('env');
    },
    get server() {
      return get('server');
    },
    get db() {
      return get('db');
    },
    get recorder() {
      return get('recorder');
    },
    get rig() {
      return get('rig');
    },
  };
}
