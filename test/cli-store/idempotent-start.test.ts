/**
 * `tapflow start --idempotency-key` from the command line: the repeat says so (text and JSON);
 * with a store, a run Temporal no longer has (a fresh dev server has never heard of it) is found
 * there by its key and nothing starts; another input under the key exits 2 with one line; a bad
 * key exits 2 before anything is connected to.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { findRunByIdempotencyKey } from '../../src/store/sql/find-run-by-idempotency-key';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';
import { eventually } from '../helpers/poll';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const t = databasePerTest();
let env: TestWorkflowEnvironment;
let noStorePort: number;
const dir = mkdtempSync(join(tmpdir(), 'tapflow-idem-'));

beforeAll(async () => {
  env = await devServerEnv();
  noStorePort = await unusedPort();
});

afterAll(async () => {
  await env?.teardown();
});

function specFile(name: string): string {
  const spec: PipelineSpec = { name, nodes: [{ id: 'only', activity: 'step', input: { sleepMs: 0 } }] };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

/** The CLI against the current Temporal, with the test's store. */
function cli(taskQueue: string, ...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: env.address, TAPFLOW_TASK_QUEUE: taskQueue }, ...args);
}

/** The CLI with no store anywhere (no DATABASE_URL, and no dev store on the port it would try). */
function cliNoStore(env2: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return tapflow({ TAPFLOW_STORE_PORT: String(noStorePort), ...env2 }, ...args);
}

async function visibleRuns(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

interface StartJson {
  workflowId: string;
  runId: string;
  existing?: boolean;
}

test('a repeat says it found the run; a run only the store still has is returned, and nothing starts', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const taskQueue = uniqueTaskQueue('idem-cli');
  const path = specFile('idem-cli');
  let rig: TestRig | undefined;
  let first: StartJson;
  try {
    rig = await startRig(env, taskQueue, { store: { pool: t.db.pool, recorder } });
    first = parseJson<StartJson>(await cli(taskQueue, 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":1}', '--json'));
    expect(first).toEqual({ workflowId: 'idem-cli-order-9', runId: expect.any(String), existing: false });
    await rig.tf.result(first.workflowId, { wait: true });

    const text = await cli(taskQueue, 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":1}');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`existing run idem-cli-order-9 (idempotency key order-9); nothing started\n  runId ${first.runId}\n`);

    // The worker recorded the key with the run.
    await eventually('the run recorded completed', async () => {
      const run = await findRunByIdempotencyKey(t.db.pool, 'idem-cli', 'order-9');
      return run?.state === 'completed' ? run : undefined;
    });
  } finally {
    await rig?.stop();
    await recorder.drain();
  }

  // Temporal forgets the run: a fresh server has never heard of it.
  await env.teardown();
  env = await devServerEnv();
  await expect(env.client.workflow.getHandle(first.workflowId).describe()).rejects.toThrow(/not found/i);

  const again = parseJson<StartJson>(await cli('unused-queue', 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":1}', '--json'));
  expect(again).toEqual({ ...first, existing: true });
  // Nothing started on the new server: neither under that id nor any run of the pipeline.
  await expect(env.client.workflow.getHandle(first.workflowId).describe()).rejects.toThrow(/not found/i);
  expect(await visibleRuns(`TapflowPipeline = 'idem-cli'`)).toEqual([]);

  // --wait on an ended run the store has: its result, from the store.
  const waited = parseJson<StartJson & { state: string; result: unknown }>(
    await cli('unused-queue', 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":1}', '--wait', '--json'),
  );
  expect(waited).toMatchObject({ ...first, existing: true, state: 'completed', result: { only: expect.objectContaining({ nodeId: 'only' }) } });

  // Another input under the key: exit 2, one line, naming the first run; still nothing started.
  const conflict = await cli('unused-queue', 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":2}');
  expect(conflict.code).toBe(2);
  expect(conflict.stdout).toBe('');
  expect(conflict.stderr).toBe(
    'tapflow: idempotency key "order-9" was first used with a different spec or input (run idem-cli-order-9)\n',
  );
  // The key with another --id: also a conflict, naming the run the key belongs to.
  const otherId = await cli('unused-queue', 'start', path, '--idempotency-key', 'order-9', '--input', '{"n":1}', '--id', 'elsewhere');
  expect(otherId.code).toBe(2);
  expect(otherId.stderr).toBe('tapflow: idempotency key "order-9" was first used with a different run id (run idem-cli-order-9)\n');
  await expect(env.client.workflow.getHandle(first.workflowId).describe()).rejects.toThrow(/not found/i);
  await expect(env.client.workflow.getHandle('elsewhere').describe()).rejects.toThrow(/not found/i);
});

test('without a store, a conflict found in Temporal exits 2 with one line', async () => {
  const path = specFile('idem-nostore');
  const temporal = { TEMPORAL_ADDRESS: env.address, TAPFLOW_TASK_QUEUE: 'no-worker-here' };
  const first = parseJson<StartJson>(await cliNoStore(temporal, 'start', path, '--idempotency-key', 'a1', '--json'));
  expect(first.existing).toBe(false);
  const again = parseJson<StartJson>(await cliNoStore(temporal, 'start', path, '--idempotency-key', 'a1', '--json'));
  expect(again).toEqual({ ...first, existing: true });
  const conflict = await cliNoStore(temporal, 'start', path, '--idempotency-key', 'a1', '--input', '[1]');
  expect(conflict.code).toBe(2);
  expect(conflict.stderr).toBe(`tapflow: idempotency key "a1" was first used with a different spec or input (run ${first.workflowId})\n`);
  // Without a key, the JSON keeps its old shape.
  const plain = parseJson<Record<string, unknown>>(await cliNoStore(temporal, 'start', path, '--json'));
  expect(Object.keys(plain).sort()).toEqual(['runId', 'workflowId']);
});

test.each([
  ['with whitespace', 'order 1', '--idempotency-key: must not contain whitespace or control characters'],
  ['empty', '', '--idempotency-key: must not be empty'],
  ['too long', 'k'.repeat(201), '--idempotency-key: at most 200 characters, got 201'],
])('a key %s exits 2 with one line, before connecting to anything', async (_name, key, message) => {
  const path = specFile('idem-bad');
  // Nothing listens at either address: had the command tried to connect, it would say so and exit 1.
  const nowhere = `127.0.0.1:${await unusedPort()}`;
  const r = await cliNoStore({ TEMPORAL_ADDRESS: nowhere, DATABASE_URL: `postgres://x:y@${nowhere}/db` }, 'start', path, '--idempotency-key', key);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`tapflow: ${message}\n`);
});

test('with DATABASE_URL set to a store that cannot be read, the start fails (exit 1, one line) and starts nothing', async () => {
  const path = specFile('idem-store-down');
  const down = `postgres://tapflow:pw@127.0.0.1:${await unusedPort()}/tapflow`;
  const r = await tapflow({ DATABASE_URL: down, TEMPORAL_ADDRESS: env.address }, 'start', path, '--idempotency-key', 'k');
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^tapflow: .*127\.0\.0\.1/);
  await expect(env.client.workflow.getHandle('idem-store-down-k').describe()).rejects.toThrow(/not found/i);
});
