/**
 * `tapflow/api`: the HTTP API, in the application's own process: every run action as a route
 * behind bearer tokens with per-pipeline, per-action grants (or the application's own
 * permission hook), Server-Sent Events of runs and their nodes, the operator console, metrics
 * and readiness. Fastify; needs the optional peer dependencies `fastify` and `@fastify/swagger`.
 *
 * ```ts
 * import { TapflowClient } from 'tapflow';
 * import { buildApi, StoreTokenVerifier } from 'tapflow/api';
 * import { openStore } from 'tapflow/store';
 *
 * const store = await openStore({ url: process.env.DATABASE_URL! });
 * const app = await buildApi({ client: await TapflowClient.connect(), store: store.pool, tokens: new StoreTokenVerifier(store.pool) });
 * await app.listen({ port: 8080 });
 * ```
 */
import { requirePeers } from '../control/peer-dependencies';

// Before Fastify loads: without it, one line naming what to install.
requirePeers(['fastify', '@fastify/swagger'], 'tapflow/api');

export { buildApi, DEFAULT_BODY_LIMIT, type ApiOptions } from './server';
export { createApiToken, StoreTokenVerifier, parseGrants, formatGrants, type NewApiToken, type CreatedApiToken } from './tokens';
export {
  allows,
  readablePipelines,
  API_ACTIONS,
  type ApiAction,
  type Grant,
  type Principal,
  type TokenVerifier,
  type PermissionHook,
  type PermissionRequest,
} from './permissions';
export type { AttemptEventData, ActionEventData, EndEventData } from './stream-events';
export type { ErrorBody, RequestProblem } from './http-errors';
export { openEventStream, readEventStream, type StreamEvent, type OpenEventStreamOptions } from '../control/event-stream-client';
