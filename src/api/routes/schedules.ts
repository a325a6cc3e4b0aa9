/**
 * Schedules of registered pipelines over HTTP, on Temporal Schedules (see `control/schedules.ts`):
 *
 * - `GET /api/schedules` (read): tapflow's schedules of the pipelines the token may read, each with
 *   its next fire times and last run (`{ schedules }`, as `tapflow schedule list --json`).
 * - `POST /api/schedules` (admin on the pipeline): make one; 201 with the version its runs start
 *   (`pinnedLatest` when `NAME` alone pinned the latest). 409 when the id is taken.
 * - `GET /api/schedules/:id` (read): one in full, as `tapflow schedule describe --json`.
 * - `POST /api/schedules/:id/pause` and `/unpause` (control), `{ reason? }`.
 * - `POST /api/schedules/:id/trigger` (start), `{ overlap? }`: fires it now; the run it started.
 * - `POST /api/schedules/:id/backfill` (start), `{ from, to, overlap? }`.
 * - `DELETE /api/schedules/:id` (admin): its runs are kept.
 *
 * A schedule's pipeline is what its grant is checked on; an unknown schedule is 404 (after the
 * token is found to hold the action on some pipeline, so it learns nothing otherwise). Creating
 * one reads the registry, which lives in the run store: without a store that route is 503.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PipelineSchedules, type CreateScheduleOptions, type OverlapPolicyName } from '../../control/schedules';
import { parseTimeArg } from '../../control/time-arg';
import { isTapflowError } from '../../core/errors';
import { parsePipelineRef } from '../../core/pipeline-registry';
import { mayDo, type ApiContext } from '../context';
import { HttpError } from '../http-errors';
import type { ApiAction } from '../permissions';
import {
  errorReply,
  objectReply,
  scheduleBackfillBody,
  scheduleCreateBody,
  scheduleNoteBody,
  scheduleParams,
  scheduleTriggerBody,
} from '../schemas';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply };

type CreateBody = Omit<CreateScheduleOptions, 'run' | 'taskQueue'> & {
  tags?: string[];
  priority?: number;
  timeout?: string | number;
  deadline?: string | number;
  onFailure?: 'fail' | 'hold';
};

/** Registers the schedule routes. */
export function registerScheduleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const schedules = (): PipelineSchedules =>
    new PipelineSchedules(ctx.client.client, { taskQueue: ctx.client.taskQueue, ...(ctx.registry ? { registry: ctx.registry } : {}) });

  /** Allows `action` on schedule `id`'s pipeline, or throws (403 before 404, as for runs). */
  const checkSchedule = async (request: FastifyRequest, id: string, action: ApiAction): Promise<string> => {
    if (!ctx.gate.mayEver(request, action)) {
      throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not ${action} any pipeline`);
    }
    let pipeline: string | null;
    try {
      ({ pipeline } = await schedules().describe(id));
    } catch (err) {
      // As for an unknown run: only a token granted every pipeline learns that the id is free.
      if (isTapflowError(err, 'schedule_not_found')) await ctx.gate.check(request, action, undefined);
      throw err;
    }
    const principal = await ctx.gate.check(request, action, pipeline ?? undefined);
    return principal.name;
  };

  app.get(
    '/api/schedules',
    {
      config: { action: 'read' },
      schema: { tags: ['schedules'], summary: "tapflow's schedules, with next fire times and last runs (tapflow schedule list)", response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
      const all = await schedules().list();
      const readable = await Promise.all(all.map((s) => mayDo(ctx, request, 'read', s.pipeline ?? undefined)));
      return { schedules: all.filter((_, i) => readable[i]) };
    },
  );

  app.post<{ Body: CreateBody }>(
    '/api/schedules',
    {
      config: { action: 'admin' },
      schema: {
        tags: ['schedules'],
        summary: 'Make a schedule of a registered pipeline (tapflow schedule create)',
        body: scheduleCreateBody,
        response: { 201: objectReply, ...errors },
      },
    },
    async (request, reply) => {
      const { tags, priority, timeout, deadline, onFailure, ...rest } = request.body;
      const principal = await ctx.gate.check(request, 'admin', parsePipelineRef(rest.pipeline).name);
      if (!ctx.registry) throw new HttpError(503, 'unavailable', 'this API has no run store, so no pipeline registry: start it with DATABASE_URL set');
      const created = await schedules().create({
        ...rest,
        run: {
          user: principal.name,
          ...(tags ? { tags } : {}),
          ...(priority === undefined ? {} : { priority }),
          ...(timeout === undefined ? {} : { timeout }),
          ...(deadline === undefined ? {} : { deadline }),
          ...(onFailure === undefined ? {} : { onFailure }),
        },
      });
      return reply.code(201).send(created);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/schedules/:id',
    {
      config: { action: 'read' },
      schema: { tags: ['schedules'], summary: 'One schedule in full, with its recent runs (tapflow schedule describe)', params: scheduleParams, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      await checkSchedule(request, request.params.id, 'read');
      return schedules().describe(request.params.id);
    },
  );

  for (const action of ['pause', 'unpause'] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      `/api/schedules/:id/${action}`,
      {
        config: { action: 'control' },
        schema: {
          tags: ['schedules'],
          summary: action === 'pause' ? 'Stop a schedule firing (tapflow schedule pause)' : 'Let a paused schedule fire again (tapflow schedule unpause)',
          params: scheduleParams,
          body: scheduleNoteBody,
          response: { 200: objectReply, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const by = await checkSchedule(request, id, 'control');
        const note = request.body?.reason ?? `${action}d by ${by}`;
        await schedules()[action](id, note);
        return { id, paused: action === 'pause', note };
      },
    );
  }

  app.post<{ Params: { id: string }; Body: { overlap?: OverlapPolicyName } }>(
    '/api/schedules/:id/trigger',
    {
      config: { action: 'start' },
      schema: { tags: ['schedules'], summary: 'Fire a schedule now (tapflow schedule trigger)', params: scheduleParams, body: scheduleTriggerBody, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      const { id } = request.params;
      await checkSchedule(request, id, 'start');
      const overlap = request.body?.overlap;
      return { id, run: await schedules().trigger(id, overlap === undefined ? {} : { overlap }) };
    },
  );

  app.post<{ Params: { id: string }; Body: { from: string; to: string; overlap?: OverlapPolicyName } }>(
    '/api/schedules/:id/backfill',
    {
      config: { action: 'start' },
      schema: {
        tags: ['schedules'],
        summary: 'Start the runs a schedule would have started between two past times (tapflow schedule backfill)',
        params: scheduleParams,
        body: scheduleBackfillBody,
        response: { 200: objectReply, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const now = new Date();
      const from = parseTimeArg('body.from', request.body.from, now);
      const to = parseTimeArg('body.to', request.body.to, now);
      await checkSchedule(request, id, 'start');
      const overlap = request.body.overlap;
      await schedules().backfill(id, from, to, overlap === undefined ? {} : { overlap });
      return { id, from: from.toISOString(), to: to.toISOString() };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/schedules/:id',
    {
      config: { action: 'admin' },
      schema: { tags: ['schedules'], summary: 'Delete a schedule; its runs are kept (tapflow schedule delete)', params: scheduleParams, response: { 200: objectReply, ...errors } },
    },
    async (request) => {
      const { id } = request.params;
      await checkSchedule(request, id, 'admin');
      await schedules().delete(id);
      return { id, deleted: true };
    },
  );
}
