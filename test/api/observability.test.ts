/**
 * The API's operations routes on a dev server, a real worker and a real store: `/metrics` with
 * request timings and the runs in the store by state (optionally behind a metrics token),
 * `/readyz` answering 200 while Temporal and the store answer and 503 naming the one that does
 * not, and request log lines naming the run.
 */
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { StoreTokenVerifier } from '../../src/api/tokens';
import { TapflowClient } from '../../src/client';
import { createLogger } from '../../src/observability/logger';
import { createPool } from '../../src/store/pool';
import { devServerEnv } from '../helpers/temporal';
import { storeRigPerFile } from '../helpers/store-rig';
import { unusedPort } from '../helpers/cli';

const stack = storeRigPerFile(devServerEnv, 'api-obs');
const apps: FastifyInstance[] = [];

afterAll(async () => {
  for (const app of apps) await app.close();
});

async function api(options: Partial<Parameters<typeof buildApi>[0]> = {}): Promise<FastifyInstance> {
  const app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool), ...options });
  apps.push(app);
  return app;
}

/** The value of one series in a scrape, or undefined when the scrape has no such series. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics: runs in the store by state, and each request timed by route pattern and status', async () => {
  const spec = { name: 'api-obs', nodes: [{ id: 'only', activity: 'step' }] };
  await stack.rig.tf.startRun(spec, { id: 'api-obs-1' });
  await stack.rig.tf.result('api-obs-1', { wait: true });
  const app = await api();
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  // No token: 401, timed under the route's pattern, not its URL.
  expect((await app.inject({ method: 'GET', url: '/api/runs/api-obs-1' })).statusCode).toBe(401);

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  // The final record lands just before the run ends, so the store has it by now.
  expect(sample(res.body, 'tapflow_runs{state="completed"}')).toBe(1);
  expect(sample(res.body, 'tapflow_runs{state="paused"}')).toBe(0);
  expect(sample(res.body, 'tapflow_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}')).toBe(1);
  expect(sample(res.body, 'tapflow_http_request_duration_seconds_count{method="GET",route="/api/runs/:id",status="401"}')).toBe(1);
  expect(res.body).not.toContain('api-obs-1');
});

test('/metrics behind a metrics token: 401 without it or with another, 200 with it', async () => {
  const app = await api({ metrics: { token: 'scrape-me' } });
  expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-you' } })).statusCode).toBe(401);
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-me' } });
  expect(ok.statusCode).toBe(200);
  expect(ok.body).toContain('tapflow_runs{state="completed"}');
});

test('/readyz: 200 while Temporal and the store answer; 503 naming the store once it is closed', async () => {
  const pool = createPool(stack.db.url);
  const app = await api({ store: pool });
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toEqual({ ready: true, checks: { temporal: { ok: true }, store: { ok: true } } });

  await pool.end();
  const closed = await app.inject({ method: 'GET', url: '/readyz' });
  expect(closed.statusCode).toBe(503);
  const body = closed.json() as { ready: boolean; checks: { temporal: { ok: boolean }; store: { ok: boolean; error: string } } };
  expect(body.ready).toBe(false);
  expect(body.checks.temporal).toEqual({ ok: true });
  expect(body.checks.store.ok).toBe(false);
  expect(body.checks.store.error).toMatch(/pool/i);
  // Liveness is not readiness.
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
});

test('/readyz: 503 naming Temporal when it does not answer', async () => {
  // Without the client's retries, which would outlive the connection closed below.
  const connection = Connection.lazy({ address: `127.0.0.1:${await unusedPort()}`, interceptors: [] });
  const client = new TapflowClient(new Client({ connection }));
  try {
    const app = await api({ client });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json() as { checks: { temporal: { ok: boolean; error?: string }; store: { ok: boolean } } };
    expect(body.checks.temporal.ok).toBe(false);
    expect(body.checks.temporal.error).toEqual(expect.any(String));
    expect(body.checks.store).toEqual({ ok: true });
  } finally {
    await connection.close();
  }
});

test("request log lines are JSON with service api, and name the run of the URL as workflowId", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await api({ loggerInstance: createLogger({ service: 'api', level: 'info', destination: capture }) });
  await app.inject({ method: 'GET', url: '/api/runs/api-obs-1/history' });
  await app.inject({ method: 'GET', url: '/healthz' });
  const completed = lines.filter((l) => l.msg === 'request completed');
  expect(completed).toHaveLength(2);
  expect(completed[0]).toMatchObject({ service: 'api', level: 'info', workflowId: 'api-obs-1', res: { statusCode: 401 } });
  expect(completed[1]).toMatchObject({ service: 'api', res: { statusCode: 200 } });
  expect(completed[1]).not.toHaveProperty('workflowId');
});
