/**
 * The attempt interceptor feeding a real recorder and PostgreSQL: a node's output reaches the
 * store as it returned it, a large one by reference, and a failure with its error; the node's own
 * result or error is untouched.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { attemptInterceptor } from '../../src/activities/attempt-interceptor';
import { wrapNodeActivity } from '../../src/activities/wrap';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { getAttemptOutput } from '../../src/store/sql/get-attempt-output';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { MAX_INLINE_OUTPUT_BYTES } from '../../src/store/sql/upsert-attempt-rows';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const call = (nodeId: string) => ({ node: { runId: 'run-i', nodeId, key: `run-i/${nodeId}` }, upstream: {} });

function activityEnv(recorder: AttemptRecorder, attempt = 1): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { activityType: 'produce', attempt, taskQueue: 'q', workflowExecution: { workflowId: 'run-i', runId: 'r1' } },
    // The failing attempt is expected: keep the SDK's warning about it out of the test output.
    { interceptors: [attemptInterceptor(recorder)], logger: new DefaultLogger('ERROR') },
  );
}

it('records a small output inline and a large one in attempt_outputs', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const small = { path: '/out/a.png' };
  const large = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, text: 'some words to fill the output' })) };
  expect(JSON.stringify(large).length).toBeGreaterThan(MAX_INLINE_OUTPUT_BYTES);

  const smallResult = await activityEnv(recorder).run(wrapNodeActivity(async () => small), call('small'));
  const largeResult = await activityEnv(recorder).run(wrapNodeActivity(async () => large), call('large'));
  expect(smallResult).toMatchObject({ output: small });
  expect(largeResult).toMatchObject({ output: large });
  expect(await recorder.drain()).toBe(0);

  const rows = await listAttempts(t.db.pool, 'run-i');
  expect(rows.map((r) => [r.nodeId, r.outcome, r.activity, r.worker, r.outputRef])).toEqual(
    expect.arrayContaining([
      ['small', 'completed', 'produce', 'q', null],
      ['large', 'completed', 'produce', 'q', 'attempt_outputs'],
    ]),
  );
  expect(rows.every((r) => r.startedAt !== null && r.finishedAt !== null)).toBe(true);
  expect(await getAttemptOutput(t.db.pool, 'run-i', 'small', 1)).toEqual({ kept: 'inline', output: small });
  expect(await getAttemptOutput(t.db.pool, 'run-i', 'large', 1)).toMatchObject({ kept: 'attempt_outputs', output: large });
});

it('records a failed attempt with its error, and the node still fails as it would', async () => {
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const failing = wrapNodeActivity(async () => {
    throw new RangeError('too far');
  });
  await expect(activityEnv(recorder, 2).run(failing, call('far'))).rejects.toThrow('too far');
  expect(await recorder.drain()).toBe(0);
  expect(await listAttempts(t.db.pool, 'run-i')).toEqual([
    expect.objectContaining({ nodeId: 'far', attempt: 2, outcome: 'failed', errorType: 'RangeError', errorMessage: 'too far', output: null }),
  ]);
});
