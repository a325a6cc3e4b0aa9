/**
 * Live progress as Server-Sent Events, fed by the store's NOTIFY (never by polling Temporal):
 *
 * - `GET /api/runs/:id/events` (read): the run's `status` on connect, then `attempt`, `action` and
 *   `status` events as it changes, and `end` when it has ended, after which the stream closes.
 * - `GET /api/events?pipeline=NAME` (read): a `run` event each time a run of the pipeline starts
 *   or changes (without `pipeline`: every pipeline the token may read). Never ends by itself.
 *
 * Both resume from `Last-Event-ID` (a change number). 503 when the API has no store.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { searchRow } from '../../store/run-search-page';
import { getRun } from '../../store/sql/get-run';
import type { ApiContext } from '../context';
import { HttpError } from '../http-errors';
import { readablePipelines } from '../permissions';
import { streamRun } from '../run-event-stream';
import { streamRuns } from '../runs-event-stream';
import { errorReply, runParams } from '../schemas';
import { lastEventIdOf, SseStream } from '../sse-stream';

const streamReply = {
  description: 'A text/event-stream: one event per change, ids are change numbers (send the last as Last-Event-ID to resume).',
  type: 'string',
} as const;
const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 503: errorReply };
const resumeHeaders = {
  type: 'object',
  properties: { 'last-event-id': { type: 'string', description: 'Resume after this event id (a change number).' } },
} as const;
const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { pipeline: { type: 'string', minLength: 1, maxLength: 200, description: 'Only runs of this pipeline.' } },
} as const;

/** Registers the event stream routes, and ends every open stream when the API closes. */
export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const open = new Set<SseStream>();
  /** Takes the reply over as a stream and runs `feed` on it; a failure of `feed` ends the stream. */
  const serve = async (request: FastifyRequest, reply: FastifyReply, feed: (stream: SseStream) => Promise<void>): Promise<void> => {
    const stream = new SseStream(reply);
    open.add(stream);
    void stream.ended.then(() => open.delete(stream));
    await feed(stream).catch((err: unknown) => {
      request.log.warn({ err }, 'event stream ended by a failure');
      stream.end();
    });
  };
  const onError = (request: FastifyRequest) => (err: unknown) => request.log.warn({ err }, 'event stream ended by a failure');
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
    await ctx.events?.close();
  });

  app.get<{ Params: { id: string }; Headers: { 'last-event-id'?: string } }>(
    '/api/runs/:id/events',
    {
      config: { action: 'read' },
      schema: {
        tags: ['events'],
        summary: "A run's changes as Server-Sent Events (status, attempt, action, end)",
        params: runParams,
        headers: resumeHeaders,
        produces: ['text/event-stream'],
        response: { 200: streamReply, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
      const { store, events } = requireStore(ctx);
      const after = resumePoint(request);
      // The store's row names the pipeline even after Temporal has dropped the run.
      const pipeline = (await getRun(store, id))?.pipeline ?? (await ctx.client.pipelineOf(id));
      await ctx.gate.check(request, 'read', pipeline, id);
      await listening(events);
      const deps = { db: store, hub: events, liveStatus: (runId: string) => ctx.client.getStatus(runId), onError: onError(request) };
      await serve(request, reply, (stream) => streamRun(stream, deps, id, after ?? 0));
    },
  );

  app.get<{ Querystring: { pipeline?: string }; Headers: { 'last-event-id'?: string } }>(
    '/api/events',
    {
      config: { action: 'read' },
      schema: {
        tags: ['events'],
        summary: 'Every change of the runs of a pipeline (or of every pipeline the token may read) as Server-Sent Events',
        querystring: eventsQuery,
        headers: resumeHeaders,
        produces: ['text/event-stream'],
        response: { 200: streamReply, ...errors },
      },
    },
    async (request, reply) => {
      const { pipeline } = request.query;
      let pipelines: readonly string[] | '*';
      if (pipeline !== undefined) {
        await ctx.gate.check(request, 'read', pipeline);
        pipelines = [pipeline];
      } else {
        if (!ctx.gate.mayEver(request, 'read')) throw new HttpError(403, 'forbidden', `token "${request.principal?.name ?? '?'}" may not read any pipeline`);
        pipelines = request.principal ? readablePipelines(request.principal) : [];
      }
      const { store, events } = requireStore(ctx);
      const after = resumePoint(request);
      await listening(events);
      const deps = { db: store, hub: events, row: searchRow, onError: onError(request) };
      await serve(request, reply, (stream) => streamRuns(stream, deps, pipelines, after));
    },
  );
}

function requireStore(ctx: ApiContext): { store: NonNullable<ApiContext['store']>; events: NonNullable<ApiContext['events']> } {
  if (!ctx.store || !ctx.events) throw new HttpError(503, 'unavailable', 'this API has no run store to stream from: start it with DATABASE_URL set');
  return { store: ctx.store, events: ctx.events };
}

/** Waits until the hub listens to the store, or answers 503: before the reply becomes a stream, while an error can still be answered. */
async function listening(events: NonNullable<ApiContext['events']>): Promise<void> {
  try {
    await events.ready();
  } catch {
    throw new HttpError(503, 'unavailable', 'cannot follow the run store now: it did not answer; try again');
  }
}

function resumePoint(request: FastifyRequest): number | undefined {
  const after = lastEventIdOf(request.headers['last-event-id']);
  if (after === null) throw new HttpError(400, 'invalid_request', 'Last-Event-ID: must be an event id this API sent (a whole number)');
  return after;
}
