/**
 * `GET /api/runs/:id/notifications` (read): the run's notification deliveries from the store, each
 * with its attempts (status code or error, duration, what came next). A webhook is shown by its
 * origin only, since its path or query may hold a token. 503 when the API has no store.
 */
import type { FastifyInstance } from 'fastify';
import { getRun } from '../../store/sql/get-run';
import { listRunNotifications } from '../../store/sql/list-run-notifications';
import type { ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { errorReply, objectReply, runParams } from '../schemas';

/** Registers the notifications route. */
export function registerNotificationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/notifications',
    {
      config: { action: 'read' },
      schema: {
        tags: ['runs'],
        summary: "A run's webhook notifications: every delivery and its attempts",
        params: runParams,
        response: { 200: objectReply, 401: errorReply, 403: errorReply, 404: errorReply, 503: errorReply },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
      if (!ctx.store) throw new HttpError(503, 'unavailable', 'this API has no run store: start it with DATABASE_URL set');
      const run = await getRun(ctx.store, id);
      const pipeline = run?.pipeline ?? (await ctx.client.pipelineOf(id));
      await ctx.gate.check(request, 'read', pipeline, id);
      return { workflowId: id, deliveries: await listRunNotifications(ctx.store, id) };
    },
  );
}
