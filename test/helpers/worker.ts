/**
 * One tapflow worker for a whole test file, on the file's own task queue, hosting the test
 * activities next to the built-ins.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createWorker, type CreateWorkerOptions } from '../../src/worker';
import { TapflowClient } from '../../src/client';
import { ActivityRecorder, createTestActivities } from './activities';
import { workflowBundle } from './temporal';

/** What a test file works with. */
export interface TestRig {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  running: Promise<void>;
  recorder: ActivityRecorder;
  /** A client whose default task queue is the file's. */
  tf: TapflowClient;
  taskQueue: string;
  /** Stops the worker and waits for it. */
  stop(): Promise<void>;
}

/** Creates the file's worker and starts it running; `extra` adds createWorker options. */
export async function startRig(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  extra: Partial<CreateWorkerOptions> = {},
): Promise<TestRig> {
  const recorder = new ActivityRecorder();
  const worker = await createWorker({
    ...extra,
    connection: env.nativeConnection,
    taskQueue,
    activities: createTestActivities(recorder),
    shutdownGraceTime: '1s',
    // workflowsPath: createWorker falls back to bundling the source; the file's bundle replaces it.
    workerOptions: { ...extra.workerOptions, workflowBundle: await workflowBundle(), workflowsPath: undefined },
  });
  const running = worker.run();
  return {
    worker,
    running,
    recorder,
    tf: new TapflowClient(env.client, { taskQueue }),
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** A task queue name unique to this file and process. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}
