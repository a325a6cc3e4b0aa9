/**
 * `tapflow worker --metrics-port N` as a deployment runs it (`node bin/tapflow.js`, on the built
 * `dist/`; run `npm run build` first): it serves `/metrics` (tapflow's and the Temporal core's),
 * `/healthz` and `/readyz`, logs JSON lines naming the run, and on SIGTERM drains: `/readyz`
 * answers 503 while the node in flight finishes, then the process exits 0.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TapflowClient } from '../../src/client';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { unusedPort } from '../helpers/cli';
import { uniqueTaskQueue } from '../helpers/worker';

const BIN = join(__dirname, '..', '..', 'bin', 'tapflow.js');
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
});

test('serves metrics, health and readiness, logs JSON, and is unready while it drains on SIGTERM', async () => {
  const taskQueue = uniqueTaskQueue('worker-cmd');
  const port = await unusedPort();
  const base = `http://127.0.0.1:${port}`;
  const cleanEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_NAMESPACE', 'TAPFLOW_LOG_LEVEL']) delete cleanEnv[key];
  const child = spawn(
    'node',
    [BIN, 'worker', '--task-queue', taskQueue, '--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--shutdown-grace', '30s'],
    { env: { ...cleanEnv, TEMPORAL_ADDRESS: env.address }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const tf = new TapflowClient(env.client, { taskQueue });
  try {
    await eventually('the worker to start', () => (stderr.includes(`metrics: ${base}/metrics`) ? true : undefined), { timeoutMs: 30_000 });
    await eventually('the worker to be ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));

    const id = 'worker-cmd-run';
    await tf.startRun({ name: 'worker-cmd', nodes: [{ id: 'nap', activity: 'wait', input: { duration: '3s' } }] }, { id });
    await eventually('the node to run', async () => ((await tf.getStatus(id)).nodes[0]?.state === 'running' ? true : undefined));
    const scrape = await (await fetch(`${base}/metrics`)).text();
    expect(scrape).toMatch(/^# TYPE tapflow_node_duration_seconds histogram$/m);
    expect(scrape).toMatch(/^temporal_\w+/m);

    child.kill('SIGTERM');
    // Draining: still alive and healthy, no longer ready, while the node in flight finishes.
    const draining = await eventually('the worker to report draining', async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 503 ? ((await res.json()) as { ready: boolean; worker: string }) : undefined;
    });
    expect(draining.ready).toBe(false);
    expect(draining.worker).not.toBe('RUNNING');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await exited).toBe(0);

    const lines = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'worker started')).toMatchObject({ service: 'worker', level: 'info', taskQueue });
    expect(lines.find((l) => l.msg === 'run started')).toMatchObject({ service: 'worker', workflowId: id, pipeline: 'worker-cmd', sdkComponent: 'workflow' });
    expect(stderr).toContain('tapflow worker: drained, stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 90_000);
