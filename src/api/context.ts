/**
 * What every route handler works with: the tapflow client and the permission gate, and the one
 * step most routes share, checking an action on an existing run.
 */
import type { FastifyRequest } from 'fastify';
import type { TapflowClient } from '../client';
import type { StorePipelineRegistry } from '../store/pipeline-registry';
import type { Queryable } from '../store/pool';
import type { Gate } from './auth';
import type { StoreEventHub } from './store-event-hub';
import { HttpError } from './http-errors';
import type { ApiAction, Principal } from './permissions';

/** The route handlers' dependencies. */
export interface ApiContext {
  client: TapflowClient;
  gate: Gate;
  /** The run store, for what only it knows (a run's history); absent when the API runs without one. */
  store?: Queryable;
  /** The store's change announcements, for the event streams; present when `store` is a pool. */
  events?: StoreEventHub;
  /**
   * The pipeline registry in the run store (pushes, versions, starts by name); present with
   * `store`. Its own, not the client's `registry`: pushing and listing need the store's.
   */
  registry?: StorePipelineRegistry;
}

/**
 * Allows `action` on run `id`, or throws: 403 when the token may take the action on no pipeline
 * (before the run is looked up, so such a token learns nothing about which runs exist), 404 for
 * an unknown run, 403 when the run's pipeline is not granted.
 */
export async function checkRun(ctx: ApiContext, request: FastifyRequest, id: string, action: ApiAction): Promise<Principal> {
  if (!ctx.gate.mayEver(request, action)) {
    throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not ${action} any pipeline`);
  }
  const pipeline = await ctx.client.pipelineOf(id);
  return ctx.gate.check(request, action, pipeline, id);
}

/**
 * Whether the request may take `action` on `pipeline` (undefined: on every pipeline), for lists
 * that show only what a token may see; errors other than a refusal are thrown.
 */
export async function mayDo(ctx: ApiContext, request: FastifyRequest, action: ApiAction, pipeline: string | undefined): Promise<boolean> {
  return ctx.gate.check(request, action, pipeline).then(
    () => true,
    (err: unknown) => {
      if (err instanceof HttpError && err.status === 403) return false;
      throw err;
    },
  );
}
