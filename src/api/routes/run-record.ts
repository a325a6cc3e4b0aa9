/**
 * `DELETE /api/runs/:id/record` (admin of the run's pipeline): deletes the store's records of a
 * run that has ended (its row, node attempts, large outputs, control actions: everything the store
 * keys by the run), as `tapflow store delete ID` does, e.g. on a data-deletion request. 200 with
 * `{ workflowId, state, runs, records }` (the rows deleted); 404 when neither the store nor
 * Temporal knows the run; 409 when the run has not ended, or Temporal has it and the store has no
 * record of it yet (nothing deleted); 503 when the API has no store.
 * Temporal's own history of the run is not the store's: it goes with the namespace's retention.
 */
import type { FastifyInstance } from 'fastify';
import { ActionRefusedError } from '../../core/errors';
import { deleteRunRecords } from '../../store/purge';
import { getRun } from '../../store/sql/get-run';
import type { ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { errorReply, objectReply, runParams } from '../schemas';

/** Registers the run record route. */
export function registerRunRecordRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.delete<{ Params: { id: string } }>(
    '/api/runs/:id/record',
    {
      config: { action: 'admin' },
      schema: {
        tags: ['runs'],
        summary: "Delete the store's records of a run that has ended",
        params: runParams,
        response: { 200: objectReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply },
      },
    },
    async (request) => {
      const { id } = request.params;
      // Before the run is looked up, so a token that may delete nothing learns nothing about which runs exist.
      if (!ctx.gate.mayEver(request, 'admin')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" is admin of no pipeline`);
      if (!ctx.store) throw new HttpError(503, 'unavailable', 'this API has no run store: start it with DATABASE_URL set');
      const run = await getRun(ctx.store, id);
      // A run whose row has not arrived yet is still Temporal's to name (and then live: refused).
      await ctx.gate.check(request, 'admin', run?.pipeline ?? (await ctx.client.pipelineOf(id)), id);
      if (!run) throw new ActionRefusedError(id, 'the store has no record of the run yet: only the records of a run that has ended can be deleted');
      return deleteRunRecords(ctx.store, id);
    },
  );
}
