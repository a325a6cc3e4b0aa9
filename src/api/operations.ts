/**
 * What the API serves for operations, beside its routes: request log lines naming the run,
 * request timings and `GET /metrics`, and `GET /readyz` (`/healthz` is the server's own).
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { TapflowClient } from '../client';
import type { Queryable } from '../store/pool';
import { registerApiMetrics } from './metrics';
import { createApiMetrics } from '../observability/metrics';
import { registerReadiness } from './readiness';
import { bindRunToRequestLog } from './request-log';

/** The API's metrics options. */
export interface ApiMetricsOptions {
  /** The registry the API's metrics go in. Default: a new one per API. */
  registry?: Registry;
  /** When set, `GET /metrics` wants it as a bearer token (see `api-metrics.ts`). Default: none. */
  token?: string;
  /** Also the Node.js process metrics (`process_*`, `nodejs_*`). Default: false. */
  processMetrics?: boolean;
}

/** Options of {@link registerOperations}. */
export interface OperationsOptions {
  client: TapflowClient;
  store?: Queryable;
  metrics?: ApiMetricsOptions;
}

/** Registers the hooks and routes; see the module comment. Call before the API's routes. */
export function registerOperations(app: FastifyInstance, options: OperationsOptions): void {
  bindRunToRequestLog(app);
  registerApiMetrics(app, {
    metrics: createApiMetrics({ registry: options.metrics?.registry, processMetrics: options.metrics?.processMetrics }),
    ...(options.store ? { store: options.store } : {}),
    ...(options.metrics?.token === undefined ? {} : { token: options.metrics.token }),
  });
  registerReadiness(app, { client: options.client, ...(options.store ? { store: options.store } : {}) });
}
