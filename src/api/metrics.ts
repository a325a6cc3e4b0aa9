/**
 * The API's metrics and their route: every request's duration by method, route pattern and
 * status (`tapflow_http_request_duration_seconds`), runs in the store by state (`tapflow_runs`,
 * counted at each scrape), how long unfinished runs have gone unchanged (`tapflow_runs_unchanged_seconds`), and `GET /metrics` serving them in the Prometheus text format.
 *
 * `/metrics` needs no API token: a scraper is not a user. It says how many runs are in each state
 * and how busy the API is, nothing about any one run; still, do not expose it publicly. Either
 * keep the API behind a proxy that does not forward `/metrics`, or give a metrics token
 * (`TAPFLOW_METRICS_TOKEN` for `tapflow api`): then `/metrics` wants `Authorization: Bearer
 * <that token>` (Prometheus: `authorization: { credentials: ... }`), and answers 401 without it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { RUN_STATES } from '../core/states';
import type { Queryable } from '../store/pool';
import { countRunsByState } from '../store/sql/count-runs-by-state';
import { oldestUnchangedRuns } from '../store/sql/oldest-unchanged-runs';
import { bearerOf } from './auth';
import { HttpError } from './http-errors';
import { addRunsGauge, addRunsUnchangedGauge, type ApiMetrics } from '../observability/metrics';

/** Options of {@link registerApiMetrics}. */
export interface ApiMetricsRouteOptions {
  metrics: ApiMetrics;
  /** The run store, for `tapflow_runs`. Default: none (no such gauge). */
  store?: Queryable;
  /** When set, `/metrics` wants it as a bearer token. Default: none (no token asked). */
  token?: string;
}

/** Registers the timing hook, the runs gauge and `GET /metrics` (hidden from OpenAPI). Call before the routes. */
export function registerApiMetrics(app: FastifyInstance, options: ApiMetricsRouteOptions): void {
  const { metrics } = options;
  app.addHook('onResponse', async (request, reply) => {
    // The pattern, never the URL: one series per route, not one per run.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  const store = options.store;
  if (store) {
    addRunsGauge(metrics.registry, () => countRunsByState(store), RUN_STATES, (err) =>
      app.log.warn({ err }, 'tapflow_runs: the run store could not be read'),
    );
    addRunsUnchangedGauge(metrics.registry, () => oldestUnchangedRuns(store), (err) =>
      app.log.warn({ err }, 'tapflow_runs_unchanged_seconds: the run store could not be read'),
    );
  }
  const expected = options.token === undefined ? undefined : digest(options.token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const given = bearerOf(request.headers.authorization);
      if (!given || !timingSafeEqual(digest(given), expected)) {
        void reply.header('WWW-Authenticate', 'Bearer');
        throw new HttpError(401, 'unauthorized', 'the metrics token is required: send "Authorization: Bearer <metrics token>"');
      }
    }
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
