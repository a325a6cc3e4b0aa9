/**
 * The API's routes over many runs and its rerun of an ended run, on a dev server, a real worker
 * and a real store: `GET /api/runs/search` by each filter and page by page (a reader of one
 * pipeline finding only its runs, pages still exact), bad parameters 400 with every problem;
 * `POST /api/runs/bulk/pause` over a query (each run's outcome, a dry run acting on none, a
 * controller of one pipeline pausing only its runs); `POST /api/runs/:id/rerun` of a completed
 * run giving a new run that reuses the recorded outputs.
 */
import type { FastifyInstance } from 'fastify';
import type { BulkControlResult } from '../../src/control/bulk-control';
import { buildApi } from '../../src/api/server';
import type { Grant } from '../../src/api/permissions';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { PipelineSpec } from '../../src/core/types';
import type { RerunReport } from '../../src/control/rerun';
import type { RunSearchPage } from '../../src/store/run-search-page';
import { getRun } from '../../src/store/sql/get-run';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { RunWrite } from '../../src/store/types';
import { eventually, nodeOf } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const stack = storeRigPerFile(devServerEnv, 'api-many');
let app: FastifyInstance;
const tokens: Record<string, string> = {};

const ROLES: Record<string, Grant[]> = {
  admin: [{ pipeline: '*', actions: ['admin'] }],
  readerA: [{ pipeline: 'A', actions: ['read'] }],
  starter: [{ pipeline: '*', actions: ['start'] }],
  controlBulkA: [{ pipeline: 'bulk-a', actions: ['control', 'read'] }],
  controlElsewhere: [{ pipeline: 'nothing-runs-here', actions: ['control'] }],
  rerunControl: [{ pipeline: 'ended', actions: ['control'] }],
  rerunControlStart: [{ pipeline: 'ended', actions: ['control', 'start'] }],
};

beforeAll(async () => {
  const db = stack.db;
  for (const [name, grants] of Object.entries(ROLES)) tokens[name] = (await createApiToken(db.pool, { name, grants })).token;
  app = await buildApi({ client: stack.rig.tf, store: db.pool, tokens: new StoreTokenVerifier(db.pool) });
}, 120_000);

afterAll(async () => {
  await app?.close();
});

function call(method: 'GET' | 'POST', url: string, role: string, body?: unknown, api: FastifyInstance = app) {
  return api.inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` }, ...(body === undefined ? {} : { payload: body as object }) });
}

describe('GET /api/runs/search', () => {
  const day = (d: number): Date => new Date(Date.UTC(2025, 0, d, 12));
  // Runs the store recorded long ago (Temporal never had them): only the store can find them.
  const RUNS: RunWrite[] = [
    { workflowId: 'r1', pipeline: 'A', state: 'completed', tags: ['x', 'y'], userName: 'alice', groups: ['g1'], createdAt: day(1) },
    { workflowId: 'r2', pipeline: 'A', state: 'running', tags: ['x'], userName: 'bob', groups: ['g2'], createdAt: day(2) },
    { workflowId: 'r3', pipeline: 'B', state: 'failed', tags: ['y'], userName: 'alice', groups: ['g1', 'g2'], createdAt: day(3) },
    { workflowId: 'r4', pipeline: 'B', state: 'paused', createdAt: day(4) },
    { workflowId: 'r5', pipeline: 'A', state: 'completed', tags: ['z'], userName: 'alice', groups: ['g2'], createdAt: day(5) },
    { workflowId: 'r6a', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
    { workflowId: 'r6b', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
  ];
  // Every search here stays inside January 2025, away from the runs the other tests start.
  const JANUARY = 'from=2025-01-01&to=2025-02-01';

  beforeAll(async () => {
    for (const run of RUNS) await upsertRun(stack.db.pool, run);
  });

  async function page(query: string, role = 'admin'): Promise<RunSearchPage> {
    const res = await call('GET', `/api/runs/search?${query}`, role);
    expect({ status: res.statusCode, body: res.statusCode === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
    return res.json() as RunSearchPage;
  }
  const ids = async (query: string, role = 'admin') =>
    (await page(query.includes('from=') ? query : `${JANUARY}&${query}`, role)).runs.map((r) => r.workflowId);

  test.each<[string, string, string[]]>([
    ['no filter but the month', '', ['r6b', 'r6a', 'r5', 'r4', 'r3', 'r2', 'r1']],
    ['pipeline', 'pipeline=A', ['r5', 'r2', 'r1']],
    ['state', 'state=completed', ['r5', 'r1']],
    ['any of several states (the parameter repeated)', 'state=failed&state=paused', ['r4', 'r3']],
    ['tag', 'tag=x', ['r2', 'r1']],
    ['all of several tags', 'tag=x&tag=y', ['r1']],
    ['user', 'user=alice', ['r5', 'r3', 'r1']],
    ['group', 'group=g2', ['r5', 'r3', 'r2']],
    ['all of several groups', 'group=g1&group=g2', ['r3']],
    ['a narrower range (offset-less times are UTC; to is exclusive)', 'from=2025-01-02T12:00&to=2025-01-04T12:00:00Z', ['r3', 'r2']],
    ['filters combined', 'pipeline=A&user=alice&tag=x', ['r1']],
  ])('filters by %s', async (_name, query, expected) => {
    expect(await ids(query)).toEqual(expected);
  });

  test('a relative time counts back from now', async () => {
    const hour = 3_600_000;
    await upsertRun(stack.db.pool, { workflowId: 'rel-recent', pipeline: 'rel', state: 'running', createdAt: new Date(Date.now() - hour) });
    await upsertRun(stack.db.pool, { workflowId: 'rel-earlier', pipeline: 'rel', state: 'running', createdAt: new Date(Date.now() - 5 * hour) });
    expect((await page('pipeline=rel&from=2h')).runs.map((r) => r.workflowId)).toEqual(['rel-recent']);
    expect((await page('pipeline=rel&from=1d&to=3h')).runs.map((r) => r.workflowId)).toEqual(['rel-earlier']);
  });

  test("rows are tapflow runs search --json's: no bulky fields, times ISO-8601", async () => {
    const { runs, next } = await page(`${JANUARY}&pipeline=A&tag=y`);
    expect(next).toBeNull();
    expect(runs).toHaveLength(1);
    const row = runs[0] as unknown as Record<string, unknown>;
    for (const bulky of ['spec', 'params', 'result', 'nodes', 'seq']) expect(row).not.toHaveProperty(bulky);
    expect(row).toMatchObject({ workflowId: 'r1', pipeline: 'A', state: 'completed', userName: 'alice', createdAt: '2025-01-01T12:00:00.000Z' });
  });

  test('pages follow each other with next: no run skipped or repeated, ties included', async () => {
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const p: RunSearchPage = await page(`${JANUARY}&limit=2${after ? `&after=${after}` : ''}`);
      pages.push(p.runs.map((r) => r.workflowId));
      after = p.next;
    } while (after !== null && pages.length < 10);
    expect(pages).toEqual([['r6b', 'r6a'], ['r5', 'r4'], ['r3', 'r2'], ['r1']]);
  });

  test("a reader of one pipeline finds only its runs, page by page, and may not name another's", async () => {
    // No month here: the reader's whole view is pipeline A's three runs.
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const p: RunSearchPage = await page(`limit=1${after ? `&after=${after}` : ''}`, 'readerA');
      pages.push(p.runs.map((r) => r.workflowId));
      after = p.next;
    } while (after !== null && pages.length < 10);
    // Exact pages: the last one says there is no next, and no page is empty.
    expect(pages).toEqual([['r5'], ['r2'], ['r1']]);
    expect(await ids('pipeline=A', 'readerA')).toEqual(['r5', 'r2', 'r1']);
    expect(await ids('user=alice', 'readerA')).toEqual(['r5', 'r1']);

    const other = await call('GET', '/api/runs/search?pipeline=B', 'readerA');
    expect(other.statusCode).toBe(403);
    expect((other.json() as { error: { message: string } }).error.message).toBe('token "readerA" may not read on pipeline "B"');
    expect((await call('GET', '/api/runs/search', 'starter')).statusCode).toBe(403);
  });

  test('bad parameters are 400 with every problem and where it is', async () => {
    const res = await call('GET', '/api/runs/search?state=done&limit=0&from=yesterday&after=nope&colour=red', 'admin');
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; problems: Array<{ path: string; message: string }> } };
    expect(body.error.code).toBe('invalid_request');
    const byPath = Object.fromEntries(body.error.problems.map((p) => [p.path, p.message]));
    expect(Object.keys(byPath).sort()).toEqual(['querystring.after', 'querystring.colour', 'querystring.from', 'querystring.limit', 'querystring.state[0]']);
    expect(byPath['querystring.from']).toMatch(/^"yesterday" is not a time; /);
    expect(byPath['querystring.after']).toMatch(/^"nope" is not a cursor; /);

    const range = await call('GET', '/api/runs/search?from=2025-01-02&to=2025-01-01', 'admin');
    expect(range.statusCode).toBe(400);
    expect((range.json() as { error: { problems: unknown[] } }).error.problems).toEqual([
      { path: 'querystring.from', message: 'querystring.from (2025-01-02T00:00:00.000Z) must be before querystring.to (2025-01-01T00:00:00.000Z)' },
    ]);
  });

  test("with a permission hook, a search over every pipeline keeps to the granted pipelines the hook allows", async () => {
    const asked: string[] = [];
    const hooked = await buildApi({
      client: stack.rig.tf,
      store: stack.db.pool,
      tokens: new StoreTokenVerifier(stack.db.pool),
      permission: ({ principal, action, pipeline }) => {
        asked.push(`${principal.name} ${action} ${pipeline ?? '(every pipeline)'}`);
        return pipeline === 'A';
      },
    });
    try {
      const res = await call('GET', `/api/runs/search?${JANUARY}`, 'readerA', undefined, hooked);
      expect(res.statusCode).toBe(200);
      expect((res.json() as RunSearchPage).runs.map((r) => r.workflowId)).toEqual(['r5', 'r2', 'r1']);
      expect(asked).toEqual(['readerA read (every pipeline)', 'readerA read A']);
      // Its grants name no pipeline to read: nothing to ask the hook about.
      expect((await call('GET', `/api/runs/search?${JANUARY}`, 'starter', undefined, hooked)).statusCode).toBe(403);
    } finally {
      await hooked.close();
    }
  });

  test('an API without a store answers 503', async () => {
    const storeless = await buildApi({ client: stack.rig.tf, tokens: new StoreTokenVerifier(stack.db.pool) });
    try {
      const res = await call('GET', '/api/runs/search?pipeline=A', 'admin', undefined, storeless);
      expect(res.statusCode).toBe(503);
      expect((res.json() as { error: { code: string } }).error.code).toBe('unavailable');
    } finally {
      await storeless.close();
    }
  });
});

describe('POST /api/runs/bulk/pause', () => {
  /** A run that waits for an event, so it stays running until the test acts on it. */
  const waiting = (name: string): PipelineSpec => ({
    name,
    nodes: [
      { id: 'gate', kind: 'event', event: 'go' },
      { id: 'after', activity: 'step', needs: ['gate'] },
    ],
  });
  const QUERY = "TapflowPipeline IN ('bulk-a', 'bulk-b')";
  const byId = (result: BulkControlResult) => Object.fromEntries(result.runs.map((r) => [r.workflowId, r]));

  beforeAll(async () => {
    for (const [id, pipeline] of [['bulk-a-1', 'bulk-a'], ['bulk-a-2', 'bulk-a'], ['bulk-b-1', 'bulk-b']] as const) {
      expect((await call('POST', '/api/runs', 'admin', { spec: waiting(pipeline), id })).statusCode).toBe(201);
    }
    // Visibility catches up a moment later.
    await eventually('the three runs to be visible as running', async () => {
      const res = await call('POST', '/api/runs/bulk/pause', 'admin', { query: `${QUERY} AND TapflowState = 'running'`, dryRun: true });
      return (res.json() as BulkControlResult).matched === 3 ? true : undefined;
    });
  }, 60_000);

  test('a dry run lists every matching run and acts on none', async () => {
    const res = await call('POST', '/api/runs/bulk/pause', 'admin', { query: QUERY, dryRun: true });
    expect(res.statusCode).toBe(200);
    const result = res.json() as BulkControlResult;
    expect(result).toMatchObject({ action: 'pause', query: QUERY, dryRun: true, matched: 3, accepted: 0, refused: 0, failed: 0 });
    expect(result.runs.map((r) => r.workflowId).sort()).toEqual(['bulk-a-1', 'bulk-a-2', 'bulk-b-1']);
    expect(result.runs.every((r) => r.outcome === 'matched' && r.state === 'running')).toBe(true);
    for (const id of ['bulk-a-1', 'bulk-a-2', 'bulk-b-1']) expect((await stack.rig.tf.getStatus(id)).state).toBe('running');
  });

  test('a controller of one pipeline pauses only its runs, even with a query that tries to reach others', async () => {
    const escape = "TapflowPipeline = 'bulk-b') OR (TapflowPipeline = 'bulk-b'";
    const tried = await call('POST', '/api/runs/bulk/pause', 'controlBulkA', { query: escape, reason: 'mine?' });
    expect(tried.statusCode).toBe(200);
    expect(tried.json()).toMatchObject({ matched: 0, runs: [] });

    const res = await call('POST', '/api/runs/bulk/pause', 'controlBulkA', { query: QUERY, reason: 'db failover' });
    expect(res.statusCode).toBe(200);
    const result = res.json() as BulkControlResult;
    expect(result).toMatchObject({ action: 'pause', query: QUERY, dryRun: false, matched: 2, accepted: 2, refused: 0, failed: 0 });
    expect(Object.keys(byId(result)).sort()).toEqual(['bulk-a-1', 'bulk-a-2']);
    for (const run of result.runs) expect(run).toMatchObject({ outcome: 'accepted', state: expect.stringMatching(/^paus/) });
    expect((await stack.rig.tf.getStatus('bulk-b-1')).state).toBe('running');
    await eventually('the pause recorded by the token', async () => {
      const actions = await listControlActions(stack.db.pool, 'bulk-a-1');
      return actions.find((a) => a.action === 'pause') ?? undefined;
    }).then((pause) => expect(pause).toMatchObject({ requestedBy: 'controlBulkA', reason: 'db failover', accepted: true }));

    // A token that may control another pipeline acts on none of these; one that may control none is 403.
    const elsewhere = await call('POST', '/api/runs/bulk/pause', 'controlElsewhere', { query: QUERY });
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.json()).toMatchObject({ matched: 0, runs: [] });
    expect((await call('POST', '/api/runs/bulk/pause', 'readerA', { query: QUERY })).statusCode).toBe(403);
  });

  test("over runs in mixed states, each run's outcome: accepted or refused", async () => {
    await eventually('the paused runs to be visible as paused', async () => {
      const res = await call('POST', '/api/runs/bulk/pause', 'admin', { query: `${QUERY} AND TapflowState = 'paused'`, dryRun: true });
      return (res.json() as BulkControlResult).matched === 2 ? true : undefined;
    });
    const res = await call('POST', '/api/runs/bulk/pause', 'admin', { query: QUERY, rate: 50, concurrency: 2 });
    expect(res.statusCode).toBe(200);
    const result = res.json() as BulkControlResult;
    expect(result).toMatchObject({ matched: 3, accepted: 1, refused: 2, failed: 0 });
    const runs = byId(result);
    expect(runs['bulk-b-1']).toMatchObject({ outcome: 'accepted', state: expect.stringMatching(/^paus/) });
    for (const id of ['bulk-a-1', 'bulk-a-2']) expect(runs[id]).toMatchObject({ outcome: 'refused', error: expect.stringMatching(/pause/) });
    for (const run of result.runs) expect(run.at).toEqual(expect.any(String));
  });

  test('a query Temporal refuses is 400 with the reason; a bad body is 400 with every problem', async () => {
    const refused = await call('POST', '/api/runs/bulk/resume', 'admin', { query: 'TapflowPipeline = ' });
    expect(refused.statusCode).toBe(400);
    const body = refused.json() as { error: { code: string; message: string; problems: Array<{ path: string; message: string }> } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/^Temporal refused the query: /);
    expect(body.error.problems).toEqual([{ path: 'body.query', message: body.error.message }]);

    const bad = await call('POST', '/api/runs/bulk/cancel', 'admin', { query: ' ', rate: 0, concurrency: 0, colour: 'red' });
    expect(bad.statusCode).toBe(400);
    const paths = (bad.json() as { error: { problems: Array<{ path: string }> } }).error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['body.colour', 'body.concurrency', 'body.query', 'body.rate']);
  });
});

describe('POST /api/runs/:id/rerun of an ended run', () => {
  const SPEC: PipelineSpec = {
    name: 'ended',
    nodes: [
      { id: 'one', activity: 'step', input: { n: 1 } },
      { id: 'two', activity: 'step', needs: ['one'], input: { n: 2 } },
      { id: 'three', activity: 'step', needs: ['two'], input: { n: 3 } },
    ],
  };
  const id = 'api-ended';

  beforeAll(async () => {
    expect((await call('POST', '/api/runs', 'admin', { spec: SPEC, id, input: { run: 1 } })).statusCode).toBe(201);
    await stack.rig.tf.result(id, { wait: true });
    await eventually('the final record', async () => ((await getRun(stack.db.pool, id))?.state === 'completed' ? true : undefined));
    await stack.recorder.flush();
  }, 60_000);

  test('a new run reuses the recorded outputs; a dry run says so first; a resend starts nothing more', async () => {
    const dry = await call('POST', `/api/runs/${id}/rerun`, 'rerunControl', { from: 'two', dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({ workflowId: id, from: 'two', mode: 'new-run', dryRun: true, rerun: ['two', 'three'], reused: ['one'] });

    // Starting a run needs start as well as control.
    const refused = await call('POST', `/api/runs/${id}/rerun`, 'rerunControl', { from: 'two' });
    expect(refused.statusCode).toBe(403);
    expect((refused.json() as { error: { message: string } }).error.message).toBe('token "rerunControl" may not start on pipeline "ended"');

    const body = { from: 'two', id: 'api-ended-again', reason: 'new model', requestId: 'rerun-1' };
    const res = await call('POST', `/api/runs/${id}/rerun`, 'rerunControlStart', body);
    expect({ status: res.statusCode, body: res.json() as RerunReport }).toEqual({
      status: 201,
      body: { workflowId: id, from: 'two', mode: 'new-run', dryRun: false, rerun: ['two', 'three'], reused: ['one'], newRunId: 'api-ended-again', state: 'running' },
    });

    const result = (await stack.rig.tf.result('api-ended-again', { wait: true })) as { three: { params: unknown; upstream: { two: { upstream: unknown } } } };
    // "one" did not run again: its output came from the store; the run's input is the ended run's.
    expect(stack.rig.recorder.startsOf('api-ended-again', 'one')).toHaveLength(0);
    expect(stack.rig.recorder.startsOf('api-ended-again', 'two')).toHaveLength(1);
    expect(result.three.upstream.two.upstream).toEqual({ one: expect.objectContaining({ nodeId: 'one', input: { n: 1 } }) });
    expect(result.three.params).toEqual({ run: 1 });
    expect(nodeOf(await stack.rig.tf.getStatus('api-ended-again'), 'one')).toMatchObject({ state: 'completed', reused: true });

    await eventually('rerun_of recorded', async () => ((await getRun(stack.db.pool, 'api-ended-again'))?.rerunOf === id ? true : undefined));
    const actions = await listControlActions(stack.db.pool, id);
    expect(actions.map((a) => [a.action, a.nodeId, a.requestedBy, a.reason, a.requestId])).toEqual([['rerun', 'two', 'rerunControlStart', 'new model', 'rerun-1']]);
    expect(actions[0]?.details).toEqual({ newRunId: 'api-ended-again', rerun: ['two', 'three'], reused: ['one'] });

    const again = await call('POST', `/api/runs/${id}/rerun`, 'rerunControlStart', { ...body, id: undefined });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ workflowId: id, mode: 'new-run', newRunId: 'api-ended-again', existing: true });
    expect(await listControlActions(stack.db.pool, id)).toHaveLength(1);
  });

  test('a new id already taken is 409; a node the run lacks is 409; an unknown run 404; no store 503', async () => {
    // Its own id, or an ended run's the store records: Temporal would start it, overwriting the record.
    for (const taken of [id, 'api-ended-again']) {
      const res = await call('POST', `/api/runs/${id}/rerun`, 'rerunControlStart', { from: 'two', id: taken });
      expect({ status: res.statusCode, message: (res.json() as { error: { message: string } }).error.message }).toEqual({
        status: 409,
        message: `a run with id "${taken}" already exists`,
      });
    }
    expect((await getRun(stack.db.pool, id))?.rerunOf).toBeNull();
    const unknownNode = await call('POST', `/api/runs/${id}/rerun`, 'rerunControlStart', { from: 'nope' });
    expect(unknownNode.statusCode).toBe(409);
    expect((await call('POST', '/api/runs/never-ran/rerun', 'admin', { from: 'two' })).statusCode).toBe(404);

    const storeless = await buildApi({ client: stack.rig.tf, tokens: new StoreTokenVerifier(stack.db.pool) });
    try {
      expect((await call('POST', `/api/runs/${id}/rerun`, 'admin', { from: 'two' }, storeless)).statusCode).toBe(503);
    } finally {
      await storeless.close();
    }
  });

  test('a live run reruns in place: id does not apply to it (409), a dry run says what would run', async () => {
    const live = 'api-live-rerun';
    // The gate keeps the run open once first and second have completed.
    const spec: PipelineSpec = {
      name: 'ended',
      nodes: [{ id: 'first', activity: 'step' }, { id: 'second', activity: 'step', needs: ['first'] }, { id: 'gate', kind: 'event', event: 'go' }],
    };
    expect((await call('POST', '/api/runs', 'admin', { spec, id: live })).statusCode).toBe(201);
    await eventually('second to complete', async () => (nodeOf(await stack.rig.tf.getStatus(live), 'second').state === 'completed' ? true : undefined));
    const withId = await call('POST', `/api/runs/${live}/rerun`, 'rerunControlStart', { from: 'second', id: 'elsewhere' });
    expect(withId.statusCode).toBe(409);
    expect((withId.json() as { error: { message: string } }).error.message).toMatch(/reruns in place/);
    const dry = await call('POST', `/api/runs/${live}/rerun`, 'rerunControl', { from: 'second', dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({ workflowId: live, from: 'second', mode: 'in-run', dryRun: true, rerun: ['second'], reused: ['first'], state: 'running' });
    expect(stack.rig.recorder.startsOf(live, 'second')).toHaveLength(1);

    const done = await call('POST', `/api/runs/${live}/rerun`, 'rerunControl', { from: 'second', reason: 'again' });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ rerun: ['second'], reused: ['first'] });
    await eventually('second to run again', async () => (stack.rig.recorder.startsOf(live, 'second').length === 2 ? true : undefined));
  });
});

describe('POST /api/runs with an activity no live worker hosts', () => {
  test('is 400 naming the node and what is hosted, and starts nothing; allowUnknownActivities starts it', async () => {
    const spec = { name: 'api-typo', nodes: [{ id: 'only', activity: 'stpe' }] };
    const refused = await call('POST', '/api/runs', 'admin', { spec, id: 'api-typo-1' });
    expect(refused.statusCode).toBe(400);
    const body = refused.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/^nodes\[0\] "only": no live worker on task queue "[^"]+" hosts activity "stpe"; hosted there: .*\bstep\b/);
    await expect(stack.env.client.workflow.getHandle('api-typo-1').describe()).rejects.toThrow();

    const anyway = await call('POST', '/api/runs', 'admin', { spec, id: 'api-typo-2', allowUnknownActivities: true });
    expect(anyway.statusCode).toBe(201);
    await stack.env.client.workflow.getHandle('api-typo-2').terminate('test over');
  });
});
