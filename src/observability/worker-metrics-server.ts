/**
 * The worker's small HTTP server for operations (node:http, no framework):
 * - `GET /metrics`: the worker's metrics in the Prometheus text format, followed by the Temporal
 *   core's own (`temporal_*`), read from the core's exporter on its loopback port at each scrape;
 * - `GET /healthz`: 200 while the process serves at all (liveness);
 * - `GET /readyz`: 200 while the worker polls its task queue, 503 while it starts, drains
 *   (after SIGTERM) or has stopped, so a load balancer or an orchestrator stops counting on it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Options of {@link startWorkerMetricsServer}. */
export interface WorkerMetricsServerOptions {
  /** Default: `0.0.0.0` (scraped from other machines). */
  host?: string;
  /** 0 for any free port. */
  port: number;
  /** The worker's metrics. */
  registry: Registry;
  /** The core's Prometheus endpoint, appended to `/metrics`. Default: none. */
  coreMetricsUrl?: string;
  /** Whether the worker takes work now, and if not, why (e.g. its state, `DRAINING`). */
  readiness: () => { ready: boolean; state: string };
  /** Where a failed read of the core's metrics is reported. Default: nowhere. */
  logger?: Logger;
}

/** A running metrics server. */
export interface WorkerMetricsServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** Longest wait for the core's metrics, in ms: a scrape must not hang on it. */
const CORE_SCRAPE_TIMEOUT_MS = 2000;

/**
 * Starts the server; see the module comment.
 *
 * @throws when the port cannot be bound (in use, not allowed).
 */
export async function startWorkerMetricsServer(options: WorkerMetricsServerOptions): Promise<WorkerMetricsServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((err: unknown) => {
      options.logger?.error({ err }, 'metrics server: request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: WorkerMetricsServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    sendJson(response, 200, { ok: true });
    return;
  }
  if (path === '/readyz') {
    const { ready, state } = options.readiness();
    sendJson(response, ready ? 200 : 503, { ready, worker: state });
    return;
  }
  if (path === '/metrics') {
    const own = await options.registry.metrics();
    const core = options.coreMetricsUrl ? await coreMetrics(options.coreMetricsUrl, options.logger) : '';
    response.writeHead(200, { 'content-type': options.registry.contentType });
    response.end(core ? `${own.trimEnd()}\n\n${core}` : own);
    return;
  }
  sendJson(response, 404, { error: { code: 'not_found', message: `no route ${request.method} ${path}` } });
}

/** The core's metrics text, or '' (logged) when the exporter does not answer in time. */
async function coreMetrics(url: string, logger: Logger | undefined): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(CORE_SCRAPE_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    logger?.warn({ err, url }, "metrics server: the Temporal core's metrics could not be read");
    return '';
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${JSON.stringify(body)}\n`);
}
