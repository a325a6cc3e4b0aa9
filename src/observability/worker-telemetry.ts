/**
 * A worker process's logs and metrics, as `tapflow worker` and `tapflow dev` set them up: the
 * Temporal runtime installed with the tapflow logger (and, with metrics, the core's Prometheus
 * exporter on a free loopback port), the worker's metrics, and the server that serves them with
 * the worker's health and readiness.
 */
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { freePort } from './ports';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';
import { installRuntime } from './runtime';
import { startWorkerMetricsServer, type WorkerMetricsServer } from './worker-metrics-server';

/** Options of {@link setUpWorkerTelemetry}. */
export interface WorkerTelemetryOptions {
  logger: Logger;
  /** Measure (and later serve) metrics. Default: false. */
  metrics?: boolean;
  /** See `InstallRuntimeOptions.shutdownSignals`. Default: the SDK's. */
  shutdownSignals?: NodeJS.Signals[];
}

/** What {@link setUpWorkerTelemetry} set up. */
export interface WorkerTelemetry {
  logger: Logger;
  /** The worker's metrics, for `createWorker({ metrics })`; absent without metrics. */
  metrics?: WorkerMetrics;
  /** Where the core's own metrics are, when they are exported. */
  coreMetricsUrl?: string;
  /**
   * Serves `/metrics`, `/healthz` and `/readyz` for `worker` (ready while it is `RUNNING`).
   *
   * @throws when there are no metrics, or the port cannot be bound.
   */
  serve(worker: Worker, host: string, port: number): Promise<WorkerMetricsServer>;
  /** Shuts the runtime down; call it last, however the command ends (see `InstalledRuntime.shutdown`). */
  shutdown(): Promise<void>;
}

/**
 * Installs the runtime (before any connection: call this first) and makes the metrics.
 *
 * @throws whatever installing the runtime throws.
 */
export async function setUpWorkerTelemetry(options: WorkerTelemetryOptions): Promise<WorkerTelemetry> {
  const { logger } = options;
  // The core's exporter listens on loopback only: its metrics reach scrapers through /metrics.
  const coreMetricsAddress = options.metrics ? `127.0.0.1:${await freePort('127.0.0.1')}` : undefined;
  const runtime = installRuntime({
    logger,
    ...(coreMetricsAddress ? { coreMetricsAddress } : {}),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  });
  const metrics = options.metrics ? createWorkerMetrics({ processMetrics: true }) : undefined;
  return {
    logger,
    ...(metrics ? { metrics } : {}),
    ...(runtime.coreMetricsUrl ? { coreMetricsUrl: runtime.coreMetricsUrl } : {}),
    async serve(worker, host, port) {
      if (!metrics) throw new Error('serve: telemetry was set up without metrics');
      return startWorkerMetricsServer({
        host,
        port,
        registry: metrics.registry,
        ...(runtime.coreMetricsUrl ? { coreMetricsUrl: runtime.coreMetricsUrl } : {}),
        readiness: () => {
          const state = worker.getState();
          return { ready: state === 'RUNNING', state };
        },
        logger,
      });
    },
    shutdown: () => runtime.shutdown(),
  };
}
