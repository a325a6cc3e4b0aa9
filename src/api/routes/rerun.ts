/**
 * `POST /api/runs/:id/rerun` (control): runs a node and everything downstream of it again,
 * reusing every other node's output, as `tapflow rerun` does (see `rerun.ts`, shared with it).
 *
 * - A live run (running, paused, held) reruns in place: 200 with the run's acknowledgement
 *   (`{ state, rerun, reused }`). `id` does not apply to it (409).
 * - An ended run (completed, failed, cancelled) is rerun as a NEW run of its spec and input whose
 *   other nodes take the outputs the store holds: 201 with what `tapflow rerun --json` prints,
 *   `{ workflowId (the ended run), from, mode: "new-run", dryRun, rerun, reused, newRunId, state }`.
 *   It starts a run, so the token needs `start` on the pipeline as well as `control`. The ended
 *   run records the rerun as a control action keyed by `requestId`: a request resent with the
 *   same `requestId` starts nothing and answers 200 with the run it started (without `state`), and
 *   `existing: true`. 503 when the API has no store (only the store has an ended run's outputs).
 * - `dryRun: true` (either kind): 200 with what would run again and what is reused; nothing is
 *   done, and `control` is enough.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PipelineNotFoundError, RunNotFoundError, UsageError } from '../../core/errors';
import type { PipelineSpec } from '../../core/types';
import { endedRunOf, liveState, rerunEnded, rerunLive, type RerunReport } from '../../control/rerun';
import { getRun } from '../../store/sql/get-run';
import { listControlActions } from '../../store/sql/list-control-actions';
import type { Queryable } from '../../store/pool';
import type { ControlRequest } from '../../workflows/definitions';
import { checkRun, type ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { errorReply, objectReply, rerunBody, runParams } from '../schemas';

interface RerunBody {
  from: string;
  id?: string;
  dryRun?: boolean;
  /** An ended run only: the registered version to rerun on. */
  version?: number | 'latest';
  reason?: string;
  requestId?: string;
}

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply };

/** Registers the rerun route. */
export function registerRerunRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: { id: string }; Body: RerunBody }>(
    '/api/runs/:id/rerun',
    {
      config: { action: 'control' },
      schema: {
        tags: ['control'],
        summary: 'Rerun a run from a node: a live run in place, an ended run as a new run reusing its recorded outputs',
        params: runParams,
        body: rerunBody,
        response: { 200: objectReply, 201: objectReply, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      if (!ctx.gate.mayEver(request, 'control')) {
        throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not control any pipeline`);
      }
      const live = await liveState(ctx.client, id);
      if (live) {
        const principal = await checkRun(ctx, request, id, 'control');
        if (body.id !== undefined) {
          throw new HttpError(409, 'conflict', `${id} is ${live}: it reruns in place, so "id" (the id of a new run, for an ended run) does not apply`);
        }
        const controlRequest = requestOf(body, principal.name);
        if (body.version !== undefined) {
          throw new HttpError(409, 'conflict', `${id} is ${live}: it reruns in place, on its own spec; rerun it on another version once it has ended`);
        }
        if (body.dryRun) return rerunLive(ctx.client, id, live, { from: body.from, dryRun: true, request: controlRequest });
        return ctx.client.rerun(id, body.from, controlRequest);
      }

      const store = ctx.store;
      if (!store) throw new HttpError(503, 'unavailable', `${id} has ended, and rerunning it reads its outputs from the run store: this API has none (start it with DATABASE_URL set)`);
      const record = await getRun(store, id);
      if (!record) throw new RunNotFoundError(id);
      const principal = await ctx.gate.check(request, 'control', record.pipeline, id);
      if (!body.dryRun) await ctx.gate.check(request, 'start', record.pipeline, id);
      const ended = await endedRunOf(store, record, ctx.client.valueCodec).catch((err: unknown) => {
        // The run cannot be rerun as it is recorded: the request was fine.
        if (err instanceof UsageError) throw new HttpError(409, 'conflict', err.message);
        throw err;
      });
      const target = body.version === undefined ? undefined : await versionOf(ctx, record.pipeline, body.version);
      const onVersion = target ? { target } : {};
      if (body.dryRun) return rerunEnded(ctx.client, withPool(store), ended, { from: body.from, dryRun: true, request: requestOf(body, principal.name), ...onVersion });
      if (body.requestId !== undefined) {
        const earlier = await earlierRerun(store, id, body.requestId);
        if (earlier) return reply.code(200).send({ ...earlier, existing: true });
      }
      const report = await rerunEnded(ctx.client, withPool(store), ended, {
        from: body.from,
        request: requestOf(body, principal.name),
        ...onVersion,
        ...(body.id === undefined ? {} : { newId: body.id }),
      });
      return reply.code(201).send(report);
    },
  );
}

/** The registered version to rerun on; 404 when the registry has no such version. */
async function versionOf(ctx: ApiContext, pipeline: string, version: number | 'latest'): Promise<{ version: number; spec: PipelineSpec }> {
  const registry = ctx.registry;
  if (!registry) throw new HttpError(503, 'unavailable', 'rerunning on a registered version reads the pipeline registry in the run store: this API has none');
  const found = await registry.get(pipeline, version === 'latest' ? undefined : version);
  if (!found) throw new PipelineNotFoundError(pipeline, version === 'latest' ? undefined : version);
  return { version: found.version, spec: found.spec };
}

/** Who asks (the token's name), why, and the request id (a new one when none was given). */
function requestOf(body: RerunBody, by: string): ControlRequest {
  return { by, requestId: body.requestId ?? randomUUID(), ...(body.reason === undefined ? {} : { reason: body.reason }) };
}

function withPool(db: Queryable) {
  return <T>(fn: (db: Queryable) => Promise<T>): Promise<T> => fn(db);
}

/** The report of the rerun of `id` that request `requestId` started before, if one did. */
async function earlierRerun(db: Queryable, id: string, requestId: string): Promise<RerunReport | undefined> {
  const action = (await listControlActions(db, id)).find((a) => a.requestId === requestId && a.action === 'rerun');
  const details = action?.details as { newRunId?: unknown; rerun?: unknown; reused?: unknown } | undefined;
  if (!action || typeof details?.newRunId !== 'string') return undefined;
  return {
    workflowId: id,
    from: action.nodeId ?? '',
    mode: 'new-run',
    dryRun: false,
    rerun: Array.isArray(details.rerun) ? (details.rerun as string[]) : [],
    reused: Array.isArray(details.reused) ? (details.reused as string[]) : [],
    newRunId: details.newRunId,
  };
}
