/**
 * The pipeline registry over HTTP, on a dev server, a real worker and a real store: pushing a
 * spec (a new version 201, the same content again 200 `created: false`, new content the next
 * version), what a push refuses (a name other than the path's, a bad spec with every problem, a
 * token without `admin`), listing (only what the token may read), reading a version, comparing
 * two, and starting a registered pipeline with `POST /api/runs { pipeline, version? }`: the run's
 * status and its store row carry the version; an unknown pipeline is 404, and a body with both a
 * spec and a pipeline (or neither) is 400.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { Grant } from '../../src/api/permissions';
import type { PipelineSpec } from '../../src/core/types';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';

let app: FastifyInstance;
// Before the rig's own hooks, so the API (and the store connection its streams hold) closes first.
afterAll(async () => {
  await app?.close();
});
const stack = storeRigPerFile(devServerEnv, 'api-pipelines');
const tokens: Record<string, string> = {};

const NAME = 'registry-demo';
const OTHER = 'registry-other';

/** Version 1: a run that waits for an event, so its status can be read while it lives. */
const v1: PipelineSpec = {
  name: NAME,
  description: 'first',
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'after', activity: 'step', needs: ['gate'] },
  ],
};
/** Version 2: `after` changed, `extra` added. */
const v2: PipelineSpec = {
  name: NAME,
  description: 'second',
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'after', activity: 'step', needs: ['gate'], input: { v: 2 } },
    { id: 'extra', activity: 'step', needs: ['after'] },
  ],
};
const other: PipelineSpec = { name: OTHER, nodes: [{ id: 'only', activity: 'step' }] };

const ROLES: Record<string, Grant[]> = {
  admin: [{ pipeline: '*', actions: ['admin'] }],
  // Everything but admin on the pipeline: may read and start it, not push it.
  operator: [{ pipeline: NAME, actions: ['read', 'start', 'control'] }],
  // Admin of the one pipeline only.
  owner: [{ pipeline: NAME, actions: ['admin'] }],
  otherReader: [{ pipeline: OTHER, actions: ['read'] }],
};

beforeAll(async () => {
  for (const [name, grants] of Object.entries(ROLES)) tokens[name] = (await createApiToken(stack.db.pool, { name, grants })).token;
  app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
}, 120_000);

function call(method: 'GET' | 'PUT' | 'POST', url: string, role: string, body?: unknown) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` }, ...(body === undefined ? {} : { payload: body as object }) });
}

interface Problem {
  path: string;
  message: string;
}
const problemsOf = (res: { json(): unknown }): Problem[] => (res.json() as { error: { problems?: Problem[] } }).error.problems ?? [];

describe('pushing', () => {
  test('new content is version 1 (201); the same content again is that version (200); new content is version 2', async () => {
    const first = await call('PUT', `/api/pipelines/${NAME}`, 'owner', v1);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ name: NAME, version: 1, created: true });

    // The same content with its keys in another order is the same version.
    const reordered = { nodes: v1.nodes, description: v1.description, name: NAME };
    const again = await call('PUT', `/api/pipelines/${NAME}`, 'admin', reordered);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ name: NAME, version: 1, created: false });

    const second = await call('PUT', `/api/pipelines/${NAME}`, 'owner', v2);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ name: NAME, version: 2, created: true });

    expect((await call('PUT', `/api/pipelines/${OTHER}`, 'admin', other)).statusCode).toBe(201);
  });

  test('a spec named otherwise than the path is 400 with one message; nothing is pushed', async () => {
    const res = await call('PUT', `/api/pipelines/${NAME}`, 'admin', { ...v1, name: 'elsewhere' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'invalid_request',
        message: `the spec is named "elsewhere", not "${NAME}" as the path says`,
        problems: [{ path: 'body.name', message: `must be "${NAME}", the name in the path` }],
      },
    });
    expect((await call('GET', '/api/pipelines/elsewhere', 'admin')).statusCode).toBe(404);
  });

  test('an invalid spec is 400 with every problem, named from the body', async () => {
    const bad = { name: NAME, nodes: [{ id: 'a', activity: 'step', needs: ['nope'] }, { id: 'a', activity: 'step' }] };
    const res = await call('PUT', `/api/pipelines/${NAME}`, 'admin', bad);
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { code: string } }).error.code).toBe('invalid_request');
    expect(problemsOf(res).map((p) => p.path)).toEqual(expect.arrayContaining(['body.nodes[0].needs[0]', 'body.nodes[1].id']));

    // No name at all: the spec's own problem, not a mismatch.
    const nameless = await call('PUT', `/api/pipelines/${NAME}`, 'admin', { nodes: v1.nodes });
    expect(nameless.statusCode).toBe(400);
    expect(problemsOf(nameless).map((p) => p.path)).toContain('body.name');

    // Not an object: the schema's problem.
    const text = await call('PUT', `/api/pipelines/${NAME}`, 'admin', [1, 2]);
    expect(text.statusCode).toBe(400);
  });

  test('a token without admin on the pipeline is 403, whatever else it may do', async () => {
    for (const role of ['operator', 'otherReader']) {
      const res = await call('PUT', `/api/pipelines/${NAME}`, role, { ...v2, description: 'not allowed' });
      expect(res.statusCode).toBe(403);
      expect((res.json() as { error: { message: string } }).error.message).toBe(`token "${role}" may not admin on pipeline "${NAME}"`);
    }
    // The owner is admin of its pipeline only.
    expect((await call('PUT', `/api/pipelines/${OTHER}`, 'owner', { ...other, description: 'not yours' })).statusCode).toBe(403);
    const versions = (await call('GET', `/api/pipelines/${NAME}`, 'admin')).json() as { versions: unknown[] };
    expect(versions.versions).toHaveLength(2);
  });
});

describe('reading', () => {
  test('the list has the pipelines the token may read, each with its latest version', async () => {
    const all = await call('GET', '/api/pipelines', 'admin');
    expect(all.statusCode).toBe(200);
    const rows = (all.json() as { pipelines: Array<Record<string, unknown>> }).pipelines;
    expect(rows.map((r) => r.name)).toEqual([NAME, OTHER]);
    expect(rows[0]).toEqual({ name: NAME, latest: 2, versions: 2, description: 'second', nodes: 3, pushedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(rows[0]?.pushedAt as string))).toBe(false);

    const names = async (token: string): Promise<string[]> =>
      ((await call('GET', '/api/pipelines', token)).json() as { pipelines: Array<{ name: string }> }).pipelines.map((r) => r.name);
    expect(await names('operator')).toEqual([NAME]);
    expect(await names('otherReader')).toEqual([OTHER]);
  });

  test('a pipeline: its latest version, its spec and every version; a version by number', async () => {
    const latest = await call('GET', `/api/pipelines/${NAME}`, 'operator');
    expect(latest.statusCode).toBe(200);
    const body = latest.json() as Record<string, unknown> & { versions: Array<Record<string, unknown>> };
    expect(body).toMatchObject({ name: NAME, version: 2, pushedBy: 'owner', spec: v2, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(body.versions.map((v) => [v.version, v.pushedBy])).toEqual([
      [2, 'owner'],
      [1, 'owner'],
    ]);
    expect(body.versions[0]?.digest).toBe(body.digest);

    const first = await call('GET', `/api/pipelines/${NAME}/versions/1`, 'operator');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ name: NAME, version: 1, spec: v1, digest: body.versions[1]?.digest });
  });

  test('an unknown pipeline or version is 404; another pipeline is 403', async () => {
    const missing = await call('GET', '/api/pipelines/never-pushed', 'admin');
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as { error: { code: string } }).error.code).toBe('not_found');
    expect((await call('GET', `/api/pipelines/${NAME}/versions/9`, 'admin')).statusCode).toBe(404);
    expect((await call('GET', `/api/pipelines/${NAME}/versions/0`, 'admin')).statusCode).toBe(400);
    expect((await call('GET', `/api/pipelines/${NAME}`, 'otherReader')).statusCode).toBe(403);
  });

  test('the diff between two versions, node by node', async () => {
    const res = await call('GET', `/api/pipelines/${NAME}/diff?from=1&to=2`, 'operator');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from: 1,
      to: 2,
      added: ['extra'],
      removed: [],
      changed: [{ id: 'after', fields: ['input'] }],
      unchanged: ['gate'],
      pipelineFields: ['description'],
    });
    expect((await call('GET', `/api/pipelines/${NAME}/diff?from=1&to=7`, 'operator')).statusCode).toBe(404);
    expect((await call('GET', `/api/pipelines/${NAME}/diff?from=1`, 'operator')).statusCode).toBe(400);
  });
});

describe('starting a registered pipeline', () => {
  /** The run's registered version, as its live status and its store row (through the history) say. */
  async function versionsOf(id: string): Promise<{ status: unknown; row: unknown }> {
    const status = await eventually(`${id} to answer`, async () => {
      const res = await call('GET', `/api/runs/${id}`, 'operator');
      return res.statusCode === 200 ? (res.json() as { pipeline: string; pipelineVersion?: number }) : undefined;
    });
    expect(status.pipeline).toBe(NAME);
    const row = await eventually(`${id} in the store`, async () => {
      const res = await call('GET', `/api/runs/${id}/history`, 'operator');
      return res.statusCode === 200 ? (res.json() as { run: { pipelineVersion: number | null } | null }).run ?? undefined : undefined;
    });
    return { status: status.pipelineVersion, row: row.pipelineVersion };
  }

  test('by name: the latest version, recorded by the run and its row', async () => {
    const res = await call('POST', '/api/runs', 'operator', { pipeline: NAME, id: 'registry-latest', tags: ['by-name'] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ workflowId: 'registry-latest', runId: expect.any(String), version: 2 });
    expect(await versionsOf('registry-latest')).toEqual({ status: 2, row: 2 });
  });

  test('by version: that version, with the start options as for a spec', async () => {
    const res = await call('POST', '/api/runs', 'operator', { pipeline: NAME, version: 1, id: 'registry-v1', idempotencyKey: 'once' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ workflowId: 'registry-v1', version: 1 });
    expect(await versionsOf('registry-v1')).toEqual({ status: 1, row: 1 });
    const status = (await call('GET', '/api/runs/registry-v1', 'operator')).json() as { nodes: Array<{ id: string }> };
    expect(status.nodes.map((n) => n.id)).toEqual(['gate', 'after']);

    // The same key again: the same run, not another.
    const again = await call('POST', '/api/runs', 'operator', { pipeline: NAME, version: 1, id: 'registry-v1', idempotencyKey: 'once' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ workflowId: 'registry-v1', existing: true, version: 1 });
  });

  test('an ended run reruns on another version, reusing only what that version left unchanged', async () => {
    // Still open: it reruns in place, on its own spec only.
    const live = await call('POST', '/api/runs/registry-v1/rerun', 'operator', { from: 'after', version: 2 });
    expect(live.statusCode).toBe(409);
    await stack.rig.tf.sendEvent('registry-v1', 'go', { data: { ok: true } });
    await stack.rig.tf.result('registry-v1', { wait: true });
    await eventually('registry-v1 recorded completed', async () => {
      const res = await call('GET', '/api/runs/registry-v1/history', 'operator');
      return (res.json() as { run: { state: string } | null }).run?.state === 'completed' ? true : undefined;
    });

    const dry = await call('POST', '/api/runs/registry-v1/rerun', 'operator', { from: 'after', version: 'latest', dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({
      mode: 'new-run',
      dryRun: true,
      version: 2,
      reused: ['gate'],
      rerun: ['after', 'extra'],
      diff: { added: ['extra'], removed: [], changed: [{ id: 'after', fields: ['input'] }], unchanged: ['gate'] },
    });
    const res = await call('POST', '/api/runs/registry-v1/rerun', 'operator', { from: 'after', version: 2, id: 'registry-v1-on-v2' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ newRunId: 'registry-v1-on-v2', version: 2 });
    // The event node's output is reused, so the new run goes straight on and completes on version 2.
    const result = await stack.rig.tf.result('registry-v1-on-v2', { wait: true });
    expect(Object.keys(result)).toEqual(['extra']);
    expect(await versionsOf('registry-v1-on-v2')).toEqual({ status: 2, row: 2 });
    expect((await call('POST', '/api/runs/registry-v1/rerun', 'operator', { from: 'after', version: 9, dryRun: true })).statusCode).toBe(404);

    // The store finds runs by the version they were started from.
    const search = async (query: string): Promise<string[]> =>
      ((await call('GET', `/api/runs/search?${query}`, 'operator')).json() as { runs: Array<{ workflowId: string }> }).runs.map((r) => r.workflowId).sort();
    expect(await search(`pipeline=${NAME}&version=1`)).toEqual(['registry-v1']);
    expect(await search(`pipeline=${NAME}&version=2`)).toEqual(['registry-latest', 'registry-v1-on-v2']);
    expect((await call('GET', '/api/runs/search?version=2', 'operator')).statusCode).toBe(400);
  });

  test('an unknown pipeline or version is 404; a pipeline the token may not start is 403', async () => {
    const missing = await call('POST', '/api/runs', 'admin', { pipeline: 'never-pushed' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringMatching(/no registered pipeline named "never-pushed"/) } });
    const noVersion = await call('POST', '/api/runs', 'admin', { pipeline: NAME, version: 5 });
    expect(noVersion.statusCode).toBe(404);
    expect((noVersion.json() as { error: { message: string } }).error.message).toMatch(/has no version 5/);
    expect((await call('POST', '/api/runs', 'otherReader', { pipeline: NAME })).statusCode).toBe(403);
    // The refusal comes before the lookup: a token learns nothing of pipelines it may not start.
    expect((await call('POST', '/api/runs', 'otherReader', { pipeline: 'never-pushed' })).statusCode).toBe(403);
  });

  test('both a spec and a pipeline, or neither, or a version with a spec, is 400 naming the field', async () => {
    const both = await call('POST', '/api/runs', 'admin', { spec: v1, pipeline: NAME });
    expect(both.statusCode).toBe(400);
    expect(problemsOf(both)).toEqual([{ path: 'body.pipeline', message: expect.stringMatching(/not both/) }]);

    const neither = await call('POST', '/api/runs', 'admin', { input: 1 });
    expect(neither.statusCode).toBe(400);
    expect(problemsOf(neither)).toEqual([{ path: 'body.spec', message: expect.stringMatching(/"pipeline"/) }]);

    const versioned = await call('POST', '/api/runs', 'admin', { spec: v1, version: 1 });
    expect(versioned.statusCode).toBe(400);
    expect(problemsOf(versioned).map((p) => p.path)).toEqual(['body.version']);

    // The schema's own problems come with it, all at once.
    const wrong = await call('POST', '/api/runs', 'admin', { pipeline: 7, version: 'x', colour: 'red' });
    expect(wrong.statusCode).toBe(400);
    expect(problemsOf(wrong).map((p) => p.path).sort()).toEqual(['body.colour', 'body.pipeline', 'body.version']);
  });

  test('the OpenAPI document lists the pipeline routes and both ways to start', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object; oneOf?: unknown[] } }> } }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/pipelines', '/api/pipelines/{name}', '/api/pipelines/{name}/versions/{version}', '/api/pipelines/{name}/diff']),
    );
    expect(doc.paths['/api/pipelines/{name}']?.put?.requestBody).toBeDefined();
    const start = doc.paths['/api/runs']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(start?.properties ?? {})).toEqual(expect.arrayContaining(['spec', 'pipeline', 'version']));
    expect(start?.oneOf).toHaveLength(2);
  });
});
