/**
 * The workflows the benchmark's worker hosts: tapflow's generic pipeline workflow, and the
 * hand-written baselines it is measured against in the same run. Bundled by bench/run.mjs with
 * `bundleWorkflowCode`, so engine and baselines run on one worker, one server, one bundle.
 *
 * The baselines call the same registered (and wrapped) `noop` activity with the same options
 * tapflow gives a node by default (see `activityOptionsFor` in src/workflows/node-activity.ts):
 * start-to-close 10 minutes, 3 attempts from 1 s doubling, wait for cancellation to complete.
 * Each call carries an argument of the same shape a node gets, so payload sizes match.
 */
import {
  ActivityCancellationType,
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityCall } from '../src/pipeline/types';

export { pipelineWorkflow } from '../src/workflows';

/** The subset of tapflow's built-in activities the baselines call. */
interface BenchActivities {
  noop(call: ActivityCall): Promise<unknown>;
}

const { noop } = proxyActivities<BenchActivities>({
  startToCloseTimeout: 10 * 60 * 1000,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2 },
});

/** Node ids as the benchmark names them in its specs (`n0000`, `n0001`, ...). */
function nodeId(i: number): string {
  return `n${String(i).padStart(4, '0')}`;
}

function callFor(i: number, upstream: Record<string, unknown>): ActivityCall {
  const runId = workflowInfo().workflowId;
  const id = nodeId(i);
  return { input: undefined, params: undefined, upstream, node: { runId, nodeId: id, key: `${runId}/${id}` } };
}

/** Calls `noop` `n` times in sequence, each call given the previous call's output. */
export async function baselineChainWorkflow(n: number): Promise<unknown> {
  let previous: unknown = null;
  for (let i = 0; i < n; i++) {
    const upstream = i === 0 ? {} : { [nodeId(i - 1)]: previous };
    previous = await noop(callFor(i, upstream));
  }
  return previous;
}

/** Calls `noop` `n` times, never more than `maxParallel` at once, starting the next as one ends. */
export async function baselineWideWorkflow(n: number, maxParallel: number): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await noop(callFor(i, {}));
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxParallel, n) }, lane));
  return done;
}

/** A no-op update: the baseline of a control round trip. */
export const pingUpdate = defineUpdate<number, [number]>('ping');
/** Ends {@link trivialUpdateWorkflow}. */
export const finishSignal = defineSignal('finish');

/** Does nothing but answer {@link pingUpdate} until it is told to finish. */
export async function trivialUpdateWorkflow(): Promise<number> {
  let pings = 0;
  let finished = false;
  setHandler(pingUpdate, (x) => {
    pings++;
    return x;
  });
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return pings;
}
