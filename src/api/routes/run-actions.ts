/**
 * Acting on a run (all `control`): pause, resume, cancel; retry, skip and edit a node; rerun from
 * a node; send an event. Each answers with the run's acknowledgement (its state after the action)
 * and is recorded in the store as a control action, `by` the token's name. An action the run
 * refuses is 409 with the run's reason.
 *
 * `rerun` reruns a live run (running, paused, held) in place, and an ended run as a new run that
 * reuses the outputs the store recorded, as `tapflow rerun` does (see `rerun.ts` beside this file).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ControlRequest } from '../../workflows/definitions';
import { checkRun, type ApiContext } from '../context';
import { controlBody, editBody, errorReply, eventBody, eventParams, nodeParams, objectReply, retryBody, runParams, skipBody } from '../schemas';
import { registerRerunRoute } from './rerun';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

type Body = { reason?: string; requestId?: string } & Record<string, unknown>;

/** The request the run records: who (the token's name), why, and the request id. */
function requestOf(request: FastifyRequest<{ Body: Body }>, by: string): ControlRequest {
  const { reason, requestId } = request.body ?? {};
  return { by, ...(reason === undefined ? {} : { reason }), ...(requestId === undefined ? {} : { requestId }) };
}

/** Registers the action routes. */
export function registerRunActionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string }; Body: Body }>(
      `/api/runs/:id/${action}`,
      {
        config: { action: 'control' },
        schema: { tags: ['control'], summary: `${action[0]?.toUpperCase()}${action.slice(1)} a run`, params: runParams, body: controlBody, response: { 200: objectReply, ...errors } },
      },
      async (request) => {
        const { id } = request.params;
        const principal = await checkRun(ctx, request, id, 'control');
        return ctx.client[action](id, requestOf(request, principal.name));
      },
    );
  }

  app.post<{ Params: { id: string; node: string }; Body: Body & { input?: unknown } }>(
    '/api/runs/:id/nodes/:node/retry',
    { config: { action: 'control' }, schema: { tags: ['control'], summary: 'Retry a held node', params: nodeParams, body: retryBody, response: { 200: objectReply, ...errors } } },
    async (request) => {
      const { id, node } = request.params;
      const principal = await checkRun(ctx, request, id, 'control');
      const body = request.body ?? {};
      return ctx.client.retry(id, node, { ...requestOf(request, principal.name), ...('input' in body ? { input: body.input } : {}) });
    },
  );

  app.post<{ Params: { id: string; node: string }; Body: Body & { output?: unknown } }>(
    '/api/runs/:id/nodes/:node/skip',
    { config: { action: 'control' }, schema: { tags: ['control'], summary: 'Skip a held or pending node with an output', params: nodeParams, body: skipBody, response: { 200: objectReply, ...errors } } },
    async (request) => {
      const { id, node } = request.params;
      const principal = await checkRun(ctx, request, id, 'control');
      return ctx.client.skip(id, node, { ...requestOf(request, principal.name), output: request.body?.output ?? null });
    },
  );

  app.post<{ Params: { id: string; node: string }; Body: Body & { input: unknown } }>(
    '/api/runs/:id/nodes/:node/edit',
    { config: { action: 'control' }, schema: { tags: ['control'], summary: "Change a pending node's input while the run is paused", params: nodeParams, body: editBody, response: { 200: objectReply, ...errors } } },
    async (request) => {
      const { id, node } = request.params;
      const principal = await checkRun(ctx, request, id, 'control');
      return ctx.client.edit(id, node, { ...requestOf(request, principal.name), input: request.body.input });
    },
  );

  registerRerunRoute(app, ctx);

  app.post<{ Params: { id: string; event: string }; Body: Body & { data?: unknown } }>(
    '/api/runs/:id/events/:event',
    { config: { action: 'control' }, schema: { tags: ['control'], summary: 'Send an event to a run', params: eventParams, body: eventBody, response: { 200: objectReply, ...errors } } },
    async (request) => {
      const { id, event } = request.params;
      const principal = await checkRun(ctx, request, id, 'control');
      const body = request.body ?? {};
      return ctx.client.sendEvent(id, event, { ...requestOf(request, principal.name), ...('data' in body ? { data: body.data } : {}) });
    },
  );
}
