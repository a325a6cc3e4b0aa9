/**
 * Runs: start one, list them, read one's status, result and children.
 *
 * - `POST /api/runs` (start): 201 with `{ workflowId, runId }`, or 200 with `existing: true` when
 *   an idempotency key names a run already started. The body gives the spec (`spec`), or names a
 *   registered pipeline (`pipeline`, and `version`, default the latest: the reply adds the
 *   `version` started, and the run records it); exactly one of the two.
 * - `GET /api/runs` (read): newest first, by pipeline and state; a token that may read only some
 *   pipelines sees only their runs.
 * - `GET /api/runs/:id` (read): the run's status, as `tapflow status --json` prints it.
 * - `GET /api/runs/:id/result` (read): the result of a completed run (409 while it runs, or when
 *   it failed or was cancelled, with the reason).
 * - `GET /api/runs/:id/children` (read): its child runs.
 */
import type { ErrorObject } from 'ajv';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import { PipelineNotFoundError } from '../../core/errors';
import { readablePipelines } from '../permissions';
import { checkRun, type ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { errorReply, listQuery, objectReply, runParams, runStatusReply, startBody } from '../schemas';
import { strictBodyValidatorCompiler } from '../validator-compiler';

interface StartBody {
  /** Exactly one of `spec` and `pipeline` (checked by {@link startBodyValidator}). */
  spec?: Record<string, unknown>;
  pipeline?: string;
  version?: number;
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
      validatorCompiler: startBodyValidator,
      schema: {
        tags: ['runs'],
        summary: 'Start a run of a spec, or of a registered pipeline',
        body: startBody,
        response: { 200: objectReply, 201: objectReply, ...errors, 503: errorReply },
      },
    },
    async (request, reply) => {
      const { spec, pipeline: registered, version, ...options } = request.body;
      if (registered !== undefined) {
        const principal = await ctx.gate.check(request, 'start', registered);
        // The API's own registry (the one PUT /api/pipelines pushes to), else the client's.
        const registry = ctx.registry ?? ctx.client.registry;
        if (!registry) throw new HttpError(503, 'unavailable', 'this API has no pipeline registry (no run store): start it with DATABASE_URL set, or send the spec');
        const found = await registry.get(registered, version);
        if (!found) throw new PipelineNotFoundError(registered, version);
        // Not `client.startPipeline`: the API's client is given the store with `withStore`, which
        // does not carry a registry over, and the registry to read is the API's anyway.
        const started = await ctx.client.startRun(found.spec, { ...options, user: principal.name, pipelineVersion: found.version });
        return reply.code(started.existing ? 200 : 201).send({ ...started, version: found.version });
      }
      const pipeline = typeof spec?.name === 'string' ? spec.name : undefined;
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

const compileStrict = strictBodyValidatorCompiler();

/**
 * The start's validator: the body's schema without its `oneOf` (which is there for the OpenAPI
 * document), then "exactly one of `spec` and `pipeline`" checked here and reported as one
 * problem on the field at fault, alongside the schema's own problems. Ajv's `oneOf` would report
 * a failed branch for each and a "must match exactly one schema" besides.
 */
const startBodyValidator: FastifySchemaCompiler<FastifySchema> = (route) => {
  if (route.httpPart !== 'body') return compileStrict(route);
  const schema: Record<string, unknown> = { ...(route.schema as Record<string, unknown>) };
  delete schema.oneOf;
  const check = compileStrict({ ...route, schema }) as ((data: unknown, cxt?: unknown) => boolean) & { errors?: ErrorObject[] | null };
  const validate = (data: unknown, cxt?: unknown): boolean => {
    const fits = check(data, cxt);
    const errors = [...(fits ? [] : (check.errors ?? []))];
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) errors.push(...exactlyOneProblems(data as Record<string, unknown>));
    validate.errors = errors.length > 0 ? errors : null;
    return errors.length === 0;
  };
  validate.errors = null as ErrorObject[] | null;
  return validate;
};

/** What is wrong with a start body's choice between `spec` and `pipeline`, as ajv would say it. */
function exactlyOneProblems(body: Record<string, unknown>): ErrorObject[] {
  const problem = (field: string, keyword: string, message: string, params: Record<string, unknown> = {}): ErrorObject => ({
    instancePath: field === '' ? '' : `/${field}`,
    schemaPath: '#/oneOf',
    keyword,
    params,
    message,
  });
  const hasSpec = body.spec !== undefined;
  const hasPipeline = body.pipeline !== undefined;
  if (!hasSpec && !hasPipeline) {
    return [problem('', 'required', 'is required, or "pipeline" (the name of a registered pipeline) instead', { missingProperty: 'spec' })];
  }
  if (hasSpec && hasPipeline) return [problem('pipeline', 'oneOf', 'must not be given with "spec": start a spec or a registered pipeline, not both')];
  if (hasSpec && body.version !== undefined) return [problem('version', 'oneOf', 'goes with "pipeline" only: a spec sent is not a registered version')];
  return [];
}
