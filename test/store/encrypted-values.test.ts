/**
 * With a payload codec that encrypts, the application's data converter reaches every place
 * tapflow writes or reads a run's values: the client and the worker (Temporal's payloads), the
 * store (runs, node attempts, control actions hold the codec's payloads, not the values), the
 * store's readers (history, an idempotent start's check, rerun), the API and the command line
 * (`TAPFLOW_DATA_CONVERTER`). Nothing secret is stored in the clear, and every reader shows it.
 */
import { join } from 'node:path';
import { Client, type DataConverter } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { TapflowClient } from '../../src/client';
import { UsageError } from '../../src/core/errors';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import { readEndedRun } from '../../src/control/rerun';
import { EncodedValuesError } from '../../src/store/decode-records';
import { openStore, type OpenStore } from '../../src/store/open-store';
import { readRunHistory } from '../../src/store/run-history';
import { ENCODED_VALUE_KEY } from '../../src/store/value-codec';
import { createWorker } from '../../src/worker';
import { parseJson, tapflow } from '../helpers/cli';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { devServerEnv, workflowBundle } from '../helpers/temporal';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';

const CONVERTER_MODULE = join(__dirname, '..', 'fixtures', 'encrypting-converter.cjs');
const { dataConverter } = require(CONVERTER_MODULE) as { dataConverter: DataConverter };
const SECRET = 'patient-4711-secret';
const TASK_QUEUE = 'encrypted-values';

let env: TestWorkflowEnvironment;
let server: EmbeddedPostgres;
let db: TestDatabase;
let store: OpenStore;
let worker: Worker;
let running: Promise<void>;
let tf: TapflowClient;

const spec = {
  name: 'encrypted',
  nodes: [
    { id: 'read', activity: 'readRecord', input: { note: `static ${SECRET}` } },
    { id: 'summarise', activity: 'summarise', needs: ['read'] },
  ],
};

beforeAll(async () => {
  [env, server] = await Promise.all([devServerEnv(), startTestPostgres()]);
  db = await freshDatabase(server);
  store = await openStore({ url: db.url, dataConverter });
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    dataConverter,
    store,
    activities: {
      readRecord: async ({ params }: { params: { patient: string } }) => ({ patient: params.patient, diagnosis: `${SECRET} diagnosis` }),
      summarise: async ({ upstream }: { upstream: { read: { patient: string } } }) => `summary of ${upstream.read.patient}`,
    },
    shutdownGraceTime: '1s',
    workflowBundle: await workflowBundle(),
  });
  running = worker.run();
  tf = new TapflowClient(new Client({ connection: env.connection, dataConverter }), { taskQueue: TASK_QUEUE, store: store.pool });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await store?.close();
  await db?.end();
  await Promise.all([server?.stop(), env?.teardown()]);
});

/** Every row the store holds of a run, as text. */
async function storedText(id: string): Promise<string> {
  const rows = await db.pool.query(
    `SELECT row_to_json(r)::text AS t FROM tapflow.runs r WHERE workflow_id = $1
     UNION ALL SELECT row_to_json(a)::text FROM tapflow.node_attempts a WHERE workflow_id = $1
     UNION ALL SELECT row_to_json(o)::text FROM tapflow.attempt_outputs o WHERE workflow_id = $1
     UNION ALL SELECT row_to_json(c)::text FROM tapflow.control_actions c WHERE workflow_id = $1`,
    [id],
  );
  return rows.rows.map((r: { t: string }) => r.t).join('\n');
}

async function finished(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const row = await db.pool.query('SELECT state FROM tapflow.runs WHERE workflow_id = $1', [id]);
    if (row.rows[0]?.state === 'completed') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${id} was never recorded completed`);
}

test('the store holds the codec payloads, never the values; readers with the converter see the values', async () => {
  const { workflowId } = await tf.startRun(spec, { id: 'enc-1', input: { patient: SECRET } });
  expect(await tf.result(workflowId, { wait: true })).toEqual({ summarise: `summary of ${SECRET}` });
  await finished(workflowId);
  await store.recorder.flush();

  const text = await storedText(workflowId);
  expect(text).toContain(ENCODED_VALUE_KEY);
  expect(text).not.toContain(SECRET);
  // Temporal holds encrypted payloads only, too.
  expect(JSON.stringify(await env.client.workflow.getHandle(workflowId).fetchHistory())).not.toContain(SECRET);

  const history = await readRunHistory(db.pool, workflowId, tf.valueCodec);
  expect(history?.run?.params).toEqual({ patient: SECRET });
  expect(history?.run?.result).toEqual({ summarise: `summary of ${SECRET}` });
  expect((history?.run?.spec as typeof spec).nodes[0]?.input).toEqual({ note: `static ${SECRET}` });
  const read = history?.attempts.find((a) => a.nodeId === 'read');
  expect(read?.output).toEqual({ patient: SECRET, diagnosis: `${SECRET} diagnosis` });

  // Without the converter a reader sees the envelope, not the value.
  const raw = await readRunHistory(db.pool, workflowId);
  expect(raw?.run?.params).toHaveProperty([ENCODED_VALUE_KEY]);

  // A rerun reads the outputs it reuses in the clear, to start the new run with them.
  const ended = await readEndedRun(db.pool, workflowId, tf.valueCodec);
  expect(ended.run.params).toEqual({ patient: SECRET });
  expect(ended.outputs.get('read')).toEqual({ patient: SECRET, diagnosis: `${SECRET} diagnosis` });
});

test('an idempotent start compares the stored request in the clear: the same request finds its run', async () => {
  const first = await tf.startRun(spec, { input: { patient: SECRET }, idempotencyKey: 'enc-key' });
  await tf.result(first.workflowId, { wait: true });
  await finished(first.workflowId);
  // Forget Temporal's copy: only the store can answer now.
  await env.client.workflow.getHandle(first.workflowId).terminate().catch(() => undefined);
  const again = await tf.startRun(spec, { input: { patient: SECRET }, idempotencyKey: 'enc-key' });
  expect(again).toMatchObject({ workflowId: first.workflowId, existing: true });
});

test('a worker whose converter encrypts refuses a store opened without it', async () => {
  const plain = await openStore({ url: db.url });
  try {
    await expect(
      createWorker({ connection: env.nativeConnection, taskQueue: 'never', dataConverter, store: plain, workflowBundle: await workflowBundle() }),
    ).rejects.toThrow(UsageError);
    await expect(
      createWorker({ connection: env.nativeConnection, taskQueue: 'never', dataConverter, store: plain, workflowBundle: await workflowBundle() }),
    ).rejects.toThrow(/open the store with the same data converter/);
  } finally {
    await plain.close();
  }
});

test("the API reads the store's values with its client's converter", async () => {
  const { workflowId } = await tf.startRun(spec, { id: 'enc-api', input: { patient: SECRET } });
  await tf.result(workflowId, { wait: true });
  await finished(workflowId);
  await store.recorder.flush();
  const app = await buildApi({ client: tf, store: db.pool, tokens: new StoreTokenVerifier(db.pool) });
  try {
    const { token } = await createApiToken(db.pool, { name: 'reader', grants: [{ pipeline: '*', actions: ['read'] }] });
    const res = await app.inject({ method: 'GET', url: `/api/runs/${workflowId}/history`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { run: { params: unknown }; attempts: Array<{ nodeId: string; output: unknown }> };
    expect(body.run.params).toEqual({ patient: SECRET });
    expect(body.attempts.find((a) => a.nodeId === 'read')?.output).toEqual({ patient: SECRET, diagnosis: `${SECRET} diagnosis` });
  } finally {
    await app.close();
  }
});

test('the command line reads Temporal and the store with TAPFLOW_DATA_CONVERTER, and only with it', async () => {
  const { workflowId } = await tf.startRun(spec, { id: 'enc-cli', input: { patient: SECRET } });
  await tf.result(workflowId, { wait: true });
  await finished(workflowId);
  await store.recorder.flush();
  const base = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: env.address, TAPFLOW_TASK_QUEUE: TASK_QUEUE };
  const withConverter = { ...base, TAPFLOW_DATA_CONVERTER: CONVERTER_MODULE };

  expect(parseJson<unknown>(await tapflow(withConverter, 'result', workflowId, '--json'))).toEqual({ summarise: `summary of ${SECRET}` });
  const history = parseJson<{ attempts: Array<{ nodeId: string; output: unknown }> }>(await tapflow(withConverter, 'history', workflowId, '--json'));
  expect(history.attempts.find((a) => a.nodeId === 'read')?.output).toEqual({ patient: SECRET, diagnosis: `${SECRET} diagnosis` });

  // Without it, the encrypted result cannot be read: one line, no value leaks.
  const blind = await tapflow(base, 'result', workflowId);
  expect(blind.code).not.toBe(0);
  expect(blind.stdout).not.toContain(SECRET);
  expect(blind.stderr.trim().split('\n')).toHaveLength(1);

  const missing = await tapflow({ ...base, TAPFLOW_DATA_CONVERTER: '/nonexistent/converter.js' }, 'result', workflowId);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe('tapflow: TAPFLOW_DATA_CONVERTER: no such file /nonexistent/converter.js');
});

test('a reader without the converter stops with one clear error where it would need the values', async () => {
  const { workflowId } = await tf.startRun(spec, { id: 'enc-blind', input: { patient: SECRET }, idempotencyKey: 'enc-blind-key' });
  await tf.result(workflowId, { wait: true });
  await finished(workflowId);
  await expect(readEndedRun(db.pool, workflowId)).rejects.toBeInstanceOf(EncodedValuesError);
  // A client with the store but not the converter cannot compare the stored request: it says so.
  const blind = new TapflowClient(env.client, { taskQueue: TASK_QUEUE, store: db.pool });
  await expect(blind.startRun(spec, { input: { patient: SECRET }, idempotencyKey: 'enc-blind-key' })).rejects.toThrow(
    /enc-blind: the store keeps this run's values encoded by the application's payload codec: give tapflow the same data converter/,
  );
});

test('a TAPFLOW_DATA_CONVERTER module that exports no data converter is refused, not taken for the default', async () => {
  // A CommonJS module of activities: its default export is its exports object, which is no converter.
  const r = await tapflow({ TAPFLOW_DATA_CONVERTER: join(__dirname, '..', '..', 'examples', 'wordcount', 'activities.js') }, 'list');
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toMatch(/^tapflow: TAPFLOW_DATA_CONVERTER: .*activities\.js exports no dataConverter/);
});
