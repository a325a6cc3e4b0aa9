/**
 * The pipeline registry over HTTP: push a spec as a numbered version, list the pipelines, read a
 * version, compare two. A registered pipeline is then started by name (`POST /api/runs` with
 * `{ pipeline, version? }`, see `runs.ts`).
 *
 * - `PUT /api/pipelines/:name` (admin): the body is the spec, named as the path. 201
 *   `{ name, version, created: true, pushedAt }` for new content, 200 with `created: false` when the
 *   content is already a version (pushing every spec on every deploy makes nothing new). A bad
 *   spec is 400 with every problem. The pusher recorded is the token's name.
 * - `GET /api/pipelines` (read): the registered pipelines the token may read, by name, each with
 *   its latest version and how many it has.
 * - `GET /api/pipelines/:name` and `GET /api/pipelines/:name/versions/:version` (read): the latest
 *   or the named version, with its spec and every version's digest, time and pusher.
 * - `GET /api/pipelines/:name/diff?from=A&to=B` (read): what changed between two versions, node by
 *   node (`diffPipelines`), with `from` and `to`.
 *
 * A pipeline never pushed, or a version it does not have, is 404. The registry lives in the run
 * store: without one every route is 503.
 */
import type { FastifyInstance } from 'fastify';
import { PipelineNotFoundError } from '../../core/errors';
import { diffPipelines } from '../../core/pipeline-diff';
import type { RegisteredPipeline } from '../../core/pipeline-registry';
import { InvalidSpecError } from '../../core/validate';
import type { StorePipelineRegistry } from '../../store/pipeline-registry';
import { mayDo, type ApiContext } from '../context';
import { HttpError } from '../http-errors';
import {
  errorReply,
  pipelineDiffQuery,
  pipelineDiffReply,
  pipelineListReply,
  pipelineParams,
  pipelinePushReply,
  pipelineReply,
  pipelineSpecBody,
  pipelineVersionParams,
} from '../schemas';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 503: errorReply };

/** Registers the pipeline registry routes. */
export function registerPipelineRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
    '/api/pipelines/:name',
    {
      config: { action: 'admin' },
      schema: {
        tags: ['pipelines'],
        summary: 'Push a spec as a version of the pipeline (tapflow pipeline push)',
        params: pipelineParams,
        body: pipelineSpecBody,
        response: { 200: pipelinePushReply, 201: pipelinePushReply, ...errors },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      // The path names what is granted: since the spec must carry the same name (or fail to
      // validate), nothing can be pushed under a name the token is not admin of.
      const principal = await ctx.gate.check(request, 'admin', name);
      const spec = request.body;
      if (typeof spec.name === 'string' && spec.name !== name) {
        const message = `must be ${JSON.stringify(name)}, the name in the path`;
        throw new HttpError(400, 'invalid_request', `the spec is named ${JSON.stringify(spec.name)}, not ${JSON.stringify(name)} as the path says`, [
          { path: 'body.name', message },
        ]);
      }
      const pushed = await registryOf(ctx)
        .push(spec, principal.name)
        .catch((err: unknown) => {
          // The body is the spec here, not a start's `spec` field: the problems are named from `body`.
          if (err instanceof InvalidSpecError) throw specProblems(err);
          throw err;
        });
      return reply.code(pushed.created ? 201 : 200).send(pushed);
    },
  );

  app.get(
    '/api/pipelines',
    {
      config: { action: 'read' },
      schema: {
        tags: ['pipelines'],
        summary: 'The registered pipelines the token may read, with their latest versions',
        response: { 200: pipelineListReply, ...errors },
      },
    },
    async (request) => {
      if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
      const all = await registryOf(ctx).list();
      // An object rather than a bare list, so the reply can grow (paging) without breaking callers.
      if (await mayDo(ctx, request, 'read', undefined)) return { pipelines: all };
      // Asked per pipeline rather than read off the grants, so a permission hook decides each.
      const readable = await Promise.all(all.map((p) => mayDo(ctx, request, 'read', p.name)));
      return { pipelines: all.filter((_, i) => readable[i]) };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/pipelines/:name',
    {
      config: { action: 'read' },
      schema: {
        tags: ['pipelines'],
        summary: "A registered pipeline's latest version, its spec and every version",
        params: pipelineParams,
        response: { 200: pipelineReply, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      await ctx.gate.check(request, 'read', name);
      return pipelineView(name, undefined, await registryOf(ctx).versions(name));
    },
  );

  app.get<{ Params: { name: string; version: number } }>(
    '/api/pipelines/:name/versions/:version',
    {
      config: { action: 'read' },
      schema: {
        tags: ['pipelines'],
        summary: 'One version of a registered pipeline, its spec and every version',
        params: pipelineVersionParams,
        response: { 200: pipelineReply, ...errors },
      },
    },
    async (request) => {
      const { name, version } = request.params;
      await ctx.gate.check(request, 'read', name);
      return pipelineView(name, version, await registryOf(ctx).versions(name));
    },
  );

  app.get<{ Params: { name: string }; Querystring: { from: number; to: number } }>(
    '/api/pipelines/:name/diff',
    {
      config: { action: 'read' },
      schema: {
        tags: ['pipelines'],
        summary: 'What changed between two versions of a pipeline, node by node (tapflow pipeline diff)',
        params: pipelineParams,
        querystring: pipelineDiffQuery,
        response: { 200: pipelineDiffReply, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { from, to } = request.query;
      await ctx.gate.check(request, 'read', name);
      const registry = registryOf(ctx);
      const [before, after] = await Promise.all([registry.get(name, from), registry.get(name, to)]);
      if (!before) throw new PipelineNotFoundError(name, from);
      if (!after) throw new PipelineNotFoundError(name, to);
      return { from, to, ...diffPipelines(before.spec, after.spec) };
    },
  );
}

/** The API's registry, or 503: it lives in the run store. */
function registryOf(ctx: ApiContext): StorePipelineRegistry {
  if (!ctx.registry) throw new HttpError(503, 'unavailable', 'this API has no run store, so no pipeline registry: start it with DATABASE_URL set');
  return ctx.registry;
}

/**
 * The reply of the two read routes: version `version` (the latest when undefined) out of every
 * version, newest first (one query for both).
 *
 * @throws {PipelineNotFoundError} when there is no such pipeline or version.
 */
function pipelineView(name: string, version: number | undefined, versions: RegisteredPipeline[]) {
  const one = version === undefined ? versions[0] : versions.find((v) => v.version === version);
  if (!one) throw new PipelineNotFoundError(name, versions.length === 0 ? undefined : version);
  return {
    name: one.name,
    version: one.version,
    digest: one.digest,
    pushedBy: one.pushedBy,
    pushedAt: one.pushedAt,
    spec: one.spec,
    versions: versions.map((v) => ({ version: v.version, digest: v.digest, pushedAt: v.pushedAt, pushedBy: v.pushedBy })),
  };
}

/** A bad spec pushed: 400 with every problem, named from the body (the spec). */
function specProblems(err: InvalidSpecError): HttpError {
  const problems = err.problems.map((p) => ({ path: p.path ? `body.${p.path}` : 'body', message: p.message }));
  return new HttpError(400, 'invalid_request', `invalid pipeline spec: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
}
