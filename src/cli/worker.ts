/** `tapflow worker [--activities MODULE]... [--task-queue Q]`: a worker for a real deployment. */
import { NativeConnection, Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { loadActivityModules } from '../activities/load-modules';
import { loadTemporalSettings } from '../connection';
import { createWorker } from '../worker';
import { openStore } from '../store/open-store';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { UsageError } from '../errors';
import { parseDuration } from '../pipeline/duration';
import type { GlobalOptions } from './io';

/** Options of `worker`. */
export interface WorkerCommandOptions extends GlobalOptions {
  activities?: string[];
  shutdownGrace?: string;
  maxConcurrent?: string;
  logLevel?: string;
}

/**
 * Connects with Temporal's standard settings and runs until SIGINT or SIGTERM, then drains:
 * polling stops, in-flight activities get the grace time to finish, and the process exits 0.
 *
 * @throws {UsageError} for a bad flag or an activity module that cannot be loaded.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const grace = options.shutdownGrace ?? '30s';
  if (parseDuration(grace) === undefined) throw new UsageError(`--shutdown-grace: "${grace}" is not a duration`);
  const maxConcurrent = options.maxConcurrent === undefined ? 100 : Number(options.maxConcurrent);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new UsageError('--max-concurrent: must be a whole number of at least 1');
  const activities = await loadModules(options.activities ?? []);
  Runtime.install({ logger: new DefaultLogger((options.logLevel?.toUpperCase() ?? 'INFO') as LogLevel) });
  const settings = loadTemporalSettings({ address: options.address, namespace: options.namespace });
  const store = process.env.DATABASE_URL ? await openStore({ url: process.env.DATABASE_URL }) : undefined;
  const connection = await NativeConnection.connect(settings.connectionOptions);
  const taskQueue = options.taskQueue ?? process.env.TAPFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  try {
    const worker = await createWorker({
      connection,
      namespace: settings.namespace,
      taskQueue,
      activities,
      shutdownGraceTime: parseDuration(grace),
      maxConcurrentActivityTaskExecutions: maxConcurrent,
      store,
    });
    process.stderr.write(
      `tapflow worker: task queue "${taskQueue}" on ${settings.connectionOptions.address} (namespace ${settings.namespace}); ` +
        `activities: ${Object.keys(activities).sort().join(', ') || '(built-ins only)'}; ` +
        `store: ${store ? store.displayUrl : 'none (set DATABASE_URL to record node attempts)'}\n`,
    );
    // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown; run() resolves when drained.
    await worker.run();
    process.stderr.write('tapflow worker: drained, stopped\n');
    return 0;
  } finally {
    await connection.close();
    await store?.close();
  }
}

async function loadModules(paths: string[]): ReturnType<typeof loadActivityModules> {
  try {
    return await loadActivityModules(paths);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
