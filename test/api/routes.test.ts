/**
 * The HTTP API on a dev server, a real worker and a real store of tokens: every route walked
 * with every kind of token (none 401, a wrong one 403, a token without the action or pipeline
 * 403, the right one through to the run), bad bodies answered 400 with every problem and where,
 * an unknown run 404, an action that does not apply 409, a body too large 413, the actions
 * recorded `by` the token's name, and the OpenAPI document listing exactly the routes served.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi, apiRoutes } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { Grant } from '../../src/api/permissions';
import type { PipelineSpec } from '../../src/core/types';
import { PipelineSchedules } from '../../src/control/schedules';
import { StorePipelineRegistry } from '../../src/store/pipeline-registry';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import type { TestRig } from '../helpers/worker';
import type { TestDatabase } from '../helpers/postgres';

let app: FastifyInstance;
let base: string;
// Before the rig's own hooks, so the API (and the store connection its streams hold) closes first.
afterAll(async () => {
  await app?.close();
});
// A worker recording into the store the API reads histories and tokens from.
const stack = storeRigPerFile(devServerEnv, 'api');
let rig: TestRig;
let db: TestDatabase;
const tokens: Record<string, string> = {};

const PIPELINE = 'api-demo';
/** A run that waits for an event: live for as long as the tests need it. */
const waitingSpec = (name = PIPELINE): PipelineSpec => ({
  name,
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'after', activity: 'step', needs: ['gate'] },
  ],
});

const ROLES: Record<string, Grant[]> = {
  reader: [{ pipeline: PIPELINE, actions: ['read'] }],
  starter: [{ pipeline: PIPELINE, actions: ['start'] }],
  controller: [{ pipeline: PIPELINE, actions: ['control'] }],
  admin: [{ pipeline: '*', actions: ['admin'] }],
  elsewhere: [{ pipeline: 'other-pipeline', actions: ['admin'] }],
};

beforeAll(async () => {
  rig = stack.rig;
  db = stack.db;
  for (const [name, grants] of Object.entries(ROLES)) tokens[name] = (await createApiToken(db.pool, { name, grants })).token;
  app = await buildApi({ client: rig.tf, store: db.pool, tokens: new StoreTokenVerifier(db.pool), bodyLimit: 64 * 1024 });
  // The event streams never end while their run lives: they are called over real HTTP and let go.
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}, 120_000);

function authHeaders(role?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (role === 'wrong') headers.authorization = 'Bearer tf_nosuchid000_c2VjcmV0LW5vdC1zdG9yZWQ';
  else if (role) headers.authorization = `Bearer ${tokens[role]}`;
  return headers;
}

function call(method: string, url: string, role?: string, body?: unknown) {
  const headers = authHeaders(role);
  return app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
}

/** Opens an event stream and lets go once its status is known: the answer, or that it streams. */
async function callStream(url: string, role?: string): Promise<{ statusCode: number; body: string }> {
  const controller = new AbortController();
  const res = await fetch(`${base}${url}`, { headers: authHeaders(role), signal: controller.signal });
  if (res.status === 200) {
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
    return { statusCode: 200, body: '' };
  }
  return { statusCode: res.status, body: await res.text() };
}

async function startWaiting(id: string): Promise<void> {
  const res = await call('POST', '/api/runs', 'admin', { spec: waitingSpec(), id });
  expect(res.statusCode).toBe(201);
  await eventually(`${id} to wait`, async () => ((await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'gate')?.state === 'running' ? true : undefined));
}

describe('every route with every kind of token', () => {
  /**
   * One request per documented route, and the action it takes. `anyPipeline`: the route takes
   * the action only on the runs of pipelines the token may (a bulk action), so any token that
   * may take it on some pipeline passes.
   */
  const SAMPLES: Record<string, { action: string; body?: unknown; query?: string; anyPipeline?: boolean; stream?: boolean }> = {
    'POST /api/runs': { action: 'start', body: { spec: waitingSpec(), id: 'api-matrix-start' } },
    'GET /api/runs': { action: 'read', query: `?pipeline=${PIPELINE}` },
    'GET /api/runs/:id': { action: 'read' },
    'GET /api/runs/:id/result': { action: 'read' },
    'GET /api/runs/:id/children': { action: 'read' },
    'GET /api/runs/:id/history': { action: 'read' },
    'GET /api/runs/:id/notifications': { action: 'read' },
    // The matrix's run is live: the admin token passes the checks and is refused 409, nothing deleted.
    'DELETE /api/runs/:id/record': { action: 'admin' },
    'POST /api/runs/:id/pause': { action: 'control', body: { reason: 'matrix' } },
    'POST /api/runs/:id/resume': { action: 'control', body: {} },
    'POST /api/runs/:id/cancel': { action: 'control', body: {} },
    'POST /api/runs/:id/nodes/:node/retry': { action: 'control', body: {} },
    'POST /api/runs/:id/nodes/:node/skip': { action: 'control', body: { output: 1 } },
    'POST /api/runs/:id/nodes/:node/edit': { action: 'control', body: { input: {} } },
    // A dry run: the cancel sample has ended the run by now, and a real rerun of an ended run starts one (start as well).
    'POST /api/runs/:id/rerun': { action: 'control', body: { from: 'after', dryRun: true } },
    'POST /api/runs/:id/events/:event': { action: 'control', body: { data: 'x' } },
    'GET /api/runs/search': { action: 'read', query: `?pipeline=${PIPELINE}&limit=5` },
    'POST /api/runs/bulk/pause': { action: 'control', body: { query: `TapflowPipeline = '${PIPELINE}'`, dryRun: true }, anyPipeline: true },
    'POST /api/runs/bulk/resume': { action: 'control', body: { query: `TapflowPipeline = '${PIPELINE}'`, dryRun: true }, anyPipeline: true },
    'POST /api/runs/bulk/cancel': { action: 'control', body: { query: `TapflowPipeline = '${PIPELINE}'`, dryRun: true }, anyPipeline: true },
    'GET /api/runs/:id/events': { action: 'read', stream: true },
    'GET /api/events': { action: 'read', query: `?pipeline=${PIPELINE}`, stream: true },
    // The registry: pushing is admin; the first allowed push makes version 1, which the reads then find.
    'PUT /api/pipelines/:name': { action: 'admin', body: waitingSpec() },
    'GET /api/pipelines': { action: 'read', anyPipeline: true },
    'GET /api/pipelines/:name': { action: 'read' },
    'GET /api/pipelines/:name/versions/:version': { action: 'read' },
    'GET /api/pipelines/:name/diff': { action: 'read', query: '?from=1&to=1' },
    'GET /api/schedules': { action: 'read', anyPipeline: true },
    'POST /api/schedules': { action: 'admin' },
    'GET /api/schedules/:id': { action: 'read' },
    'POST /api/schedules/:id/pause': { action: 'control', body: {} },
    'POST /api/schedules/:id/unpause': { action: 'control', body: {} },
    'POST /api/schedules/:id/trigger': { action: 'start', body: {} },
    'POST /api/schedules/:id/backfill': { action: 'start', body: { from: '3h', to: '2h' } },
    // Last: it deletes the schedule the routes above act on.
    'DELETE /api/schedules/:id': { action: 'admin' },
  };

  test('the samples cover every documented route, and nothing else', () => {
    const served = apiRoutes(app).map((r) => `${r.method} ${r.url}`).sort();
    expect(Object.keys(SAMPLES).sort()).toEqual(served);
  });

  test('no token 401, a wrong token 403, a token without the action or pipeline 403, the right one passes', async () => {
    const id = 'api-matrix';
    await startWaiting(id);
    // The schedule routes act on a schedule of the same id, of the pipeline the grants name.
    const registry = new StorePipelineRegistry(db.pool);
    await registry.push(waitingSpec(), 'test');
    await new PipelineSchedules(stack.env.client, { registry, taskQueue: rig.taskQueue }).create({ id, pipeline: PIPELINE, every: '1h', paused: true });
    const may = (role: string, action: string, anyPipeline = false): boolean =>
      ROLES[role]?.some((g) => (anyPipeline || g.pipeline === '*' || g.pipeline === PIPELINE) && (g.actions.includes(action as never) || g.actions.includes('admin'))) ?? false;
    const table: string[] = [];
    for (const [route, sample] of Object.entries(SAMPLES)) {
      const [method, path] = route.split(' ') as [string, string];
      const url =
        path.replace(':id', id).replace(':node', 'gate').replace(':event', 'nothing-waits-for-this').replace(':name', PIPELINE).replace(':version', '1') + (sample.query ?? '');
      for (const role of ['none', 'wrong', ...Object.keys(ROLES)]) {
        // A start by an allowed role starts a run: give each its own id.
        const body =
          route === 'POST /api/runs'
            ? { spec: waitingSpec(), id: `api-matrix-start-${role}` }
            : route === 'POST /api/schedules'
              ? { id: `api-matrix-schedule-${role}`, pipeline: PIPELINE, every: '1h', paused: true }
              : sample.body;
        const res = sample.stream ? await callStream(url, role === 'none' ? undefined : role) : await call(method, url, role === 'none' ? undefined : role, body);
        const want = role === 'none' ? '401' : role === 'wrong' || !may(role, sample.action, sample.anyPipeline) ? '403' : 'allowed';
        const got = res.statusCode === 401 || res.statusCode === 403 ? String(res.statusCode) : 'allowed';
        if (got !== want) table.push(`${route} as ${role}: want ${want}, got ${res.statusCode} ${res.body}`);
        if (got === 'allowed') expect(res.statusCode).toBeLessThan(500);
      }
    }
    expect(table).toEqual([]);
  }, 180_000);

  test('a token for another pipeline lists none of these runs; a reader lists them', async () => {
    const mine = await call('GET', '/api/runs', 'reader');
    expect(mine.statusCode).toBe(200);
    expect((mine.json() as { runs: Array<{ pipeline: string }> }).runs.every((r) => r.pipeline === PIPELINE)).toBe(true);
    const other = await call('GET', '/api/runs', 'elsewhere');
    expect(other.statusCode).toBe(200);
    expect((other.json() as { runs: unknown[] }).runs).toEqual([]);
    expect((await call('GET', `/api/runs?pipeline=${PIPELINE}`, 'elsewhere')).statusCode).toBe(403);
  });
});

describe('answers', () => {
  test('a bad body is 400 with every problem and where it is', async () => {
    const res = await call('POST', '/api/runs', 'admin', { spec: { name: PIPELINE, nodes: [{ id: 'a', activity: 'step', needs: ['nope'] }, { id: 'a', activity: 'step' }] } });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; problems: Array<{ path: string; message: string }> } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['body.spec.nodes[0].needs[0]', 'body.spec.nodes[1].id']));

    const shape = await call('POST', '/api/runs', 'admin', { input: 1, colour: 'red', priority: 9 });
    expect(shape.statusCode).toBe(400);
    const paths = (shape.json() as { error: { problems: Array<{ path: string }> } }).error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['body.colour', 'body.priority', 'body.spec']);
  });

  test('an unknown run is 404; an action that does not apply is 409 with the reason', async () => {
    const missing = await call('GET', '/api/runs/no-such-run', 'admin');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'no run with id "no-such-run"' } });

    const id = 'api-409';
    await startWaiting(id);
    const resume = await call('POST', `/api/runs/${id}/resume`, 'controller', {});
    expect(resume.statusCode).toBe(409);
    expect((resume.json() as { error: { message: string } }).error.message).toMatch(/resume/);
    const result = await call('GET', `/api/runs/${id}/result`, 'reader');
    expect(result.statusCode).toBe(409);
  });

  test('a body over the limit is 413', async () => {
    const res = await call('POST', '/api/runs', 'admin', { spec: waitingSpec(), input: 'x'.repeat(70 * 1024) });
    expect(res.statusCode).toBe(413);
    expect((res.json() as { error: { code: string } }).error.code).toBe('too_large');
  });

  test('start, pause, resume, send: the run acts on each, and completes', async () => {
    const id = 'api-flow';
    await startWaiting(id);
    const pause = await call('POST', `/api/runs/${id}/pause`, 'controller', { reason: 'lunch' });
    expect(pause.statusCode).toBe(200);
    expect((pause.json() as { state: string }).state).toMatch(/paus/);
    const status = await call('GET', `/api/runs/${id}`, 'reader');
    expect(status.json()).toMatchObject({ workflowId: id, pipeline: PIPELINE });
    expect((await call('POST', `/api/runs/${id}/resume`, 'controller')).statusCode).toBe(200);
    const sent = await call('POST', `/api/runs/${id}/events/go`, 'controller', { data: { ok: true } });
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toMatchObject({ delivered: ['gate'] });
    // The run reports completed a moment before its workflow closes with the result.
    const result = await eventually('the result', async () => {
      const res = await call('GET', `/api/runs/${id}/result`, 'reader');
      return res.statusCode === 200 ? res : undefined;
    });
    expect(result.json()).toMatchObject({ result: { after: expect.anything() } });
  });

  test("an application's permission hook decides instead of the grants", async () => {
    const asked: string[] = [];
    const hooked = await buildApi({
      client: rig.tf,
      tokens: new StoreTokenVerifier(db.pool),
      // Readers may also pause (but nothing else they are not granted).
      permission: ({ principal, action, pipeline, route }) => {
        asked.push(`${principal.name} ${action} ${route}`);
        return (principal.name === 'reader' && route.endsWith('/pause')) || ROLES[principal.name]?.some((g) => g.pipeline === pipeline && g.actions.includes(action)) === true;
      },
    });
    try {
      const id = 'api-hook';
      await startWaiting(id);
      const pause = await hooked.inject({ method: 'POST', url: `/api/runs/${id}/pause`, headers: { authorization: `Bearer ${tokens.reader}` } });
      expect(pause.statusCode).toBe(200);
      const cancel = await hooked.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers: { authorization: `Bearer ${tokens.reader}` } });
      expect(cancel.statusCode).toBe(403);
      expect(asked).toEqual(['reader control POST /api/runs/:id/pause', 'reader control POST /api/runs/:id/cancel']);
    } finally {
      await hooked.close();
    }
  });

  test("a run's history comes from the store, with the actions and who took them", async () => {
    const id = 'api-history';
    await startWaiting(id);
    expect((await call('POST', `/api/runs/${id}/pause`, 'controller', { reason: 'look' })).statusCode).toBe(200);
    const history = await eventually('the pause in the store', async () => {
      const res = await call('GET', `/api/runs/${id}/history`, 'reader');
      const body = res.json() as { controlActions?: Array<{ action: string; requestedBy: string | null; reason: string | null }> };
      return body.controlActions?.some((a) => a.action === 'pause') ? body : undefined;
    });
    expect(history).toMatchObject({ workflowId: id, run: { pipeline: PIPELINE } });
    expect(history.controlActions?.find((a) => a.action === 'pause')).toMatchObject({ requestedBy: 'controller', reason: 'look' });
    expect((await call('GET', '/api/runs/never-ran/history', 'admin')).statusCode).toBe(404);
    expect((await call('GET', `/api/runs/${id}/history`, 'elsewhere')).statusCode).toBe(403);
  });

  test("an admin deletes an ended run's store records; a live run is 409 and an unknown one 404", async () => {
    const id = 'api-record';
    await startWaiting(id);
    const live = await call('DELETE', `/api/runs/${id}/record`, 'admin');
    expect(live.statusCode).toBe(409);
    expect((live.json() as { error: { message: string } }).error.message).toMatch(/^the (run is \w+|store has no record of the run yet): only the records of a run that has ended can be deleted$/);
    expect((await call('POST', `/api/runs/${id}/cancel`, 'controller', { reason: 'done' })).statusCode).toBe(200);
    await eventually('the end in the store', async () => {
      const { rows } = await db.pool.query(`SELECT 1 FROM tapflow.runs WHERE workflow_id = $1 AND state = 'cancelled'`, [id]);
      return rows[0];
    });
    expect((await call('DELETE', `/api/runs/${id}/record`, 'controller')).statusCode).toBe(403);
    expect((await call('DELETE', `/api/runs/${id}/record`, 'elsewhere')).statusCode).toBe(403);
    const deleted = await call('DELETE', `/api/runs/${id}/record`, 'admin');
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ workflowId: id, state: 'cancelled', runs: 1, records: { control_actions: 1 } });
    expect((await call('GET', `/api/runs/${id}/history`, 'admin')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/runs/never-ran/record', 'admin')).statusCode).toBe(404);
  });

  test('the OpenAPI document lists every route served, with its body schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(documented).toEqual(apiRoutes(app).map((r) => `${r.method} ${r.url}`).sort());
    expect(doc.paths['/api/runs']?.post?.requestBody).toBeDefined();
  });
});
