// A TypeScript application's use of every tapflow entry point but `tapflow/api` (this project
// does not install Fastify), type-checked with `tsc --noEmit` under three module resolutions.
// Never run: it only has to compile. The `@ts-expect-error` lines fail the check if a type
// degrades to `any` (an unresolved import would).
import { Client } from '@temporalio/client';
import {
  TapflowClient,
  chain,
  group,
  isTapflowError,
  pipeline,
  step,
  validateSpec,
  type PipelineSpec,
  type RunState,
  type RunStatus,
  type StartRunOptions,
  type TapflowErrorCode,
} from 'tapflow';
import { pauseUpdate, pipelineWorkflow, statusQuery, type PipelineRunInput, type PipelineRunResult } from 'tapflow/workflows';
import {
  bundleTapflowWorkflows,
  createWorker,
  NativeConnection,
  permanentFailure,
  type ActivityCall,
  type CreateWorkerOptions,
  type WorkflowCode,
} from 'tapflow/worker';
import { openStore, type OpenStore, type OpenStoreOptions } from 'tapflow/store';
import { createTestEnvironment, type TapflowTestEnvironment } from 'tapflow/testing';

// Specs, with the builders.
export const spec: PipelineSpec = pipeline(
  'typed',
  chain(step('load', 'loadNumbers', { input: { from: 'db' } }), group(step('left', 'double'), step('right', 'double')), step('total', 'total')),
  { maxParallel: 2 },
);
const checked = validateSpec(spec);
export const problems: string[] = checked.ok ? [] : checked.problems.map((p) => `${p.path}: ${p.message}`);

// Activities: plain functions of one call object.
export async function double(call: ActivityCall<undefined, { numbers: number[] }>): Promise<number[]> {
  if (call.params.numbers.length === 0) throw permanentFailure('no numbers');
  return call.params.numbers.map((n) => n * 2);
}

// A client: start, inspect, control, read the result.
export async function drive(client: TapflowClient): Promise<PipelineRunResult | undefined> {
  const options: StartRunOptions = { input: { numbers: [1, 2] }, tags: ['typed'], priority: 2, timeout: '1h' };
  const { workflowId } = await client.startRun(spec, options);
  const status: RunStatus = await client.getStatus(workflowId);
  const state: RunState = status.state;
  const running: string[] = status.nodes.filter((n) => n.state === 'running').map((n) => n.id);
  const ack = await client.pause(workflowId, { reason: `was ${state}, ${running.length} running` });
  // @ts-expect-error: a control ack's state is a RunState, not a number
  const wrong: number = ack.state;
  void wrong;
  try {
    return await client.result(workflowId, { wait: true });
  } catch (err) {
    if (isTapflowError(err, 'run_failed', 'run_not_found')) {
      const code: TapflowErrorCode = err.code;
      console.log(code, err.exitCode, err.message);
      return undefined;
    }
    throw err;
  }
}

// The Temporal contract, from any Temporal client: start the workflow and query it by definition.
export async function startWithTemporal(client: Client): Promise<RunStatus> {
  const input: PipelineRunInput = { spec, params: { numbers: [3] }, meta: { tags: ['raw'] } };
  const handle = await client.workflow.start(pipelineWorkflow, { taskQueue: 'tapflow', workflowId: 'typed-1', args: [input] });
  await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'typed' }] });
  return handle.query(statusQuery);
}

// @ts-expect-error: `sleeping` is not a run state
export const notAState: RunState = 'sleeping';

// A worker: options declared, then created; the workflows bundled in advance.
export async function startWorker(connection: NativeConnection): Promise<void> {
  const options: CreateWorkerOptions = {
    connection,
    taskQueue: 'typed',
    activities: { double },
    workflowsPath: require.resolve('./workflows'),
    shutdownGraceTime: '5s',
  };
  const bundle: WorkflowCode = await bundleTapflowWorkflows({ workflowsPath: options.workflowsPath });
  const worker = await createWorker({ ...options, workflowBundle: bundle });
  await worker.run();
}

// @ts-expect-error: not a duration (a Duration is a number or an `ms` string, not any string)
export const notADuration: CreateWorkerOptions['shutdownGraceTime'] = 'five minutes';

// The store's opener, by its type.
export const open: (options: OpenStoreOptions) => Promise<OpenStore> = openStore;

// Tests: the environment's type.
export async function runInTests(): Promise<PipelineRunResult> {
  const env: TapflowTestEnvironment = await createTestEnvironment({ activities: { double } });
  try {
    const client: TapflowClient = env.client;
    void client;
    return await env.run(spec, { input: { numbers: [1] } });
  } finally {
    await env.teardown();
  }
}
