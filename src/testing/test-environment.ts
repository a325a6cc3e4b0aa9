/**
 * A Temporal test server with a tapflow worker on it, for an application's own tests: its
 * activities (and workflows) beside tapflow's, a client on the worker's task queue, and one call
 * to run a pipeline to its result.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { TapflowClient, type StartRunOptions } from '../client';
import type { NodeFunction } from '../activities/wrap';
import { testServerPath, temporalCliPath } from '../devstack/temporal-binaries';
import { createWorker, type CreateWorkerOptions } from '../worker';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PROGRESS_SEARCH_ATTRIBUTE,
  SEARCH_ATTRIBUTES,
  STATE_SEARCH_ATTRIBUTE,
  type PipelineRunResult,
} from '../workflows/definitions';

/** Options of {@link createTestEnvironment}. */
export interface TestEnvironmentOptions {
  /** The activities under test, by name (a module's namespace object works). */
  activities?: Record<string, NodeFunction>;
  /** Modules whose exported functions become activities. */
  activityModules?: string[];
  /** A module of the application's own workflows, run beside tapflow's. */
  workflowsPath?: string;
  /** The worker's and the client's data converter. Default: Temporal's. */
  dataConverter?: DataConverter;
  /**
   * `time-skipping` (default): Temporal's test server, where timers, retries and sleeps take no
   * real time. `dev`: the Temporal CLI's dev server, for what the test server lacks (listing runs
   * by search attribute); real time.
   */
  server?: 'time-skipping' | 'dev';
  /** The worker's task queue. Default: a fresh one per environment. */
  taskQueue?: string;
  /** More worker options (interceptors, a store, metrics). */
  worker?: Partial<Omit<CreateWorkerOptions, 'connection' | 'taskQueue' | 'activities' | 'activityModules' | 'workflowsPath' | 'dataConverter'>>;
}

/** A running test server and worker; tear it down after the tests. */
export interface TapflowTestEnvironment {
  /** A tapflow client on the worker's task queue. */
  client: TapflowClient;
  /** The SDK's environment: its `client`, `nativeConnection`, `sleep`, `currentTimeMs`. */
  temporal: TestWorkflowEnvironment;
  /** The worker, already running. */
  worker: Worker;
  /** The worker's task queue, the client's default. */
  taskQueue: string;
  /**
   * Starts a run of `spec` and waits for its result (in skipped time on the test server).
   *
   * @throws {RunFailedError} when the run fails or is cancelled.
   * @throws {InvalidSpecError} when the spec does not validate.
   */
  run(spec: unknown, options?: StartRunOptions): Promise<PipelineRunResult>;
  /** Stops the worker, then the server; rethrows what stopped the worker, if it failed. */
  teardown(): Promise<void>;
}

// Temporal's IndexedValueType numbers (a stable protobuf enum), for registering the search attributes.
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3 } as const;

/**
 * Starts a Temporal test server (from the binaries `npx tapflow setup` installs, or
 * `TAPFLOW_TEST_SERVER_BIN` / `TAPFLOW_TEMPORAL_BIN`) and a tapflow worker on it.
 *
 * @throws {ToolNotFoundError} when the server binary is not installed (the message says how).
 */
export async function createTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TapflowTestEnvironment> {
  const temporal = await startServer(options.server ?? 'time-skipping', options.dataConverter);
  const taskQueue = options.taskQueue ?? `tapflow-test-${randomUUID()}`;
  let worker: Worker;
  try {
    worker = await createWorker({
      shutdownGraceTime: '1s',
      ...options.worker,
      connection: temporal.nativeConnection,
      taskQueue,
      ...(options.activities ? { activities: options.activities } : {}),
      ...(options.activityModules ? { activityModules: options.activityModules } : {}),
      ...(options.workflowsPath ? { workflowsPath: options.workflowsPath } : {}),
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    });
  } catch (err) {
    await temporal.teardown();
    throw err;
  }
  // Held from the start: a worker that dies mid-suite is reported at teardown, not as an unhandled rejection.
  let failure: unknown;
  const running = worker.run().catch((err: unknown) => {
    failure = err;
  });
  const client = new TapflowClient(temporal.client, { taskQueue });
  return {
    client,
    temporal,
    worker,
    taskQueue,
    async run(spec, startOptions = {}) {
      const { workflowId } = await client.startRun(spec, startOptions);
      return client.result(workflowId, { wait: true });
    },
    async teardown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await temporal.teardown();
      if (failure) throw failure;
    },
  };
}

async function startServer(kind: 'time-skipping' | 'dev', dataConverter: DataConverter | undefined): Promise<TestWorkflowEnvironment> {
  const client = dataConverter ? { client: { dataConverter } } : {};
  if (kind === 'dev') {
    return TestWorkflowEnvironment.createLocal({
      ...client,
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
      },
    });
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ ...client, server: { executable: { type: 'existing-path', path: testServerPath() } } });
  try {
    // The test server refuses a start that sets search attributes it does not know.
    const searchAttributes = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]));
    await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
    return env;
  } catch (err) {
    await env.teardown();
    throw err;
  }
}
