/**
 * `tapflow/worker`: a Temporal worker that runs pipelines, in the application's own process,
 * beside its own workflows and activities.
 *
 * ```ts
 * import { NativeConnection } from '@temporalio/worker';
 * import { createWorker, loadTemporalSettings } from 'tapflow/worker';
 * import { openStore } from 'tapflow/store';
 * import * as activities from './activities';
 *
 * const connection = await NativeConnection.connect(loadTemporalSettings().connectionOptions);
 * const store = await openStore({ url: process.env.DATABASE_URL! });
 * const worker = await createWorker({ connection, activities, store, workflowsPath: require.resolve('./workflows') });
 * await worker.run();
 * await store.close();
 * ```
 *
 * Also here, for activity code: {@link permanentFailure}, {@link needsReview} and the call type
 * {@link ActivityCall}.
 */
import { checkTemporalSdk } from './control/peer-dependencies';

// Before the SDK loads: a missing or mismatched SDK is one clear error, not a native crash.
checkTemporalSdk();

import type { InjectedSinks, NativeConnection, Worker as TemporalWorker, WorkerOptions } from '@temporalio/worker';
import type { DataConverter, Duration } from '@temporalio/common';
import type { Pool } from 'pg';
import { builtinActivities } from './activities/builtin';
import { wrapNodeActivity, type NodeFunction } from './activities/wrap';
import { attemptInterceptor } from './activities/attempt-interceptor';
import { loadActivityModules } from './activities/load-modules';
import { createMapBatchActivity } from './activities/map-batch';
import { createRecordActivity } from './activities/record';
import { runCancelActivities } from './activities/run-cancel';
import { concurrencyActivities } from './activities/concurrency';
import { endTaskActivities } from './activities/end-task';
import { createLatestPipelineActivity } from './activities/latest-pipeline';
import { bundleTapflowWorkflows } from './bundle/workflow-bundle';
import type { WorkerMetrics } from './observability/metrics';
import { nodeLogAttributes } from './observability/node-log-attributes';
import { nodeMetricsInterceptor } from './observability/node-metrics-interceptor';
import { RecordMetrics } from './observability/record-metrics';
import type { AttemptRecorder } from './store/attempt-recorder';
import { startPublishingHostedActivities } from './store/hosted-activities-publisher';
import { attachRunReconciler, type RunReconcilerSettings } from './control/attach-run-reconciler';
import type { StoreValueCodec } from './store/value-codec';
import { RunWriteQueue } from './store/run-write-queue';
import { attachNotificationDispatcher } from './notifications/attach-notification-dispatcher';
import { checkNotificationSettings, type NotificationSettings } from './notifications/notification-settings';
import { attachStoreRetention, StoreRetention, type StoreRetentionSettings } from './store/store-retention';
import { parseDuration } from './core/duration';

import { UsageError } from './core/errors';
import { DEFAULT_TASK_QUEUE } from './workflows/definitions';
import { MAP_BATCH_ACTIVITY } from './workflows/map-batch-call';
import { RECORD_ACTIVITY, STORE_SINK, type RecordCall, type TapflowStoreSinks } from './workflows/record-call';
import { LiveNodeStatuses } from './store/live-node-statuses';
import { localStepHeartbeats } from './activities/local-step-heartbeats';
import { LATEST_PIPELINE_ACTIVITY, RESERVED_ACTIVITIES } from './core/types';

export { NativeConnection } from '@temporalio/worker';
export { bundleTapflowWorkflows, tapflowWorkflowsPath, type TapflowBundleOptions, type WorkflowCode } from './bundle/workflow-bundle';
export { permanentFailure, PERMANENT_ERROR_TYPE, needsReview, NEEDS_REVIEW_ERROR_TYPE } from './activities/failures';
export { loadActivityModules, ActivityModuleError } from './activities/load-modules';
export { builtinActivities } from './activities/builtin';
export type { NodeFunction } from './activities/wrap';
export type { ActivityCall, ReportedPaths } from './core/types';
export { createWorkerMetrics, type WorkerMetrics } from './observability/metrics';
export { loadTemporalSettings, type TemporalSettings } from './control/connection';
export { notificationSettingsFromEnv, type NotificationSettings, type WebhookFlags } from './notifications/notification-settings';
export { DEFAULT_RETRY_SCHEDULE, type RetrySchedule } from './notifications/retry-schedule';
export type { NotificationPayload } from './notifications/notification-payload';
export type { NotifySpec, NotifyEvent } from './core/notify';
export { DEFAULT_TASK_QUEUE, PIPELINE_WORKFLOW_TYPE, SEARCH_ATTRIBUTES } from './workflows/definitions';

/**
 * The run store a worker records into: runs and control actions through the pool, attempts
 * through the recorder. `openStore` from `tapflow/store` returns one.
 */
export interface WorkerStore {
  pool: Pool;
  recorder: AttemptRecorder;
  /**
   * Where runs' live changes are written; `openStore` makes one and drains it on close. Without
   * it the worker makes its own, which is not drained when the store closes (each run's final
   * record is written durably all the same).
   */
  runWrites?: RunWriteQueue;
  /** How run values are kept; `openStore({ url, dataConverter })` sets it. Default: as they are. */
  valueCodec?: StoreValueCodec;
}

/** Options of {@link createWorker}. */
export interface CreateWorkerOptions {
  /** An open connection to Temporal (`NativeConnection.connect(loadTemporalSettings().connectionOptions)`). */
  connection: NativeConnection;
  /** Default: `default`. */
  namespace?: string;
  /** Default: {@link DEFAULT_TASK_QUEUE} (`tapflow`). */
  taskQueue?: string;
  /**
   * The application's activities by name (a module's namespace object works: each exported
   * function becomes an activity under its export name). They replace built-ins of the same name.
   */
  activities?: Record<string, NodeFunction>;
  /**
   * Modules whose exported functions become activities, as `tapflow worker --activities` loads
   * them (paths, ESM or CommonJS). Loaded before `activities`, which win on a name both have.
   */
  activityModules?: string[];
  /**
   * A module of the application's own workflows, run by this worker beside tapflow's (bundled
   * together at start). Default: none, tapflow's workflows alone.
   */
  workflowsPath?: string;
  /**
   * Workflow code bundled in advance (`bundleTapflowWorkflows`), instead of bundling at start. It
   * must hold tapflow's workflows. Default: bundled at start (tapflow's alone come from a cache).
   */
  workflowBundle?: { code: string } | { codePath: string };
  /**
   * How payloads are converted and encoded (a codec that encrypts, say): the same as the
   * clients' (`TapflowClient.connect({ dataConverter })`). A `payloadConverterPath` is bundled
   * into the workflow code. Default: Temporal's.
   */
  dataConverter?: DataConverter;
  /**
   * How long in-flight activities may run on after shutdown is asked (SIGTERM) before they
   * are cancelled. Default: `"30s"`.
   */
  shutdownGraceTime?: Duration;
  /** Most activities this worker runs at once. Default: 100. */
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * The run store (from `openStore` in `tapflow/store`): every run, node attempt and control
   * action is recorded there. The caller opens it and closes it after the worker has stopped.
   * Default: none (nothing is recorded). Every worker on a task queue should be given the same store.
   */
  store?: WorkerStore;
  /**
   * Where this worker counts node attempts, retries, runs ended and pause latencies (from
   * `createWorkerMetrics`). Default: none (nothing is measured).
   */
  metrics?: WorkerMetrics;
  /**
   * Any other Temporal worker option (interceptors, tuners, ...). Activity interceptors run after
   * tapflow's own; `interceptors.workflowModules` are bundled into the workflow code.
   */
  workerOptions?: Partial<WorkerOptions>;
  /**
   * The run reconciler a worker with a store runs while it runs (one across all workers sweeps,
   * under a PostgreSQL advisory lock): it writes runs Temporal terminated, timed out or reset to
   * the store. Settings, or `false` for none. Default: a sweep every 15 s.
   */
  runReconciler?: RunReconcilerSettings | false;
  /**
   * Deliver notifications from this worker: signed webhook POSTs for run events (held, failed,
   * completed, cancelled, terminated, queued too long), to the deployment's `webhooks` and to
   * those the runs' specs name in `notify`, retried with backoff and recorded in the store. Needs
   * `store`. Any number of workers may deliver; each delivery is sent by one of them.
   * `notificationSettingsFromEnv()` reads them as `tapflow worker` does. Default: none (this
   * worker delivers nothing; the events wait in the store for a worker that does).
   */
  notifications?: NotificationSettings;
  /**
   * How long the store keeps the records of runs that have ended (`"90d"`, `"12h"`, or ms; or
   * settings): while it runs, the worker deletes the records of runs that ended longer ago, a
   * first pass 30 s after start and then hourly, one worker of the fleet at a time (a PostgreSQL
   * advisory lock), logging what it deleted. Needs `store`. Default: none, records are kept.
   */
  storeRetention?: Duration | StoreRetentionSettings;
}

/**
 * Creates (but does not run) a worker hosting tapflow's workflows and the application's
 * activities (and workflows), each activity wrapped to report its attempts to the store.
 *
 * @throws {ActivityModuleError} when an activity module cannot be loaded.
 * @throws {MissingDependencyError} / {SdkVersionError} when the Temporal SDK is missing, mixed or
 *   out of range (already when this module is imported).
 */
export async function createWorker(options: CreateWorkerOptions): Promise<TemporalWorker> {
  const dataConverter = options.dataConverter ?? options.workerOptions?.dataConverter;
  if (options.store && (dataConverter?.payloadCodecs?.length ?? 0) > 0 && !options.store.valueCodec?.encodes) {
    // Temporal would hold only encoded payloads while the store kept every value in the clear.
    throw new UsageError(
      "the worker's data converter encodes payloads, but its store keeps values in the clear: open the store with the same data converter (openStore({ url, dataConverter }))",
    );
  }
  if (options.notifications) {
    if (!options.store) throw new UsageError('notifications need a store: give createWorker a store (openStore) to deliver them from');
    checkNotificationSettings(options.notifications);
  }
  const retention = options.storeRetention === undefined ? undefined : retentionSettings(options.storeRetention, options.store !== undefined);
  const { Worker } = await import('@temporalio/worker');
  const fromModules = options.activityModules?.length ? await loadActivityModules(options.activityModules) : {};
  const all: Record<string, NodeFunction> = { ...builtinActivities, ...fromModules, ...functionsOf(options.activities) };
  const activities: Record<string, (call: unknown) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(all)) activities[name] = wrapNodeActivity(fn);
  const recorder = options.store?.recorder;
  // Registered on every worker (a no-op without a store), after the user's: the names are reserved.
  activities[MAP_BATCH_ACTIVITY] = createMapBatchActivity({ ...activities }, recorder) as (call: unknown) => Promise<unknown>;
  const recordMetrics = options.metrics ? new RecordMetrics(options.metrics, { store: options.store?.pool }) : undefined;
  const runWrites = options.store && (options.store.runWrites ?? new RunWriteQueue(options.store.pool, { valueCodec: options.store.valueCodec }));
  // Runs' node lists for their live writes; a run's final record lets its list go.
  const liveNodes = runWrites && new LiveNodeStatuses();
  const record = createRecordActivity(options.store, recordMetrics);
  activities[RECORD_ACTIVITY] = (async (call: RecordCall) => {
    const result = await record(call);
    if (call.kind === 'run' && call.reconcile) liveNodes?.forget(call.run.workflowId);
    return result;
  }) as (call: unknown) => Promise<unknown>;
  if (runWrites && recordMetrics) runWrites.observe((run, outcome) => recordMetrics.written({ kind: 'run', run }, outcome));
  Object.assign(activities, runCancelActivities, concurrencyActivities, endTaskActivities);
  activities[LATEST_PIPELINE_ACTIVITY] = createLatestPipelineActivity(options.store) as (call: unknown) => Promise<unknown>;

  const { workflowsPath: theirWorkflows, workflowBundle: theirBundle, ...workerOptions } = options.workerOptions ?? {};
  // Workflow interceptors go into the bundle; given to the SDK beside a bundle, they would only warn.
  const { workflowModules, ...interceptors } = workerOptions.interceptors ?? {};
  const workflowBundle =
    options.workflowBundle ??
    theirBundle ??
    (await bundleTapflowWorkflows({
      workflowsPath: options.workflowsPath ?? theirWorkflows,
      workflowInterceptorModules: workflowModules,
      payloadConverterPath: options.dataConverter?.payloadConverterPath ?? workerOptions.dataConverter?.payloadConverterPath,
      failureConverterPath: options.dataConverter?.failureConverterPath ?? workerOptions.dataConverter?.failureConverterPath,
    }));
  const worker = await Worker.create({
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
    // held runs up to 20 s after a worker was killed; 3 s still leaves a busy worker time to
    // take its own runs' tasks.
    stickyQueueScheduleToStartTimeout: '3s',
    ...workerOptions,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    workflowBundle,
    sinks: {
      ...workerOptions.sinks,
      ...storeSinks(runWrites, liveNodes),
    },
    interceptors: {
      ...interceptors,
      activity: [
        // Every line an activity attempt logs names its node.
        nodeLogAttributes(),
        localStepHeartbeats(),
        ...(options.metrics ? [nodeMetricsInterceptor(options.metrics)] : []),
        ...(recorder ? [attemptInterceptor(recorder)] : []),
        ...(interceptors.activity ?? []),
      ],
    },
  });
  if (options.store) {
    // So a start can refuse a node whose activity no live worker hosts (the names reserved for
    // tapflow's own bookkeeping are not a node's to call).
    startPublishingHostedActivities(options.store.pool, {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      activities: Object.keys(activities).filter((name) => !RESERVED_ACTIVITIES.has(name)),
      worker: worker.options.identity,
      running: () => !['STOPPED', 'FAILED'].includes(worker.getState()),
      warn: (message) => process.stderr.write(`${message}\n`),
    });
  }
  if (options.store && options.runReconciler !== false) {
    // So the store says what Temporal did behind the runs' backs (terminate, timeout, reset).
    attachRunReconciler(worker, {
      connection: options.connection,
      namespace: options.namespace ?? 'default',
      ...(dataConverter ? { dataConverter } : {}),
      pool: options.store.pool,
      ...(options.store.valueCodec ? { valueCodec: options.store.valueCodec } : {}),
      ...(options.runReconciler ? { settings: options.runReconciler } : {}),
    });
  }
  if (options.store && options.notifications) {
    // So webhooks hear of run events, whatever wrote them (the store's outbox, migration 012).
    attachNotificationDispatcher(worker, {
      ...options.notifications,
      pool: options.store.pool,
      ...(options.store.valueCodec ? { valueCodec: options.store.valueCodec } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
  }
  if (options.store && retention) {
    // So the store keeps what it was asked to keep, and no more.
    attachStoreRetention(worker, new StoreRetention(options.store.pool, retention));
  }
  return worker;
}

/**
 * `storeRetention` as settings.
 *
 * @throws {UsageError} for a duration that is not one, or a retention without a store.
 */
function retentionSettings(value: Duration | StoreRetentionSettings, hasStore: boolean): StoreRetentionSettings {
  if (!hasStore) throw new UsageError('storeRetention needs a store: give createWorker a store (openStore)');
  if (typeof value === 'object') {
    if (!(value.olderThanMs >= 1)) throw new UsageError(`storeRetention.olderThanMs: must be at least 1 ms, got ${String(value.olderThanMs)}`);
    return value;
  }
  const olderThanMs = parseDuration(value);
  if (olderThanMs === undefined) throw new UsageError(`storeRetention: "${String(value)}" is not a duration (e.g. 90d, 12h)`);
  return { olderThanMs };
}

/**
 * The sink runs' live changes come through (not called on replay: those writes were made when
 * the task first ran). Without a store it drops them, as the record activity does.
 */
function storeSinks(runWrites: RunWriteQueue | undefined, liveNodes: LiveNodeStatuses | undefined): InjectedSinks<TapflowStoreSinks> {
  return {
    [STORE_SINK]: {
      run: { fn: (_info, write) => (runWrites && liveNodes ? runWrites.push(liveNodes.resolve(write)) : undefined), callDuringReplay: false },
    },
  };
}

/** The functions of an activities object (a module namespace holds other exports too). */
function functionsOf(activities: Record<string, unknown> | undefined): Record<string, NodeFunction> {
  const out: Record<string, NodeFunction> = {};
  for (const [name, value] of Object.entries(activities ?? {})) if (typeof value === 'function') out[name] = value as NodeFunction;
  return out;
}
