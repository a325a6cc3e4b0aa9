/**
 * Routes over many runs at once:
 *
 * - `GET /api/runs/search` (read): the store's runs by pipeline, state, tag, user, group and
 *   creation time, newest first, a page at a time: `tapflow runs search --json`'s
 *   `{ runs, next }`. Lists repeat the parameter (`state=failed&state=cancelled`). A token that
 *   may read only some pipelines finds only their runs (the statement is limited to them, so
 *   paging stays exact); naming a pipeline it may not read is 403. 503 when the API has no store.
 * - `POST /api/runs/bulk/pause`, `/resume`, `/cancel` (control): the action on every running run a
 *   visibility query matches, as `tapflow pause|resume|cancel --query` does, answering what that
 *   prints with `--json`. A token that may control only some pipelines acts only on their runs:
 *   the query is narrowed to them, and a listed run of another pipeline is dropped.
 *
 * Which pipelines a token is limited to: when it may not take the action on every pipeline (the
 * permission check asked with no pipeline), the pipelines its grants name for the action, each
 * confirmed by the check (so an application's permission hook has the last word on each).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ControlAction } from '../../core/states';
import { readRunSearch, type RunSearchArgs } from '../../control/run-search-args';
import { searchPageRows, type ParsedRunSearch } from '../../store/run-search-page';
import { UsageError } from '../../core/errors';
import type { ApiContext } from '../context';
import { HttpError, toHttpError, type RequestProblem } from '../http-errors';
import type { ApiAction } from '../permissions';
import { bulkBody, errorReply, objectReply, searchQuery } from '../schemas';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply };

interface BulkBody {
  query: string;
  reason?: string;
  dryRun?: boolean;
  rate?: number;
  concurrency?: number;
}

/** Registers the search and the bulk action routes. */
export function registerManyRunRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: RunSearchArgs }>(
    '/api/runs/search',
    {
      config: { action: 'read' },
      // Every problem at once: the schema's and the filters' (times, the range, the cursor) together.
      attachValidation: true,
      schema: {
        tags: ['runs'],
        summary: "Search the store's runs, newest first, a page at a time (tapflow runs search)",
        querystring: searchQuery,
        response: { 200: objectReply, ...errors, 503: errorReply },
      },
    },
    async (request) => {
      refuseIfNever(ctx, request, 'read');
      const { search, problems } = readSearch(request);
      if (problems.length > 0) {
        throw new HttpError(400, 'invalid_request', `invalid request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
      }
      if (search.pipeline !== undefined) await ctx.gate.check(request, 'read', search.pipeline);
      else {
        const pipelines = await limitedTo(ctx, request, 'read');
        if (pipelines) search.pipelines = pipelines;
      }
      if (!ctx.store) throw new HttpError(503, 'unavailable', 'this API has no run store: start it with DATABASE_URL set');
      return searchPageRows(ctx.store, search);
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const satisfies readonly ControlAction[]) {
    app.post<{ Body: BulkBody }>(
      `/api/runs/bulk/${action}`,
      {
        config: { action: 'control' },
        schema: {
          tags: ['control'],
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} every running run a visibility query matches (tapflow ${action} --query)`,
          body: bulkBody,
          response: { 200: objectReply, ...errors },
        },
      },
      async (request) => {
        const principal = refuseIfNever(ctx, request, 'control');
        const pipelines = await limitedTo(ctx, request, 'control');
        const { query, reason, dryRun, rate, concurrency } = request.body;
        try {
          return await ctx.client.bulkControl(action, {
            query,
            by: principal.name,
            ...(reason === undefined ? {} : { reason }),
            ...(dryRun === undefined ? {} : { dryRun }),
            ...(rate === undefined ? {} : { rate }),
            ...(concurrency === undefined ? {} : { concurrency }),
            ...(pipelines ? { pipelines } : {}),
          });
        } catch (err) {
          // Nothing was acted on: Temporal refused the query (or an option was out of range).
          if (!(err instanceof UsageError)) throw err;
          const message = err.message.replace(/^--query: /, '');
          throw new HttpError(400, 'invalid_request', message, [{ path: 'body.query', message }]);
        }
      },
    );
  }
}

/** The request's principal, or 403 when the token may take `action` on no pipeline at all. */
function refuseIfNever(ctx: ApiContext, request: FastifyRequest, action: ApiAction) {
  const principal = request.principal;
  if (!principal || !ctx.gate.mayEver(request, action)) {
    throw new HttpError(403, 'forbidden', `token "${principal?.name ?? '?'}" may not ${action} any pipeline`);
  }
  return principal;
}

/**
 * `undefined` when the token may take `action` on every pipeline, else the pipelines it may take
 * it on (see the module comment).
 *
 * @throws {HttpError} 403 when it may take it on none.
 */
async function limitedTo(ctx: ApiContext, request: FastifyRequest, action: ApiAction): Promise<string[] | undefined> {
  let refusal: unknown;
  try {
    await ctx.gate.check(request, action, undefined);
    return undefined;
  } catch (err) {
    if (!(err instanceof HttpError) || err.status !== 403) throw err;
    refusal = err;
  }
  const named = new Set<string>();
  for (const grant of request.principal?.grants ?? []) {
    if (grant.pipeline !== '*' && (grant.actions.includes(action) || grant.actions.includes('admin'))) named.add(grant.pipeline);
  }
  const allowed: string[] = [];
  for (const pipeline of named) {
    const ok = await ctx.gate.check(request, action, pipeline).then(
      () => true,
      (err: unknown) => {
        if (err instanceof HttpError && err.status === 403) return false;
        throw err;
      },
    );
    if (ok) allowed.push(pipeline);
  }
  if (allowed.length === 0) throw refusal;
  return allowed.sort();
}

/**
 * The search the query string asks for, and every problem with it: the schema's (types, states,
 * the limit, unknown parameters) and the filters' own (times, the range, the cursor), each once.
 */
function readSearch(request: FastifyRequest<{ Querystring: RunSearchArgs }>): { search: ParsedRunSearch; problems: RequestProblem[] } {
  const schemaProblems = request.validationError ? (toHttpError(request.validationError).problems ?? []) : [];
  const prefix = 'querystring';
  // A query string the schema refused may hold a list's single value unconverted.
  const q = request.query ?? {};
  const list = (value: unknown): string[] | undefined => (value === undefined ? undefined : [value].flat().map(String));
  const args: RunSearchArgs = { ...q, state: list(q.state), tag: list(q.tag), group: list(q.group) };
  const { search, problems } = readRunSearch(args, (field) => `${prefix}.${field}`);
  const covered = (path: string) => schemaProblems.some((p) => p.path === path || p.path.startsWith(`${path}[`) || p.path.startsWith(`${path}.`));
  const own = problems
    .map((p) => {
      const path = `${prefix}.${p.field}`;
      return { path, message: p.message.startsWith(`${path}: `) ? p.message.slice(path.length + 2) : p.message };
    })
    .filter((p) => !covered(p.path));
  return { search, problems: [...schemaProblems, ...own] };
}
