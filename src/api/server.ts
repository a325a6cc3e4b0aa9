/**
 * The tapflow HTTP API: every command-line action as an endpoint, behind bearer tokens with
 * per-pipeline, per-action permissions. Fastify; the OpenAPI document at `/api/openapi.json` is
 * generated from the same schemas that validate each request.
 *
 * Replies: JSON. Errors: `{ error: { code, message, problems? } }` with 400 (bad input, every
 * problem and where), 401 (no token), 403 (a wrong token, or not allowed), 404 (unknown run or
 * registered pipeline), 409 (an action that does not apply, with the reason), 413 (body too large).
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Pool } from 'pg';
import type { TapflowClient } from '../client';
import { StorePipelineRegistry } from '../store/pipeline-registry';
import type { Queryable } from '../store/pool';
import { Gate } from './auth';
import { registerConsoleRoutes } from './console-routes';
import type { ApiContext } from './context';
import { HttpError, toHttpError } from './http-errors';
import type { PermissionHook, TokenVerifier } from './permissions';
import { StoreEventHub } from './store-event-hub';
import { registerEventRoutes } from './routes/events';
import { registerHistoryRoutes } from './routes/history';
import { registerNotificationRoutes } from './routes/notifications';
import { registerManyRunRoutes } from './routes/many-runs';
import { registerPipelineRoutes } from './routes/pipelines';
import { registerScheduleRoutes } from './routes/schedules';
import { registerRunActionRoutes } from './routes/run-actions';
import { registerRunRoutes } from './routes/runs';
import { registerRunRecordRoutes } from './routes/run-record';
import { registerRequestTextGuard } from './request-text-guard';
import { frameworkErrorOptions } from './framework-errors';
import { strictBodyValidatorCompiler } from './validator-compiler';
import { registerOperations, type ApiMetricsOptions } from './operations';

/** Largest request body accepted, in bytes, by default (a spec with its input). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** One API route: method and URL as registered (`POST /api/runs/:id/pause`). */
export interface ApiRoute {
  method: string;
  url: string;
}

const routesByApp = new WeakMap<FastifyInstance, ApiRoute[]>();

/** The documented routes of an API built by {@link buildApi} (health and the document itself are not). */
export function apiRoutes(app: FastifyInstance): readonly ApiRoute[] {
  return routesByApp.get(app) ?? [];
}

/** Options of {@link buildApi}. */
export interface ApiOptions {
  /** The tapflow client the API acts through (it owns the Temporal connection). */
  client: TapflowClient;
  /**
   * The run store, for runs' histories, the event streams (a `pg` pool: the streams listen on
   * a connection held from it) and idempotent starts (a key's run found after Temporal has
   * dropped it, as the client does with its own `store`). Default: none (those routes answer 503).
   */
  store?: Queryable;
  /** Turns bearer tokens into principals (e.g. `StoreTokenVerifier` over the run store). */
  tokens: TokenVerifier;
  /** An application's own permission check, instead of the grants' default rule. */
  permission?: PermissionHook;
  /** Largest request body, in bytes. Default: {@link DEFAULT_BODY_LIMIT}. */
  bodyLimit?: number;
  /** Fastify's logger option. Default: off. */
  logger?: FastifyServerOptions['logger'];
  /** A logger to use as it is (the tapflow pino logger); wins over `logger`. Default: none. */
  loggerInstance?: FastifyBaseLogger;
  /** `GET /metrics`: its registry and an optional bearer token. Default: a new registry, no token. */
  metrics?: ApiMetricsOptions;
}

/**
 * Builds the API (not listening yet: call `listen`, or `inject` in tests).
 *
 * @returns the Fastify instance, ready.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ...frameworkErrorOptions,
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
  });
  // Every problem of a request at once, not just the first; a body's types are not coerced.
  app.setValidatorCompiler(strictBodyValidatorCompiler());
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'tapflow API', version: '1', description: 'Start, watch and steer tapflow pipeline runs.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const routes: ApiRoute[] = [];
  routesByApp.set(app, routes);
  app.addHook('onRoute', (route) => {
    if ((route.schema as { hide?: boolean } | undefined)?.hide || route.method === 'HEAD') return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  const gate = new Gate(options.tokens, options.permission);
  // Every start goes through the store's idempotency check, as the command line's and the client's do.
  const client = options.store && !options.client.store ? options.client.withStore(options.store) : options.client;
  const ctx: ApiContext = { client, gate, ...(options.store ? { store: options.store } : {}) };
  // Specs in the registry are encoded as the store encodes runs' specs: with the client's codec,
  // the same one its history and rerun routes decode with (`client.valueCodec`).
  if (options.store) ctx.registry = new StorePipelineRegistry(options.store, client.valueCodec);
  // The event streams listen on a connection of their own, held from the pool while any is open.
  const { store } = options;
  if (store instanceof Pool) {
    ctx.events = new StoreEventHub({
      connect: () => store.connect(),
      db: store,
      onError: (err, what) => app.log.warn({ err }, `event streams: failed ${what}`),
    });
  }
  // Request logs naming the run, request timings, /metrics and /readyz (src/observability); its
  // hooks come first, so a request refused for its token is logged with its run and timed too.
  registerOperations(app, { client, store: options.store, metrics: options.metrics });
  app.addHook('onRequest', gate.authenticate);
  registerRequestTextGuard(app);
  // An action without options may be sent without a body.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(err);
    if (http.status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(http.status).send(http.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const http = new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    void reply.code(404).send(http.body());
  });

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  registerConsoleRoutes(app);
  registerRunRoutes(app, ctx);
  registerRunActionRoutes(app, ctx);
  registerHistoryRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  registerRunRecordRoutes(app, ctx);
  registerManyRunRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerPipelineRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);
  await app.ready();
  return app;
}
