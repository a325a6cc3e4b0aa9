/**
 * Starting once per idempotency key through TapflowClient, on a real dev server (the id conflict
 * and reuse policies, memos and visibility): a repeat returns the first run and starts nothing,
 * while it runs and after it has ended; concurrent starts make one run; another spec or input
 * under the key is a conflict; a key never shadows a run it did not start.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { IdempotencyConflictError, RunAlreadyExistsError } from '../../src/core/errors';
import { REQUEST_MEMO, requestHash } from '../../src/control/idempotency';
import type { PipelineSpec } from '../../src/core/types';
import { devServerEnv } from '../helpers/temporal';
import { delay, eventually } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('idempotent-start'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

function spec(name: string, sleepMs = 0): PipelineSpec {
  return { name, nodes: [{ id: 'only', activity: 'step', input: { sleepMs }, heartbeatTimeout: '2s' }] };
}

/** Every execution Temporal has under `workflowId`, once visibility shows at least one. */
async function executions(workflowId: string): Promise<string[]> {
  const list = async (): Promise<string[]> => {
    const runIds: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(wf.runId);
    return runIds;
  };
  await eventually(`${workflowId} to be visible`, async () => ((await list()).length > 0 ? true : undefined));
  // A second execution would have been started before the first became visible; give
  // visibility a moment more to show it too.
  await delay(500);
  return list();
}

test('a second start with the key returns the running run and starts nothing', async () => {
  const s = spec('idem-running', 3000);
  const first = await rig.tf.startRun(s, { idempotencyKey: 'order-1', input: { n: 1 } });
  expect(first).toEqual({ workflowId: 'idem-running-order-1', runId: expect.any(String), existing: false });

  const again = await rig.tf.startRun(s, { idempotencyKey: 'order-1', input: { n: 1 } });
  expect(again).toEqual({ ...first, existing: true });

  expect(await executions(first.workflowId)).toEqual([first.runId]);
  await rig.tf.result(first.workflowId, { wait: true });
  expect(rig.recorder.startsOf(first.workflowId, 'only')).toHaveLength(1);
  // The key and the request travel with the run.
  const described = await env.client.workflow.getHandle(first.workflowId).describe();
  expect(described.memo?.[REQUEST_MEMO]).toMatchObject({ idempotencyKey: 'order-1', hash: requestHash(s, { n: 1 }) });
});

test('after the run has completed, the key still returns it', async () => {
  const s = spec('idem-done');
  const first = await rig.tf.startRun(s, { idempotencyKey: 'k', input: [1, 2] });
  await rig.tf.result(first.workflowId, { wait: true });

  const again = await rig.tf.startRun(s, { idempotencyKey: 'k', input: [1, 2] });
  expect(again).toEqual({ ...first, existing: true });
  expect(await executions(first.workflowId)).toEqual([first.runId]);
  expect(rig.recorder.startsOf(first.workflowId)).toHaveLength(1);
});

test('the same key in another pipeline is another run', async () => {
  const a = await rig.tf.startRun(spec('idem-scope-a'), { idempotencyKey: 'shared' });
  const b = await rig.tf.startRun(spec('idem-scope-b'), { idempotencyKey: 'shared' });
  expect(a).toMatchObject({ workflowId: 'idem-scope-a-shared', existing: false });
  expect(b).toMatchObject({ workflowId: 'idem-scope-b-shared', existing: false });
  expect(b.runId).not.toBe(a.runId);
});

test('concurrent starts with one key make one run; exactly one of them started it', async () => {
  const s = spec('idem-race', 500);
  const results = await Promise.all(Array.from({ length: 6 }, () => rig.tf.startRun(s, { idempotencyKey: 'race' })));
  expect(new Set(results.map((r) => r.runId)).size).toBe(1);
  expect(results.filter((r) => !r.existing)).toHaveLength(1);
  const first = results[0]!;
  expect(await executions(first.workflowId)).toEqual([first.runId]);
});

test('another input or spec under the key is a conflict, and nothing starts', async () => {
  const s = spec('idem-conflict', 2000);
  const first = await rig.tf.startRun(s, { idempotencyKey: 'k', input: { n: 1 } });

  const otherInput = await rig.tf.startRun(s, { idempotencyKey: 'k', input: { n: 2 } }).catch((err: unknown) => err);
  expect(otherInput).toBeInstanceOf(IdempotencyConflictError);
  expect((otherInput as Error).message).toBe(
    `idempotency key "k" was first used with a different spec or input (run ${first.workflowId})`,
  );

  const otherSpec: PipelineSpec = { ...s, nodes: [{ id: 'only', activity: 'step', input: { sleepMs: 1 } }] };
  await expect(rig.tf.startRun(otherSpec, { idempotencyKey: 'k', input: { n: 1 } })).rejects.toThrow(IdempotencyConflictError);

  // Ended, it still conflicts.
  await rig.tf.result(first.workflowId, { wait: true });
  await expect(rig.tf.startRun(s, { idempotencyKey: 'k', input: { n: 3 } })).rejects.toThrow(IdempotencyConflictError);
  expect(await executions(first.workflowId)).toEqual([first.runId]);
});

test('with --id, the key is checked against that run; a run the key did not start is not returned', async () => {
  const s = spec('idem-id');
  const plain = await rig.tf.startRun(s, { id: 'idem-explicit' });
  await rig.tf.result(plain.workflowId, { wait: true });
  await expect(rig.tf.startRun(s, { id: 'idem-explicit', idempotencyKey: 'k' })).rejects.toThrow(RunAlreadyExistsError);

  const keyed = await rig.tf.startRun(s, { id: 'idem-explicit-2', idempotencyKey: 'k2' });
  expect(keyed).toMatchObject({ workflowId: 'idem-explicit-2', existing: false });
  expect(await rig.tf.startRun(s, { id: 'idem-explicit-2', idempotencyKey: 'k2' })).toEqual({ ...keyed, existing: true });
  // The same id under another key: not this key's run.
  await expect(rig.tf.startRun(s, { id: 'idem-explicit-2', idempotencyKey: 'k3' })).rejects.toThrow(RunAlreadyExistsError);
});

test('without a key, nothing changes: a fresh id each time and no existing field', async () => {
  const s = spec('idem-none');
  const a = await rig.tf.startRun(s);
  const b = await rig.tf.startRun(s);
  expect(a.workflowId).not.toBe(b.workflowId);
  expect(a).not.toHaveProperty('existing');
  const described = await env.client.workflow.getHandle(a.workflowId).describe();
  expect(described.memo?.[REQUEST_MEMO]).toBeUndefined();
});

test('after the run has continued as new, the key returns it with its first run id', async () => {
  const s: PipelineSpec = {
    name: 'idem-long',
    nodes: Array.from({ length: 30 }, (_, i) => ({
      id: `s${i}`,
      activity: 'step',
      input: { sleepMs: 100 },
      ...(i > 0 ? { needs: [`s${i - 1}`] } : {}),
    })),
  };
  const first = await rig.tf.startRun(s, { idempotencyKey: 'k', continueAsNewAfterEvents: 40 });
  await eventually('the run to continue as new', async () => {
    const d = await env.client.workflow.getHandle(first.workflowId).describe();
    return d.runId !== first.runId && d.status.name === 'RUNNING' ? true : undefined;
  });
  // Temporal returns the execution running now; the start still answers with the first.
  expect(await rig.tf.startRun(s, { idempotencyKey: 'k' })).toEqual({ ...first, existing: true });
  await expect(rig.tf.startRun(s, { idempotencyKey: 'k', input: 1 })).rejects.toThrow(IdempotencyConflictError);
  await rig.tf.result(first.workflowId, { wait: true });
  expect(await rig.tf.startRun(s, { idempotencyKey: 'k' })).toEqual({ ...first, existing: true });
  expect(rig.recorder.startsOf(first.workflowId, 's0')).toHaveLength(1);
});
