/**
 * The worker's map batch activity with a real recorder and PostgreSQL: every item is recorded as
 * an attempt of its own (`<node>[<index>]`), the batch heartbeats its outputs after each item and
 * a retry starts after the last item reported, a failing item is named in the failure, and a
 * cancel stops the batch between items.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { attemptInterceptor } from '../../src/activities/attempt-interceptor';
import { createMapBatchActivity } from '../../src/activities/map-batch';
import { wrapNodeActivity } from '../../src/activities/wrap';
import type { ActivityCall } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { isMapItemFailureDetails, type MapBatchCall } from '../../src/workflows/map-batch-call';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();
const SHARD = 'run-b/each/shard-0';

function batchOf(items: number[], offset = 0): MapBatchCall {
  return { activity: 'square', runId: 'run-b', nodeId: 'each', input: { bad: 13 }, params: null, upstream: {}, items, offset };
}

function activityEnv(info: { attempt?: number; heartbeatDetails?: unknown } = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { activityType: 'tapflowMapBatch', attempt: 1, taskQueue: 'q', workflowExecution: { workflowId: SHARD, runId: 'r1' }, ...info },
    { logger: new DefaultLogger('ERROR') },
  );
}

/** The items each call saw, in order; `square` fails for good on `input.bad`. */
function squares(seen: number[] = []) {
  const square = wrapNodeActivity(async (call: ActivityCall<{ bad: number }>) => {
    seen.push(call.index as number);
    if (call.item === call.input.bad) throw ApplicationFailure.nonRetryable(`cannot square ${String(call.item)}`, 'BadItem');
    return (call.item as number) ** 2;
  });
  return { activities: { square }, seen };
}

it('runs every item in order, records each as its own attempt, and heartbeats the outputs so far', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const { activities, seen } = squares();
  const env = activityEnv();
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(structuredClone(d)));
  const outputs = await env.run(createMapBatchActivity(activities, recorder), batchOf([4, 5, 6], 20));
  expect(outputs).toEqual([16, 25, 36]);
  expect(seen).toEqual([20, 21, 22]);
  expect(beats.at(-1)).toEqual({ tapflowMapBatch: 1, outputs: [16, 25, 36] });
  expect(await recorder.drain()).toBe(0);
  const rows = await listAttempts(t.db.pool, SHARD);
  expect(rows.map((r) => [r.nodeId, r.attempt, r.outcome, r.output])).toEqual([
    ['each[20]', 1, 'completed', 16],
    ['each[21]', 1, 'completed', 25],
    ['each[22]', 1, 'completed', 36],
  ]);
});

it('a retried batch starts after the last item its checkpoint holds', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const { activities, seen } = squares();
  const env = activityEnv({ attempt: 2, heartbeatDetails: { tapflowMapBatch: 1, outputs: [0, 1] } });
  const outputs = await env.run(createMapBatchActivity(activities, recorder), batchOf([0, 1, 2, 3]));
  expect(outputs).toEqual([0, 1, 4, 9]);
  expect(seen).toEqual([2, 3]);
  expect(await recorder.drain()).toBe(0);
  expect((await listAttempts(t.db.pool, SHARD)).map((r) => [r.nodeId, r.attempt])).toEqual([
    ['each[2]', 2],
    ['each[3]', 2],
  ]);
});

it("an item's own heartbeat details are not taken for a checkpoint: the batch starts over", async () => {
  const { activities, seen } = squares();
  const env = activityEnv({ attempt: 2, heartbeatDetails: { progress: 3 } });
  await env.run(createMapBatchActivity(activities), batchOf([0, 1]));
  expect(seen).toEqual([0, 1]);
});

it('an item that fails fails the batch with its message and type, and a detail naming the item', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const { activities, seen } = squares();
  const err = await activityEnv()
    .run(createMapBatchActivity(activities, recorder), batchOf([12, 13, 14], 100))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure).toMatchObject({ message: 'cannot square 13', type: 'BadItem', nonRetryable: true });
  expect(failure.details?.find(isMapItemFailureDetails)).toEqual({ tapflowMapItem: 101 });
  expect(seen).toEqual([100, 101]);
  expect(await recorder.drain()).toBe(0);
  expect((await listAttempts(t.db.pool, SHARD)).map((r) => [r.nodeId, r.outcome, r.errorType])).toEqual([
    ['each[100]', 'completed', null],
    ['each[101]', 'failed', 'BadItem'],
  ]);
});

it('a cancel stops the batch before its next item', async () => {
  const env = activityEnv();
  const seen: number[] = [];
  const first = wrapNodeActivity(async (call: ActivityCall) => {
    seen.push(call.index as number);
    if (call.index === 0) env.cancel('CANCELLED');
    return call.index;
  });
  const err = await env.run(createMapBatchActivity({ square: first }), batchOf([0, 1, 2])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CancelledFailure);
  expect(seen).toEqual([0]);
});

it('an activity the worker does not host fails retryably, naming it', async () => {
  const err = await activityEnv()
    .run(createMapBatchActivity({}), { ...batchOf([1]), activity: 'nope' })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'NotFoundError', nonRetryable: false });
  expect((err as Error).message).toMatch(/activity "nope" is not registered on this worker/);
});

it('the attempt interceptor records an unbatched map item as <node>[<index>]', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const env = new MockActivityEnvironment(
    { activityType: 'square', attempt: 1, taskQueue: 'q', workflowExecution: { workflowId: SHARD, runId: 'r1' } },
    { interceptors: [attemptInterceptor(recorder)] },
  );
  const call = { node: { runId: 'run-b', nodeId: 'each', key: 'run-b/each/7' }, upstream: {}, item: 7, index: 7 };
  await env.run(
    wrapNodeActivity(async (c: ActivityCall) => (c.item as number) + Context.current().info.attempt),
    call,
  );
  expect(await recorder.drain()).toBe(0);
  expect((await listAttempts(t.db.pool, SHARD)).map((r) => [r.nodeId, r.output])).toEqual([['each[7]', 8]]);
});
