/**
 * Long runs continue-as-new between nodes: the run keeps its id, its nodes' records and the
 * outputs still needed, and no single history grows past the threshold.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { TapflowClient } from '../../src/client';
import { createWorker } from '../../src/worker';
import { chain, pipeline, step } from '../../src/core/builders';
import { devServerEnv, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'continue-as-new';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let client: TapflowClient;

beforeAll(async () => {
  env = await devServerEnv();
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    activities: {
      // Each step adds one to what the step before returned: a wrong or lost carried output shows.
      addOne: async ({ upstream }: { upstream: Record<string, number> }) => (Object.values(upstream)[0] ?? 0) + 1,
    },
    workerOptions: { workflowBundle: await workflowBundle() },
  });
  running = worker.run();
  client = new TapflowClient(env.client, { taskQueue: TASK_QUEUE });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

test('a 60-node chain continues as new several times and still computes 60', async () => {
  const nodes = Array.from({ length: 60 }, (_, i) => step(`s${i}`, 'addOne'));
  const spec = pipeline('long-chain', chain(...nodes));
  const { workflowId, runId } = await client.startRun(spec, { continueAsNewAfterEvents: 100 });

  expect(await client.result(workflowId, { wait: true })).toEqual({ s59: 60 });

  const status = await client.getStatus(workflowId);
  expect(status.state).toBe('completed');
  expect(status.runId).toBe(runId);
  expect(status.progress).toMatchObject({ completed: 60, total: 60 });
  expect(status.nodes.every((n) => n.state === 'completed' && n.attempts === 1)).toBe(true);

  // Walk the chain of executions back from the last one: several, each history short.
  const executions: number[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await env.client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    executions.push(history.events?.length ?? 0);
  }
  expect(executions.length).toBeGreaterThanOrEqual(3);
  for (const length of executions) expect(length).toBeLessThan(100 + 40);
});
