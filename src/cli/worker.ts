/** `tapflow worker [--activities MODULE]... [--task-queue Q]`: a worker for a real deployment. */
import { commandDataConverter } from './data-converter';
import { loadActivityModules } from '../activities/load-modules';
import { loadTemporalSettings } from '../control/connection';
import { createWorker, NativeConnection } from '../worker';
import { openStore } from '../store/open-store';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { UsageError } from '../core/errors';
import { parseDuration } from '../core/duration';
import type { GlobalOptions } from './io';
import { parseAge } from './store';
import { createLogger } from '../observability/logger';
import { setUpWorkerTelemetry } from '../observability/worker-telemetry';
import type { WorkerMetricsServer } from '../observability/worker-metrics-server';
import { notificationSettingsFromEnv } from '../notifications/notification-settings';

/** Options of `worker`. */
export interface WorkerCommandOptions extends GlobalOptions {
  activities?: string[];
  shutdownGrace?: string;
  maxConcurrent?: string;
  logLevel?: string;
  /** Serve `/metrics`, `/healthz` and `/readyz` on this port. Default: not served. */
  metricsPort?: string;
  /** Default: `0.0.0.0`. */
  metricsHost?: string;
  /** `--webhook URL`, repeatable: the deployment's webhooks. */
  webhook?: string[];
  /** `--webhook-events LIST`: the events they hear. */
  webhookEvents?: string;
  /** `false` with `--no-migrate`: the store's schema is only checked. Default: `TAPFLOW_STORE_MIGRATE`, else migrate. */
  migrate?: boolean;
  /** Delete the records of runs that ended longer ago. Default: `TAPFLOW_STORE_RETENTION`, else none. */
  storeRetention?: string;
}

/**
 * Connects with Temporal's standard settings and runs until SIGINT or SIGTERM, then drains:
 * polling stops, in-flight activities get the grace time to finish, and the process exits 0.
 * Logs are JSON lines on stderr (`--log-level`, else `TAPFLOW_LOG_LEVEL`, else info); with
 * `--metrics-port`, `/readyz` answers 503 from the moment draining starts.
 *
 * @throws {UsageError} for a bad flag or an activity module that cannot be loaded.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const grace = options.shutdownGrace ?? '30s';
  if (parseDuration(grace) === undefined) throw new UsageError(`--shutdown-grace: "${grace}" is not a duration`);
  const maxConcurrent = options.maxConcurrent === undefined ? 100 : Number(options.maxConcurrent);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new UsageError('--max-concurrent: must be a whole number of at least 1');
  const metricsPort = options.metricsPort === undefined ? undefined : Number(options.metricsPort);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) {
    throw new UsageError(`--metrics-port: must be a port number (0 to 65535), got "${options.metricsPort}"`);
  }
  const notifications = notificationSettingsFromEnv(process.env, { webhooks: options.webhook, webhookEvents: options.webhookEvents });
  if (notifications && !process.env.DATABASE_URL) {
    throw new UsageError('notifications are delivered from the store: set DATABASE_URL (or leave out the webhooks and TAPFLOW_WEBHOOK_SECRET)');
  }
  const retentionText = options.storeRetention ?? (process.env.TAPFLOW_STORE_RETENTION?.trim() || undefined);
  const retentionFlag = options.storeRetention !== undefined ? '--store-retention' : 'TAPFLOW_STORE_RETENTION';
  const retentionMs = retentionText === undefined ? undefined : parseAge(retentionFlag, retentionText);
  if (retentionMs !== undefined && !process.env.DATABASE_URL) throw new UsageError(`${retentionFlag}: needs a store: set DATABASE_URL`);
  const logger = createLogger({ service: 'worker', level: options.logLevel });
  const activities = await loadModules(options.activities ?? []);
  const telemetry = await setUpWorkerTelemetry({ logger, metrics: metricsPort !== undefined });
  try {
    const settings = loadTemporalSettings({ address: options.address, namespace: options.namespace });
    const dataConverter = await commandDataConverter();
    // --no-migrate: the schema is only checked; otherwise TAPFLOW_STORE_MIGRATE decides (default: migrate).
    const store = process.env.DATABASE_URL
      ? await openStore({ url: process.env.DATABASE_URL, dataConverter, ...(options.migrate === false ? { migrate: false } : {}) })
      : undefined;
    const connection = await NativeConnection.connect(settings.connectionOptions);
    const taskQueue = options.taskQueue ?? process.env.TAPFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    let metricsServer: WorkerMetricsServer | undefined;
    try {
      const worker = await createWorker({
        connection,
        namespace: settings.namespace,
        taskQueue,
        activities,
        shutdownGraceTime: parseDuration(grace),
        maxConcurrentActivityTaskExecutions: maxConcurrent,
        store,
        ...(dataConverter ? { dataConverter } : {}),
        ...(telemetry.metrics ? { metrics: telemetry.metrics } : {}),
        ...(notifications ? { notifications } : {}),
        ...(retentionMs !== undefined
          ? {
              storeRetention: {
                olderThanMs: retentionMs,
                log: (result, message) => {
                  const fields = { runs: result.runs, records: result.records, endedBefore: result.endedBefore.toISOString(), batches: result.batches };
                  if (result.runs > 0) logger.info(fields, message);
                  else logger.debug(fields, message);
                },
                warn: (message) => logger.warn(message),
              },
            }
          : {}),
      });
      if (metricsPort !== undefined) metricsServer = await telemetry.serve(worker, options.metricsHost ?? '0.0.0.0', metricsPort);
      process.stderr.write(
        `tapflow worker: task queue "${taskQueue}" on ${settings.connectionOptions.address} (namespace ${settings.namespace}); ` +
          `activities: ${Object.keys(activities).sort().join(', ') || '(built-ins only)'}; ` +
          `store: ${store ? store.displayUrl : 'none (set DATABASE_URL to record node attempts)'}` +
          `${notifications ? `; notifications: ${notifications.webhooks?.length ?? 0} deployment webhook(s) and the specs' notify` : ''}` +
          `${retentionText !== undefined ? ` (retention ${retentionText})` : ''}` +
          `${metricsServer ? `; metrics: ${metricsServer.url}/metrics` : ''}\n`,
      );
      logger.info({ taskQueue, namespace: settings.namespace, metrics: metricsServer?.url }, 'worker started');
      // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown; run() resolves when drained.
      await worker.run();
      process.stderr.write('tapflow worker: drained, stopped\n');
      logger.info('worker drained, stopped');
      return 0;
    } finally {
      await metricsServer?.close();
      await connection.close();
      await store?.close();
    }
  } finally {
    // Last: the runtime keeps the process alive until it is shut down.
    await telemetry.shutdown();
  }
}

async function loadModules(paths: string[]): ReturnType<typeof loadActivityModules> {
  try {
    return await loadActivityModules(paths);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
