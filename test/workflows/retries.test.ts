/**
 * Retries, exhausted retries, permanent failures and timeouts, on the time-skipping server:
 * backoff waits are skipped, and the skipped time is read from the server's clock.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RunFailedError } from '../../src/core/errors';
import type { PipelineSpec } from '../../src/core/types';
import { NODE_FAILED } from '../../src/core/failure-types';
import { runFailure } from '../helpers/run-failure';
import { timeSkippingEnv } from '../helpers/temporal';
import { nodeOf } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await timeSkippingEnv();
  rig = await startRig(env, uniqueTaskQueue('retries'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/**
 * How long a closed run took in server time (skipped time included), from Temporal's own
 * start and close times. `env.currentTimeMs()` cannot bound a duration from above: once a run
 * has closed, the test server may skip far ahead (10 years was seen) before the clock is read.
 */
async function serverDurationMs(id: string): Promise<number> {
  const d = await env.client.workflow.getHandle(id).describe();
  if (!d.closeTime) throw new Error(`${id} has not closed`);
  return d.closeTime.getTime() - d.startTime.getTime();
}

/** Starts a run and waits for it to fail; returns the workflow's failure. */
async function expectRunToFail(spec: PipelineSpec, id: string): Promise<ApplicationFailure> {
  await rig.tf.startRun(spec, { id });
  return runFailure(env.client, id);
}

describe('retries', () => {
  test('a node that fails twice then succeeds is retried with backoff and the run completes', async () => {
    const id = 'retry-backoff';
    const spec: PipelineSpec = {
      name: 'retry-backoff',
      nodes: [
        {
          id: 'flaky',
          activity: 'flaky',
          input: { failures: 2 },
          retry: { maximumAttempts: 5, initialInterval: '10s', backoffCoefficient: 2 },
        },
        { id: 'after', activity: 'step', needs: ['flaky'] },
      ],
    };
    const before = await env.currentTimeMs();
    await rig.tf.startRun(spec, { id });
    const result = await rig.tf.result(id, { wait: true });
    const after = await env.currentTimeMs();

    // Two retries: 10 s, then 10 s x 2 = 20 s, in skipped time.
    expect(after - before).toBeGreaterThanOrEqual(30_000);
    expect(await serverDurationMs(id)).toBeGreaterThanOrEqual(30_000);
    expect(rig.recorder.startsOf(id, 'flaky').map((s) => s.attempt)).toEqual([1, 2, 3]);

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('completed');
    expect(nodeOf(status, 'flaky')).toMatchObject({ state: 'completed', attempts: 3 });
    expect(nodeOf(status, 'flaky').error).toBeUndefined();
    // The node's own times are workflow (server) time, so they show the backoff too.
    const flaky = nodeOf(status, 'flaky');
    expect(Date.parse(flaky.finishedAt ?? '') - Date.parse(flaky.startedAt ?? '')).toBeGreaterThanOrEqual(30_000);
    expect(nodeOf(status, 'after')).toMatchObject({ state: 'completed', attempts: 1 });
    // The retried node's output is the successful attempt's.
    expect(result).toEqual({
      after: expect.objectContaining({ nodeId: 'after', upstream: { flaky: { attempt: 3 } } }),
    });
  });

  test('a node that exhausts maximumAttempts fails the run and skips what depends on it', async () => {
    const id = 'retry-exhausted';
    const spec: PipelineSpec = {
      name: 'retry-exhausted',
      nodes: [
        { id: 'first', activity: 'step' },
        {
          id: 'bad',
          activity: 'fail',
          needs: ['first'],
          input: { message: 'disk on fire' },
          retry: { maximumAttempts: 4, initialInterval: '1s', backoffCoefficient: 2 },
        },
        { id: 'down', activity: 'step', needs: ['bad'] },
        { id: 'further', activity: 'step', needs: ['down'] },
      ],
    };
    const failure = await expectRunToFail(spec, id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toContain('disk on fire');
    expect(failure.message).toContain('"bad"');
    expect(failure.message).toContain('4 attempts');

    expect(rig.recorder.startsOf(id, 'bad').map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    expect(rig.recorder.startsOf(id, 'down')).toHaveLength(0);

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(status.reason).toContain('disk on fire');
    expect(nodeOf(status, 'first')).toMatchObject({ state: 'completed', attempts: 1 });
    expect(nodeOf(status, 'bad')).toMatchObject({ state: 'failed', attempts: 4, error: 'disk on fire', errorType: 'Error' });
    expect(nodeOf(status, 'down')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(nodeOf(status, 'further')).toMatchObject({ state: 'skipped', attempts: 0 });

    // The client reports it as a failed run with the node's message.
    const err = await rig.tf.result(id, { wait: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err).toMatchObject({ state: 'failed' });
    expect((err as Error).message).toContain('disk on fire');
  });

  test('a failed node cancels its sibling in flight', async () => {
    const id = 'retry-sibling';
    const spec: PipelineSpec = {
      name: 'retry-sibling',
      nodes: [
        { id: 'slow', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
        { id: 'bad', activity: 'fail', input: { message: 'no', nonRetryable: true } },
        { id: 'join', activity: 'step', needs: ['slow', 'bad'] },
      ],
    };
    const failure = await expectRunToFail(spec, id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toContain('"bad"');

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(nodeOf(status, 'bad')).toMatchObject({ state: 'failed', attempts: 1 });
    expect(nodeOf(status, 'slow').state).toBe('cancelled');
    expect(nodeOf(status, 'join').state).toBe('skipped');
    expect(rig.recorder.cancelled).toContain(`${id}/slow`);
  });
});

describe('permanent failures', () => {
  test('ApplicationFailure.nonRetryable fails the node on its first attempt', async () => {
    const id = 'permanent-nonretryable';
    const spec: PipelineSpec = {
      name: 'permanent',
      nodes: [
        {
          id: 'bad',
          activity: 'fail',
          input: { message: 'malformed record 17', type: 'BadInput', nonRetryable: true },
          retry: { maximumAttempts: 5, initialInterval: '1h' },
        },
        { id: 'down', activity: 'step', needs: ['bad'] },
      ],
    };
    const failure = await expectRunToFail(spec, id);

    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toContain('malformed record 17');
    // "At once": no retry interval (1 h) was waited, even in skipped time.
    expect(await serverDurationMs(id)).toBeLessThan(3_600_000);
    expect(rig.recorder.startsOf(id, 'bad')).toHaveLength(1);

    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'bad')).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: 'malformed record 17',
      errorType: 'BadInput',
    });
    expect(nodeOf(status, 'down').state).toBe('skipped');
  });

  test.each([
    ['an ApplicationFailure type', { message: 'quota exceeded', type: 'QuotaExceeded' }, 'QuotaExceeded'],
    ['a plain Error (its name)', { message: 'plain failure' }, 'Error'],
  ])('%s listed in nonRetryableErrorTypes is not retried', async (_what, input, type) => {
    const id = `permanent-listed-${type}`;
    const spec: PipelineSpec = {
      name: 'permanent-listed',
      nodes: [
        {
          id: 'bad',
          activity: 'fail',
          input,
          retry: { maximumAttempts: 5, initialInterval: '1h', nonRetryableErrorTypes: [type] },
        },
      ],
    };
    const failure = await expectRunToFail(spec, id);

    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toContain(input.message);
    expect(await serverDurationMs(id)).toBeLessThan(3_600_000);
    expect(rig.recorder.startsOf(id, 'bad')).toHaveLength(1);
    const status = await rig.tf.getStatus(id);
    expect(nodeOf(status, 'bad')).toMatchObject({ state: 'failed', attempts: 1, error: input.message, errorType: type });
  });
});

describe('timeouts', () => {
  test('an attempt longer than the node timeout fails with a start-to-close timeout', async () => {
    const id = 'timeout-start-to-close';
    const spec: PipelineSpec = {
      name: 'timeout',
      nodes: [
        {
          id: 'slow',
          activity: 'step',
          input: { sleepMs: 30_000 },
          timeout: '2s',
          retry: { maximumAttempts: 2, initialInterval: '1s' },
        },
        { id: 'down', activity: 'step', needs: ['slow'] },
      ],
    };
    const failure = await expectRunToFail(spec, id);
    expect(failure.type).toBe(NODE_FAILED);
    expect(failure.message).toMatch(/timed out/);

    const status = await rig.tf.getStatus(id);
    expect(status.state).toBe('failed');
    const slow = nodeOf(status, 'slow');
    expect(slow).toMatchObject({ state: 'failed', attempts: 2, errorType: 'Timeout' });
    expect(slow.error).toMatch(/timed out \(start-to-close\)/);
    expect(rig.recorder.startsOf(id, 'slow').map((s) => s.attempt)).toEqual([1, 2]);
    expect(rig.recorder.finished).not.toContain(`${id}/slow`);
    expect(nodeOf(status, 'down').state).toBe('skipped');
  });
});
