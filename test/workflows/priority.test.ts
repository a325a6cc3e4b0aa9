/**
 * `priority` becomes Temporal's task priority, and a run's nodes inherit it: with node tasks
 * backlogged on a task queue, a higher-priority run's node is taken before lower-priority runs'
 * nodes that were scheduled earlier. Real dev server, with one task queue partition so the
 * order is exact (Temporal applies priority within a partition).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { PipelineSpec } from '../../src/core/types';
import { temporalCliPath } from '../../src/devstack/temporal-binaries';
import { createWorker } from '../../src/worker';
import { TapflowClient } from '../../src/client';
import { PIPELINE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } from '../../src/workflows/definitions';
import { eventually } from '../helpers/poll';
import { workflowBundle } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let workflowsOnly: Worker | undefined;
let workflowsOnlyRunning: Promise<void> | undefined;
let rig: TestRig | undefined;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
      extraArgs: [
        '--dynamic-config-value',
        'matching.numTaskqueueReadPartitions=1',
        '--dynamic-config-value',
        'matching.numTaskqueueWritePartitions=1',
      ],
    },
  });
});

afterAll(async () => {
  if (workflowsOnly?.getState() === 'RUNNING') workflowsOnly.shutdown();
  await workflowsOnlyRunning;
  await rig?.stop();
  await env?.teardown();
});

test("a higher-priority run's node is taken first from a backlog", async () => {
  const taskQueue = uniqueTaskQueue('priority');
  // A worker that runs workflows only (no activities): every run schedules its node, and the
  // node tasks wait on the queue.
  workflowsOnly = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    workerOptions: { workflowBundle: await workflowBundle(), workflowsPath: undefined, activities: {} },
  });
  workflowsOnlyRunning = workflowsOnly.run();
  const tf = new TapflowClient(env.client, { taskQueue });
  const spec = (name: string): PipelineSpec => ({ name, nodes: [{ id: 'only', activity: 'step' }] });

  const low = ['low-1', 'low-2', 'low-3', 'low-4'].map((n) => `${n}-${Date.now()}`);
  const high = `high-${Date.now()}`;
  for (const id of low) await tf.startRun(spec('batch'), { id, priority: 5 });
  await tf.startRun(spec('urgent'), { id: high, priority: 1 });
  const description = await env.client.workflow.getHandle(high).describe();
  expect(description.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(1);

  // Every node task is on the queue before anything takes one.
  await eventually('every node to be scheduled', async () => {
    for (const id of [...low, high]) {
      const pending = (await env.client.workflow.getHandle(id).describe()).raw.pendingActivities ?? [];
      if (!pending.some((p) => p.activityId === 'only')) return undefined;
    }
    return true;
  });

  // One worker per task queue and connection: the full worker takes over from here, running one
  // activity at a time, so the order the queue hands them out is the order they run.
  workflowsOnly.shutdown();
  await workflowsOnlyRunning;
  rig = await startRig(env, taskQueue, { maxConcurrentActivityTaskExecutions: 1 });
  await Promise.all([...low, high].map((id) => tf.result(id, { wait: true })));
  const order = rig.recorder.starts.map((s) => s.runId);
  expect(order).toHaveLength(5);
  expect(order[0]).toBe(high);
});
