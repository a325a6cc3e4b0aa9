/**
 * Builds and runs a tapflow worker: the pipeline workflow plus the built-in activities and any
 * user functions, each wrapped to report attempts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { builtinActivities } from './activities/builtin';
import { wrapNodeActivity, type NodeFunction } from './activities/wrap';
import { attemptInterceptor } from './activities/attempt-interceptor';
import { createMapBatchActivity } from './activities/map-batch';
import { createRecordActivity } from './activities/record';
import type { WorkerMetrics } from './observability/metrics';
import { nodeLogAttributes } from './observability/node-log-attributes';
import { nodeMetricsInterceptor } from './observability/node-metrics-interceptor';
import { RecordMetrics } from './observability/record-metrics';
import type { Pool } from 'pg';
import type { AttemptRecorder } from './store/attempt-recorder';
import type { Duration } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE } from './workflows/definitions';
import { MAP_BATCH_ACTIVITY } from './workflows/map-batch-call';
import { RECORD_ACTIVITY } from './workflows/record-call';

/** The run store a worker records into: runs and control actions through the pool, attempts through the recorder. */
export interface WorkerStore {
  pool: Pool;
  recorder: AttemptRecorder;
}

/** Options of {@link createWorker}. */
export interface CreateWorkerOptions {
  /** An open connection to Temporal. */
  connection: NativeConnection;
  /** Default: `default`. */
  namespace?: string;
  /** Default: {@link DEFAULT_TASK_QUEUE}. */
  taskQueue?: string;
  /** User activities by name; they replace built-ins of the same name. */
  activities?: Record<string, NodeFunction>;
  /**
   * How long in-flight activities may run on after shutdown is asked (SIGTERM) before they
   * are cancelled. Default: `"30s"`.
   */
  shutdownGraceTime?: Duration;
  /** Most activities this worker runs at once. Default: 100. */
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * The run store (e.g. from `openStore`): every run, node attempt and control action is recorded
   * there. The caller opens it and closes it after the worker has stopped. Default: none
   * (nothing is recorded). Every worker on a task queue should be given the same store.
   */
  store?: WorkerStore;
  /**
   * Where this worker counts node attempts, retries, runs ended and pause latencies (e.g. from
   * `createWorkerMetrics`). Default: none (nothing is measured).
   */
  metrics?: WorkerMetrics;
  /** Extra Temporal worker options (interceptors, tuners, ...). */
  workerOptions?: Partial<WorkerOptions>;
}

/** Path of the pre-built workflow bundle that `npm run build` writes. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, 'workflow-bundle.js');

/**
 * Creates (but does not run) a worker. Uses the pre-built workflow bundle when there is one,
 * so a deployment does not bundle at start; otherwise bundles the workflow source.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const activities: Record<string, (call: unknown) => Promise<unknown>> = {};
  const all: Record<string, NodeFunction> = { ...builtinActivities, ...options.activities };
  for (const [name, fn] of Object.entries(all)) activities[name] = wrapNodeActivity(fn);
  const recorder = options.store?.recorder;
  // Registered on every worker (a no-op without a store), after the user's: the names are reserved.
  activities[MAP_BATCH_ACTIVITY] = createMapBatchActivity({ ...activities }, recorder) as (call: unknown) => Promise<unknown>;
  const recordMetrics = options.metrics ? new RecordMetrics(options.metrics, { store: options.store?.pool }) : undefined;
  activities[RECORD_ACTIVITY] = createRecordActivity(options.store, recordMetrics) as (call: unknown) => Promise<unknown>;
  const workflowSource = existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('./workflows') };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities,
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
    // Heartbeats reach the server at least every 2 s (the SDK's defaults are 30 s without a
    // heartbeatTimeout, up to 60 s with one), and a cancel rides back on the heartbeat's
    // response: so a cancel reaches a heartbeating node within about two seconds.
    defaultHeartbeatThrottleInterval: '1s',
    maxHeartbeatThrottleInterval: '2s',
    // A run cached on a worker that dies is offered to that worker's sticky queue until this
    // passes, and only then to a live worker: every run it held stalls that long. The SDK's 10 s
    // held runs up to 20 s after a worker was killed (RELIABILITY.md); 3 s still leaves a busy
    // worker time to take its own runs' tasks.
    stickyQueueScheduleToStartTimeout: '3s',
    ...workflowSource,
    ...options.workerOptions,
    interceptors: {
      ...options.workerOptions?.interceptors,
      activity: [
        // Every line an activity attempt logs names its node.
        nodeLogAttributes(),
        ...(options.metrics ? [nodeMetricsInterceptor(options.metrics)] : []),
        ...(recorder ? [attemptInterceptor(recorder)] : []),
        ...(options.workerOptions?.interceptors?.activity ?? []),
      ],
    },
  });
}
