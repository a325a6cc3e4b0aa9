/**
 * `tapflow api` as a user runs it: a real process serving the API on a free port, checking
 * tokens against the store, starting a run for a token that may, and draining on SIGTERM (exit 0).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiToken } from '../../src/api/tokens';
import { devServerEnv } from '../helpers/temporal';
import { databasePerTest } from '../helpers/postgres';
import { eventually } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const BIN = join(__dirname, '..', '..', 'bin', 'tapflow.js');
const t = databasePerTest();
let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('api-cli'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

test('serves the API with tokens from the store, and drains on SIGTERM', async () => {
  const { token } = await createApiToken(t.db.pool, { name: 'ops', grants: [{ pipeline: 'api-cli', actions: ['start', 'read'] }] });
  const child = spawn('node', [BIN, 'api', '--port', '0'], {
    env: { ...process.env, DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: env.address, TAPFLOW_TASK_QUEUE: rig.taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    const base = await eventually('the API to listen', () => /listening on (http:\/\/\S+) /.exec(stderr)?.[1], { timeoutMs: 30_000 });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/runs`)).status).toBe(401);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const spec = { name: 'api-cli', nodes: [{ id: 'only', activity: 'step' }] };
    const started = await fetch(`${base}/api/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ spec, id: 'api-cli-1' }) });
    expect(started.status).toBe(201);
    expect(await started.json()).toMatchObject({ workflowId: 'api-cli-1' });
    const status = await eventually('the run to complete', async () => {
      const res = await fetch(`${base}/api/runs/api-cli-1`, { headers: auth });
      const body = (await res.json()) as { state?: string };
      return body.state === 'completed' ? body : undefined;
    });
    expect(status).toMatchObject({ pipeline: 'api-cli' });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stderr).toContain('tapflow api: drained, stopped');
}, 90_000);
