/**
 * Runs: start one, list them, read one's status, result and children.
 *
 * - `POST /api/runs` (start): 201 with `{ workflowId, runId }`, or 200 with `existing: true` when
 *   an idempotency key names a run already started.
 * - `GET /api/runs` (read): newest first, by pipeline and state; a token that may read only some
 *   pipelines sees only their runs.
 * - `GET /api/runs/:id` (read): the run's status, as `tapflow status --json` prints it.
 * - `GET /api/runs/:id/result` (read): the result of a completed run (409 while it runs, or when
 *   it failed or was cancelled, with the reason).
 * - `GET /api/runs/:id/children` (read): its child runs.
 */
import type { FastifyInstance } from 'fastify';
import { readablePipelines } from '../permissions';
import { checkRun, type ApiContext } from '../context';
import { errorReply, listQuery, objectReply, runParams, runStatusReply, startBody } from '../schemas';

interface StartBody {
  spec: Record<string, unknown>;
  input?: unknown;
  id?: string;
  tags?: string[];
  groups?: string[];
  site?: string;
  priority?: number;
  timeout?: string | number;
  deadline?: string | number;
  onFailure?: 'fail' | 'hold';
  idempotencyKey?: string;
  allowUnknownActivities?: boolean;
}

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply };

/** Registers the run routes. */
export function registerRunRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: StartBody }>(
    '/api/runs',
    {
      config: { action: 'start' },
      schema: { tags: ['runs'], summary: 'Start a run', body: startBody, response: { 200: objectReply, 201: objectReply, ...errors } },
    },
    async (request, reply) => {
      const { spec, ...options } = request.body;
      const pipeline = typeof spec.name === 'string' ? spec.name : undefined;
      const principal = await ctx.gate.check(request, 'start', pipeline);
      const started = await ctx.client.startRun(spec, { ...options, user: principal.name });
      return reply.code(started.existing ? 200 : 201).send(started);
    },
  );

  app.get<{ Querystring: { pipeline?: string; state?: string; limit?: number } }>(
    '/api/runs',
    {
      config: { action: 'read' },
      schema: { tags: ['runs'], summary: 'List runs, newest first', querystring: listQuery, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      const { pipeline, state, limit } = request.query;
      const principal = await ctx.gate.check(request, 'read', pipeline).catch((err: unknown) => {
        // A search over every pipeline by a token that reads only some: limited to those below.
        if (pipeline === undefined && ctx.gate.mayEver(request, 'read')) return request.principal;
        throw err;
      });
      const runs = await ctx.client.listRuns({ ...(pipeline ? { pipeline } : {}), ...(state ? { state: state as never } : {}), limit: limit ?? 50 });
      const readable = principal ? readablePipelines(principal) : [];
      return { runs: readable === '*' ? runs : runs.filter((r) => r.pipeline !== undefined && readable.includes(r.pipeline)) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id',
    { config: { action: 'read' }, schema: { tags: ['runs'], summary: "A run's status", params: runParams, response: { 200: runStatusReply, ...errors } } },
    async (request) => {
      await checkRun(ctx, request, request.params.id, 'read');
      return ctx.client.getStatus(request.params.id);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/result',
    {
      config: { action: 'read' },
      schema: { tags: ['runs'], summary: "A completed run's result", params: runParams, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      await checkRun(ctx, request, request.params.id, 'read');
      // A run that failed or has not finished is 409: the error table says so.
      return { result: await ctx.client.result(request.params.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/children',
    {
      config: { action: 'read' },
      schema: { tags: ['runs'], summary: "A run's child runs", params: runParams, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      await checkRun(ctx, request, request.params.id, 'read');
      return { children: await ctx.client.children(request.params.id) };
    },
  );
}
