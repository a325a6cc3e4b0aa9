/**
 * `tapflow/testing` as a team's test uses it: the README's example, run on the time-skipping
 * server with tapflow's workflows bundled at start; a failing activity surfaces as the run's
 * failure; sleeps take no real time.
 */
import { join } from 'node:path';
import { chain, pipeline, step } from '../../src/core/builders';
import { RunFailedError } from '../../src/core/errors';
import { createTestEnvironment, type TapflowTestEnvironment } from '../../src/testing';

const activities = {
  double: async ({ params }: { params: { n: number } }) => params.n * 2,
  addOne: async ({ upstream }: { upstream: { double: number } }) => upstream.double + 1,
  refuse: async () => {
    throw new Error('no such thing');
  },
};

let env: TapflowTestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment({ activities });
});

afterAll(async () => {
  await env?.teardown();
});

test("the README's example: a chain of the team's own activities runs to its result", async () => {
  const spec = pipeline('arithmetic', chain(step('double', 'double'), step('addOne', 'addOne')));
  expect(await env.run(spec, { input: { n: 20 } })).toEqual({ addOne: 41 });
});

test('a node that keeps failing fails the run, with its message', async () => {
  const spec = pipeline('refusing', chain(step('refuse', 'refuse', { retry: { maximumAttempts: 2, initialInterval: '1m' } })));
  const failure = await env.run(spec).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(RunFailedError);
  expect((failure as RunFailedError).message).toMatch(/no such thing/);
});

test('an hour-long sleep node takes skipped time, not real time', async () => {
  const spec = { name: 'sleepy', nodes: [{ id: 'nap', kind: 'sleep', duration: '1h' }, { id: 'after', activity: 'double', needs: ['nap'] }] };
  const before = await env.temporal.currentTimeMs();
  expect(await env.run(spec, { input: { n: 1 } })).toEqual({ after: 2 });
  expect((await env.temporal.currentTimeMs()) - before).toBeGreaterThanOrEqual(3600_000);
});

test("a team's own workflow runs beside tapflow's, bundled at start, and starts a pipeline as its child", async () => {
  const own = await createTestEnvironment({ activities, workflowsPath: join(__dirname, '..', 'fixtures', 'user-workflows.ts') });
  try {
    const result = await own.temporal.client.workflow.execute('nightlyReport', { taskQueue: own.taskQueue, workflowId: 'nightly', args: [21] });
    expect(result).toEqual({ fromPipeline: { double: 42 } });
  } finally {
    await own.teardown();
  }
});
