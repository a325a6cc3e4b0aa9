/**
 * Names the run in the API's request log lines: a request whose route has a run (`/api/runs/:id`
 * and below) logs with `workflowId`, the same field the worker's and the workflows' lines use for
 * the run, so one query finds a run's lines across the API and the workers. (`runId` is not used:
 * in the SDK's lines it is Temporal's execution id, another thing.)
 */
import type { FastifyInstance } from 'fastify';

/** Registers the `onRequest` hook; see the module comment. Call before the routes. */
export function bindRunToRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') return;
    const log = request.log.child({ workflowId: id });
    request.log = log;
    reply.log = log;
  });
}
