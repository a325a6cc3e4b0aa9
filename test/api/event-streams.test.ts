/**
 * The API's Server-Sent Events streams on a dev server, a real worker and a real store, read over
 * real HTTP: a run's status on connect, every change after it fed by the store's NOTIFY, a final
 * `end` and the stream closed; resuming with `Last-Event-ID` sends only what changed since; the
 * stream over a pipeline's runs; the hub's store connection killed and the streams carrying on;
 * closing the API ends open streams.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { openEventStream, type StreamEvent } from '../../src/control/event-stream-client';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';

let app: FastifyInstance;
// Before the rig's own hooks, so the API (and the store connection its streams hold) closes first.
afterAll(async () => {
  await app?.close();
});
const stack = storeRigPerFile(devServerEnv, 'sse');
let base: string;
let admin: string;
let reader: string;

const PIPELINE = 'sse-demo';
/** Waits for event `go`, then runs two steps. */
const spec = (name = PIPELINE): PipelineSpec => ({
  name,
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'one', activity: 'step', needs: ['gate'] },
    { id: 'two', activity: 'step', needs: ['one'] },
  ],
});

beforeAll(async () => {
  admin = (await createApiToken(stack.db.pool, { name: 'admin', grants: [{ pipeline: '*', actions: ['admin'] }] })).token;
  reader = (await createApiToken(stack.db.pool, { name: 'reader', grants: [{ pipeline: PIPELINE, actions: ['read'] }] })).token;
  app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}, 120_000);

/** Collects a stream's events in the background until it ends or is stopped. */
function collect(url: string, token: string, lastEventId?: string) {
  const events: StreamEvent[] = [];
  const controller = new AbortController();
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const event of openEventStream(url, { token, signal: controller.signal, ...(lastEventId ? { lastEventId } : {}) })) events.push(event);
    } catch (err) {
      if (!controller.signal.aborted) failure = err;
    }
  })();
  return {
    events,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
    /** The first event satisfying `match`, once it has arrived. */
    until: (what: string, match: (e: StreamEvent) => boolean) =>
      eventually(what, () => {
        if (failure) throw failure;
        return events.find(match);
      }, { timeoutMs: 30_000 }).catch((err: Error) => {
        throw new Error(`${err.message}; events: ${events.map((e) => `${e.event} ${e.data.slice(0, 100)}`).join(' | ')}`);
      }),
  };
}

const data = <T>(e: StreamEvent): T => JSON.parse(e.data) as T;
/** The attempt events the first test saw live (carried by the store's announcements). */
let liveAttempts: unknown[] = [];
const isStatus = (state: string) => (e: StreamEvent) => e.event === 'status' && data<RunStatus>(e).state === state;

async function start(id: string, name = PIPELINE): Promise<void> {
  await stack.rig.tf.startRun(spec(name), { id });
  await eventually(`${id} in the store`, async () => (await stack.db.pool.query(`SELECT 1 FROM tapflow.runs WHERE workflow_id = $1`, [id])).rows[0]);
}

test("a run's stream: status first, then each change, then end, and the stream closes", async () => {
  const id = 'sse-run';
  await start(id);
  const stream = collect(`${base}/api/runs/${id}/events`, reader);
  await stream.until('the status on connect', (e) => e.event === 'status');
  expect(stream.events[0]?.event).toBe('status');
  expect(data<RunStatus>(stream.events[0]!).workflowId).toBe(id);

  await stack.rig.tf.pause(id, { by: 'test', reason: 'look' });
  await stream.until('the pause action', (e) => e.event === 'action' && data<{ action: string }>(e).action === 'pause');
  await stream.until('paused', isStatus('paused'));
  await stack.rig.tf.resume(id, { by: 'test' });
  await stack.rig.tf.sendEvent(id, 'go', { by: 'test' });
  await stream.until('node two completed', (e) => e.event === 'attempt' && data<{ nodeId: string; outcome: string }>(e).nodeId === 'two' && data<{ outcome: string }>(e).outcome === 'completed');
  await stream.done; // the server closes the stream after `end`
  const last = stream.events[stream.events.length - 1]!;
  expect(last.event).toBe('end');
  expect(data<{ state: string }>(last)).toMatchObject({ workflowId: id, state: 'completed' });
  expect(stream.events.filter((e) => e.event === 'status').map((e) => data<RunStatus>(e).state)).toContain('completed');
  // Ids are change numbers, never decreasing (the first status, sent before any row, has none).
  expect(stream.events[0]?.id).toBeUndefined();
  const ids = stream.events.slice(1).map((e) => Number(e.id));
  expect(ids.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  // Every attempt row of the run was sent, in its last version.
  const attempts = stream.events.filter((e) => e.event === 'attempt').map((e) => data<{ nodeId: string; activity: string; outcome: string }>(e));
  expect(attempts.filter((a) => a.activity === 'step' && a.outcome === 'completed').map((a) => a.nodeId).sort()).toEqual(['one', 'two']);
  liveAttempts = attempts;
}, 90_000);

test('connecting to an ended run sends its status, its rows and end at once; Last-Event-ID sends only what changed after it', async () => {
  const id = 'sse-run'; // completed by the test before
  const all = collect(`${base}/api/runs/${id}/events`, reader);
  await all.done;
  expect(all.events[0]?.event).toBe('status');
  expect(all.events[all.events.length - 1]?.event).toBe('end');
  // Read back from the rows, each attempt is what the live announcement carried.
  const replayed = all.events.filter((e) => e.event === 'attempt').map((e) => data<{ nodeId: string }>(e));
  for (const live of liveAttempts as Array<{ nodeId: string; outcome: string }>) {
    if (live.outcome === 'completed') expect(replayed.find((r) => r.nodeId === live.nodeId)).toEqual(live);
  }
  const pauseAction = all.events.find((e) => e.event === 'action' && data<{ action: string }>(e).action === 'pause')!;
  const resumed = collect(`${base}/api/runs/${id}/events`, reader, pauseAction.id);
  await resumed.done;
  expect(resumed.events[0]?.event).toBe('status');
  const rows = resumed.events.filter((e) => e.event === 'attempt' || e.event === 'action');
  expect(rows.every((e) => Number(e.id) > Number(pauseAction.id))).toBe(true);
  expect(rows.some((e) => e.event === 'action' && data<{ action: string }>(e).action === 'pause')).toBe(false);
  expect(rows.some((e) => e.event === 'attempt' && data<{ nodeId: string }>(e).nodeId === 'two')).toBe(true);
}, 60_000);

test("the stream over a pipeline's runs: a run event per change, only that pipeline's runs, resumable", async () => {
  const stream = collect(`${base}/api/events?pipeline=${PIPELINE}`, reader);
  await stream.until('the stream to be live', (e) => e.event === 'ready');
  await start('sse-other-pipeline', 'sse-elsewhere');
  await start('sse-pipeline-run');
  const started = await stream.until('the new run', (e) => e.event === 'run' && data<{ workflowId: string }>(e).workflowId === 'sse-pipeline-run');
  expect(data<{ pipeline: string; state: string }>(started)).toMatchObject({ pipeline: PIPELINE, state: 'running' });
  await stack.rig.tf.pause('sse-pipeline-run', { by: 'test' });
  const paused = await stream.until('the run paused', (e) => e.event === 'run' && data<{ state: string }>(e).state === 'paused');
  await stream.stop();
  expect(stream.events.some((e) => data<{ workflowId: string }>(e).workflowId === 'sse-other-pipeline')).toBe(false);

  // Resumed from the first event: the run's latest version is sent again (it changed since).
  await stack.rig.tf.cancel('sse-pipeline-run', { by: 'test' });
  await eventually('cancelled in the store', async () => (await stack.db.pool.query(`SELECT 1 FROM tapflow.runs WHERE workflow_id = 'sse-pipeline-run' AND state = 'cancelled'`)).rows[0]);
  const resumed = collect(`${base}/api/events?pipeline=${PIPELINE}`, reader, paused.id);
  const cancelled = await resumed.until('the cancel', (e) => e.event === 'run' && data<{ state: string }>(e).state === 'cancelled');
  expect(Number(cancelled.id)).toBeGreaterThan(Number(paused.id));
  await resumed.stop();
}, 90_000);

test('answers before streaming: 400 for a bad Last-Event-ID, 404 for an unknown run, 403 for another pipeline', async () => {
  const get = (url: string, token: string, headers: Record<string, string> = {}) => fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  expect((await get('/api/runs/sse-run/events', reader, { 'last-event-id': 'yesterday' })).status).toBe(400);
  expect((await get('/api/runs/no-such-run/events', admin)).status).toBe(404);
  expect((await get('/api/events?pipeline=sse-elsewhere', reader)).status).toBe(403);
  expect((await get('/api/runs/sse-other-pipeline/events', reader)).status).toBe(403);
});

test("the streams carry on when the store connection they listen on is killed", async () => {
  const id = 'sse-reconnect';
  await start(id);
  const stream = collect(`${base}/api/runs/${id}/events`, admin);
  await stream.until('the status on connect', (e) => e.event === 'status');
  const killed = await stack.db.pool.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN tapflow_events' AND datname = current_database() AND pid <> pg_backend_pid()`,
  );
  expect(killed.rowCount).toBeGreaterThan(0);
  await stack.rig.tf.pause(id, { by: 'test' });
  await stream.until('paused, after the hub reconnected', isStatus('paused'));
  await stack.rig.tf.cancel(id, { by: 'test' });
  await stream.done;
  expect(stream.events[stream.events.length - 1]?.event).toBe('end');
}, 90_000);

test('closing the API ends the open streams', async () => {
  const id = 'sse-close';
  await start(id);
  const second = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
  const url = await second.listen({ host: '127.0.0.1', port: 0 });
  const stream = collect(`${url}/api/runs/${id}/events`, admin);
  await stream.until('the status on connect', (e) => e.event === 'status');
  await second.close();
  await stream.done;
  expect(stream.events.some((e) => e.event === 'end')).toBe(false);
  await stack.rig.tf.cancel(id, { by: 'test' });
}, 60_000);
