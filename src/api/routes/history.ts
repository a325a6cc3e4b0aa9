/**
 * `GET /api/runs/:id/history` (read): the run's history from the store (its row, every node
 * attempt, every control action with who asked and why), as `tapflow history --json` prints it.
 * Works after Temporal has dropped the run: the permission check then takes the pipeline from the
 * store's row. 404 when the store has no record of the run; 503 when the API has no store.
 */
import type { FastifyInstance } from 'fastify';
import { RunNotFoundError } from '../../core/errors';
import { readRunHistory } from '../../store/run-history';
import type { ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { errorReply, objectReply, runParams } from '../schemas';

/** Registers the history route. */
export function registerHistoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/history',
    {
      config: { action: 'read' },
      schema: {
        tags: ['runs'],
        summary: "A run's history from the store: its record, node attempts and control actions",
        params: runParams,
        response: { 200: objectReply, 401: errorReply, 403: errorReply, 404: errorReply, 503: errorReply },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
      if (!ctx.store) throw new HttpError(503, 'unavailable', 'this API has no run store: start it with DATABASE_URL set');
      const history = await readRunHistory(ctx.store, id, ctx.client.valueCodec);
      if (!history) throw new RunNotFoundError(id);
      const pipeline = history.run?.pipeline ?? (await ctx.client.pipelineOf(id));
      await ctx.gate.check(request, 'read', pipeline, id);
      return history;
    },
  );
}
