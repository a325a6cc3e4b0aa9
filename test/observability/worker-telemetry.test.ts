/**
 * A worker's logs and metrics, in this process: the Temporal runtime installed with the tapflow
 * logger (its lines captured) and the core's Prometheus exporter, a real dev server, a real store,
 * and a worker with metrics served on a free port. One run retries a node and is paused while a
 * node is in flight, then resumed; the scrape shows every tapflow metric and the core's own, and
 * the captured lines name the run and the node.
 */
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { createLogger } from '../../src/observability/logger';
import { setUpWorkerTelemetry, type WorkerTelemetry } from '../../src/observability/worker-telemetry';
import type { WorkerMetricsServer } from '../../src/observability/worker-metrics-server';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

/** Every JSON line the logger wrote. */
const lines: Array<Record<string, unknown>> = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let telemetry: WorkerTelemetry;
let env: TestWorkflowEnvironment;
let postgres: EmbeddedPostgres;
let db: TestDatabase;
let recorder: AttemptRecorder;
let rig: TestRig;
let server: WorkerMetricsServer;

beforeAll(async () => {
  // Before anything makes a connection: the runtime is installed once per process.
  telemetry = await setUpWorkerTelemetry({
    logger: createLogger({ service: 'worker', level: 'debug', destination: capture }),
    metrics: true,
    shutdownSignals: [],
  });
  [env, postgres] = await Promise.all([devServerEnv(), startTestPostgres()]);
  db = await freshDatabase(postgres);
  recorder = new AttemptRecorder(db.pool);
  recorder.start();
  rig = await startRig(env, uniqueTaskQueue('telemetry'), { store: { pool: db.pool, recorder }, metrics: telemetry.metrics });
  server = await telemetry.serve(rig.worker, '127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  await rig?.stop();
  await recorder?.drain();
  await db?.end();
  await Promise.all([postgres?.stop(), env?.teardown()]);
});

async function scrape(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series in a scrape, or undefined when the scrape has no such series. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const RUN = 'telemetry-run';
const spec: PipelineSpec = {
  name: 'telemetry',
  nodes: [
    { id: 'shaky', activity: 'flaky', input: { failures: 1 }, retry: { maximumAttempts: 3, initialInterval: '100ms' } },
    { id: 'slow', activity: 'step', needs: ['shaky'], input: { sleepMs: 1500 }, heartbeatTimeout: '5s' },
    { id: 'last', activity: 'step', needs: ['slow'] },
  ],
};

test('/healthz and /readyz answer 200 while the worker runs', async () => {
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const ready = await eventually('the worker to be running', async () => {
    const res = await fetch(`${server.url}/readyz`);
    return res.status === 200 ? ((await res.json()) as unknown) : undefined;
  });
  expect(ready).toEqual({ ready: true, worker: 'RUNNING' });
});

test('a run with a retried node and a pause shows in /metrics, with the core runtime metrics', async () => {
  await rig.tf.startRun(spec, { id: RUN });
  await eventually('slow to start', () => (rig.recorder.startsOf(RUN, 'slow').length > 0 ? true : undefined));
  expect(await rig.tf.pause(RUN, { reason: 'telemetry', by: 'test' })).toEqual({ state: 'pausing' });
  await eventually('the run to be paused', async () => ((await rig.tf.getStatus(RUN)).state === 'paused' ? true : undefined));
  await rig.tf.resume(RUN, { by: 'test' });
  expect(await rig.tf.result(RUN, { wait: true })).toMatchObject({ last: { nodeId: 'last' } });

  // Recorded by the record activity (the final write), and the pause looked up in the background.
  const text = await eventually('the run to be counted ended and its pause observed', async () => {
    const t = await scrape();
    const ended = sample(t, 'tapflow_runs_ended_total{state="completed"}');
    const paused = sample(t, 'tapflow_pause_latency_seconds_count');
    return ended === 1 && paused === 1 ? t : undefined;
  });
  expect(sample(text, 'tapflow_node_duration_seconds_count{activity="flaky",outcome="failed"}')).toBe(1);
  expect(sample(text, 'tapflow_node_duration_seconds_count{activity="flaky",outcome="completed"}')).toBe(1);
  expect(sample(text, 'tapflow_node_duration_seconds_count{activity="step",outcome="completed"}')).toBe(2);
  expect(sample(text, 'tapflow_node_retries_total{activity="flaky"}')).toBe(1);
  // The record activity is not a node.
  expect(text).not.toMatch(/tapflow_node_duration_seconds_count\{activity="tapflowRecord"/);
  // The pause waited for `slow` to finish: its latency is positive (never negative, whatever the clocks).
  expect(sample(text, 'tapflow_pause_latency_seconds_sum')).toBeGreaterThan(0);
  // The Temporal core's own metrics follow tapflow's.
  expect(text).toMatch(/^temporal_\w+/m);
  expect(text).toMatch(/^# HELP process_cpu_seconds_total/m);
});

test("workflow and activity lines carry the run's workflowId and the node's id", async () => {
  // Lines reach the logger in batches (workflow lines after each activation, sorted over a short
  // window with the SDK's), so each is waited for.
  const line = (what: string, pick: (l: Record<string, unknown>) => boolean) =>
    eventually(`the line "${what}"`, () => lines.find((l) => l.workflowId === RUN && pick(l)));

  const started = await line('node started', (l) => l.sdkComponent === 'workflow' && l.msg === 'node started' && l.nodeId === 'shaky');
  expect(started).toMatchObject({ service: 'worker', level: 'debug', workflowType: 'pipelineWorkflow', activity: 'flaky' });
  expect(await line('run started', (l) => l.sdkComponent === 'workflow' && l.msg === 'run started')).toMatchObject({
    level: 'info',
    pipeline: 'telemetry',
  });
  expect(await line('run pause', (l) => l.sdkComponent === 'workflow' && l.msg === 'run pause')).toMatchObject({ by: 'test', state: 'pausing' });
  await line('run paused', (l) => l.msg === 'run paused: the nodes in flight have finished');
  expect(await line('run completed', (l) => l.msg === 'run completed')).toMatchObject({ level: 'info', pipeline: 'telemetry' });

  // The SDK's line for the failed attempt: the activity, its attempt, and the node it ran.
  const failed = await line('Activity failed', (l) => l.msg === 'Activity failed' && l.activityType === 'flaky');
  expect(failed).toMatchObject({ nodeId: 'shaky', attempt: 1, level: 'warn' });
  expect((failed.error as { message?: string } | undefined)?.message).toContain('flaky failure on attempt 1');
  const completed = await line('Activity completed', (l) => l.msg === 'Activity completed' && l.activityType === 'step');
  expect(completed).toMatchObject({ nodeId: expect.stringMatching(/^(slow|last)$/) });
});

test('/readyz answers 503 once the worker has stopped; /healthz still 200', async () => {
  await rig.stop();
  const res = await fetch(`${server.url}/readyz`);
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ ready: false, worker: 'STOPPED' });
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
