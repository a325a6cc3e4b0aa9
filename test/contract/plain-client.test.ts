/**
 * The Temporal contract (docs/temporal-contract.md), driven the way a team's own script drives
 * it: a plain `@temporalio/client` and the names on that page, written out as strings here. Only
 * the worker is tapflow's. Nothing below imports tapflow's client or its definitions, so a
 * renamed update, a changed argument or an untyped refusal fails this file.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { runFailure } from '../helpers/run-failure';
import { startRig, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;
let client: Client;

beforeAll(async () => {
  env = await devServerEnv();
  // The contract's default task queue: a script that names none of tapflow's options reaches it.
  rig = await startRig(env, 'tapflow');
  client = env.client;
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

const spec = {
  name: 'contract',
  nodes: [
    { id: 'first', activity: 'step', input: { sleepMs: 600 }, heartbeatTimeout: '5s' },
    { id: 'second', activity: 'step', needs: ['first'], input: { n: 2 } },
  ],
};

interface Status {
  state: string;
  pipeline: string;
  progress: { completed: number; total: number; percent: number };
  nodes: Array<{ id: string; state: string; attempts: number }>;
}

/** Starts a run of one long, heartbeating node through the plain client, and waits for the node to start. */
async function startLongRun(workflowId: string) {
  const handle = await client.workflow.start('pipelineWorkflow', {
    taskQueue: 'tapflow',
    workflowId,
    args: [{ spec: { name: 'contract-cancel', nodes: [{ id: 'long', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' }] } }],
  });
  await eventually('the node to start', () => (rig.recorder.startsOf(workflowId, 'long').length ? true : undefined));
  return handle;
}

/** Waits for the execution to end, and checks Temporal ended it Canceled. */
async function expectCanceled(handle: Awaited<ReturnType<typeof startLongRun>>): Promise<void> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
}

async function stateOf(id: string): Promise<string> {
  return (await client.workflow.getHandle(id).query<Status>('status')).state;
}

async function refusalOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

test('start, status, pause, a typed refusal, resume and the result, with a plain Temporal client', async () => {
  const workflowId = 'contract-plain-1';
  const handle = await client.workflow.start('pipelineWorkflow', {
    taskQueue: 'tapflow',
    workflowId,
    args: [{ spec, params: { lang: 'en' }, meta: { tags: ['contract'], user: 'script' } }],
  });

  const status = await handle.query<Status>('status');
  expect(status).toMatchObject({ pipeline: 'contract', progress: { total: 2 } });
  expect(['running', 'pausing', 'paused']).toContain(status.state);

  const paused = await handle.executeUpdate<{ state: string }, [{ reason: string; by: string; requestId: string }]>('pause', {
    args: [{ reason: 'contract test', by: 'script', requestId: 'pause-1' }],
    updateId: 'pause-1',
  });
  expect(['pausing', 'paused']).toContain(paused.state);
  await eventually('the run to rest paused', async () => ((await stateOf(workflowId)) === 'paused' ? true : undefined));

  // A second pause is refused: typed, non-retryable, with the reason.
  const refusal = await refusalOf(handle.executeUpdate('pause', { args: [{}] }));
  expect(refusal.type).toBe('TapflowActionRefused');
  expect(refusal.nonRetryable).toBe(true);
  expect(refusal.message).toBe('cannot pause: the run is already paused');

  // The Web UI's filter finds it by the search attributes the workflow keeps.
  await eventually('visibility to show the pause', async () => {
    for await (const wf of client.workflow.list({ query: `TapflowState = "paused" AND TapflowPipeline = "contract"` })) {
      if (wf.workflowId === workflowId) return true;
    }
    return undefined;
  });

  expect(await handle.executeUpdate<{ state: string }, [object]>('resume', { args: [{ by: 'script' }] })).toEqual({ state: 'running' });
  const result = await handle.result();
  expect(result).toEqual({ second: { nodeId: 'second', input: { n: 2 }, params: { lang: 'en' }, upstream: { first: expect.any(Object) } } });
  expect(await stateOf(workflowId)).toBe('completed');

  // Every update on an ended run fails; a pause on it is refused by Temporal, not retried.
  await expect(handle.executeUpdate('pause', { args: [{}] })).rejects.toThrow();
});

test('operator updates and their refusals carry the same type', async () => {
  const handle = await client.workflow.start('pipelineWorkflow', {
    taskQueue: 'tapflow',
    workflowId: 'contract-plain-2',
    args: [{ spec }],
  });
  const refusal = await refusalOf(handle.executeUpdate('retry', { args: [{ node: 'first' }] }));
  expect(refusal.type).toBe('TapflowActionRefused');
  expect(refusal.nonRetryable).toBe(true);
  expect(refusal.message).toMatch(/^cannot retry: node "first" is \w+, not held/);
  const unknown = await refusalOf(handle.executeUpdate('skip', { args: [{ node: 'nope' }] }));
  expect(unknown.type).toBe('TapflowActionRefused');
  await handle.result();
});

test('cancel by update, then a Temporal cancel request: the execution ends Canceled', async () => {
  const handle = await startLongRun('contract-plain-3');
  const ack = await handle.executeUpdate<{ state: string }, [object]>('cancel', { args: [{ reason: 'no longer needed', by: 'script' }] });
  expect(['cancelling', 'cancelled']).toContain(ack.state);
  await handle.cancel();
  await expectCanceled(handle);
  expect(await stateOf('contract-plain-3')).toBe('cancelled');
});

test('cancel by update or signal alone: the run asks Temporal to cancel it, and the execution ends Canceled with the reason given', async () => {
  for (const via of ['update', 'signal'] as const) {
    const workflowId = `contract-plain-cancel-${via}`;
    const handle = await startLongRun(workflowId);
    const request = { reason: `stopped by ${via}`, by: 'script' };
    if (via === 'update') await handle.executeUpdate('cancel', { args: [request] });
    else await handle.signal('cancel', request);
    await expectCanceled(handle);
    const status = await handle.query<Status & { reason?: string }>('status');
    expect(status.state).toBe('cancelled');
    expect(status.reason).toBe(`stopped by ${via}`);
    // Nothing waited for a client's request: the only timers in the history are the node's own.
    const { events } = await handle.fetchHistory();
    expect(events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);
    expect(events?.filter((e) => e.timerStartedEventAttributes)).toEqual([]);
  }
});

test('a Temporal cancel carries who asked and why, never an earlier pause\'s reason', async () => {
  const handle = await client.workflow.start('pipelineWorkflow', {
    taskQueue: 'tapflow',
    workflowId: 'contract-plain-temporal-cancel',
    args: [{ spec: { name: 'contract-cancel', nodes: [{ id: 'long', activity: 'step', input: { sleepMs: 1_000 } }, { id: 'next', activity: 'step', needs: ['long'] }] } }],
  });
  await handle.executeUpdate('pause', { args: [{ reason: 'lunch break' }] });
  await eventually('the run to be paused', async () => ((await stateOf('contract-plain-temporal-cancel')) === 'paused' ? true : undefined));
  await handle.cancel();
  await handle.result().catch(() => undefined);
  const status = await handle.query<Status & { reason?: string }>('status');
  expect(status.state).toBe('cancelled');
  expect(status.reason).toMatch(/^cancelled through Temporal by \S+/);
  expect(status.reason).not.toContain('lunch break');
  expect((await handle.describe()).status.name).toBe('CANCELLED');
});

test('a spec that does not validate fails the run at once with type TapflowInvalidSpec', async () => {
  await client.workflow.start('pipelineWorkflow', {
    taskQueue: 'tapflow',
    workflowId: 'contract-plain-4',
    args: [{ spec: { name: 'broken', nodes: [{ id: 'a', activity: 'step', needs: ['missing'] }] } }],
  });
  expect((await runFailure(client, 'contract-plain-4')).type).toBe('TapflowInvalidSpec');
});
