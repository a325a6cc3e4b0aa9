/**
 * `tapflow api [--host H] [--port N]`: serves the HTTP API until SIGINT or SIGTERM, then drains
 * (requests in flight finish, new connections are refused) and exits 0. Tokens are checked
 * against the run store: `DATABASE_URL`, else the store `tapflow dev` runs on this machine.
 */
import { commandDataConverter } from './data-converter';
import { UsageError } from '../core/errors';
import { openStore } from '../store/open-store';
import { commandStoreUrl } from './store-access';
import { withClient, type GlobalOptions } from './io';
import { createLogger } from '../observability/logger';

/** The environment variable that, when set, is the bearer token `GET /metrics` wants. */
export const METRICS_TOKEN_ENV = 'TAPFLOW_METRICS_TOKEN';

/** Options of `api`. */
export interface ApiCommandOptions extends GlobalOptions {
  host?: string;
  port?: string;
}

/** Default port of `tapflow api`. */
export const DEFAULT_API_PORT = 8080;

/**
 * Serves the API; resolves to exit code 0 once drained.
 *
 * @throws {UsageError} for a bad port.
 */
export async function apiCommand(options: ApiCommandOptions): Promise<number> {
  const port = options.port === undefined ? DEFAULT_API_PORT : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: must be a port number (0 to 65535), got "${options.port}"`);
  const host = options.host ?? '127.0.0.1';
  // Loaded here, not at the top: `tapflow dev` shares this module's defaults without the HTTP server.
  const { buildApi, StoreTokenVerifier } = await import('../api');
  // JSON lines on stderr, a line per request (with the run's workflowId when the URL names one).
  const logger = createLogger({ service: 'api' });
  const store = await openStore({ url: commandStoreUrl(), dataConverter: await commandDataConverter() });
  try {
    return await withClient(options, async (client) => {
      const metricsToken = process.env[METRICS_TOKEN_ENV] || undefined;
      const app = await buildApi({
        client,
        store: store.pool,
        tokens: new StoreTokenVerifier(store.pool),
        loggerInstance: logger,
        metrics: { processMetrics: true, ...(metricsToken ? { token: metricsToken } : {}) },
      });
      const address = await app.listen({ host, port });
      process.stderr.write(`tapflow api: listening on ${address} (OpenAPI at ${address}/api/openapi.json); tokens from ${store.displayUrl}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await app.close();
      process.stderr.write('tapflow api: drained, stopped\n');
      return 0;
    });
  } finally {
    await store.close();
  }
}
