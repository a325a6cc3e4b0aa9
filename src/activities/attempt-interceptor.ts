/**
 * An activity interceptor that reports every attempt of a node activity (start, then end with
 * its outcome, error and output) to an {@link AttemptRecorder}. It never delays or fails the
 * node: the recorder only queues, and the output is handed over as it is, to be serialised (and,
 * when large, kept by reference) by the recorder's background loop rather than on the node's path.
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { isNodeEnvelope } from '../core/envelope';
import type { ActivityCall } from '../core/types';
import type { AttemptRecorder } from '../store/attempt-recorder';

/**
 * Outputs whose JSON is bigger than this are kept in `tapflow.attempt_outputs` rather than in
 * the attempt's row (the store's limit, re-exported here where it used to live).
 */
export { MAX_INLINE_OUTPUT_BYTES } from '../store/sql/upsert-attempt-rows';

/** Which attempt row an execution is recorded as. */
export interface AttemptKey {
  workflowId: string;
  nodeId: string;
  attempt: number;
  activity: string;
  worker: string;
}

/**
 * The attempt row of a node call run by the activity `info` describes. A map item is recorded
 * as `<node>[<index>]` under the shard workflow that ran it (its id names the run, the node and
 * the round), so each item's attempts have rows of their own.
 */
export function attemptKeyOf(call: Pick<ActivityCall, 'node' | 'index'>, info: Context['info']): AttemptKey {
  return {
    workflowId: info.workflowExecution?.workflowId ?? call.node.runId ?? '',
    nodeId: typeof call.index === 'number' ? `${call.node.nodeId}[${call.index}]` : call.node.nodeId,
    attempt: (call.node.earlierAttempts ?? 0) + info.attempt,
    activity: info.activityType,
    worker: info.taskQueue,
  };
}

/**
 * Runs `execute` and reports its start and end to `recorder` as attempt `key`; the result or
 * error passes through unchanged.
 */
export async function recordAttempt<T>(recorder: AttemptRecorder, key: AttemptKey, execute: () => Promise<T>): Promise<T> {
  recorder.recordStart({ ...key, startedAt: new Date() });
  try {
    const result = await execute();
    const output = isNodeEnvelope(result) ? result.output : result;
    recorder.recordEnd({ ...key, outcome: 'completed', finishedAt: new Date(), output: output ?? null });
    return result;
  } catch (err) {
    const cancelled = err instanceof CancelledFailure;
    const failure = err as Error;
    recorder.recordEnd({
      ...key,
      outcome: cancelled ? 'cancelled' : 'failed',
      finishedAt: new Date(),
      errorType: failure instanceof ApplicationFailure ? (failure.type ?? undefined) : failure?.name,
      errorMessage: failure?.message ?? String(err),
    });
    throw err;
  }
}

/** Builds the worker's `interceptors.activity` entry for `recorder`. */
export function attemptInterceptor(recorder: AttemptRecorder): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const call = input.args[0] as Partial<ActivityCall> | undefined;
        // Only node activities (called by the pipeline workflow or a map shard) are recorded;
        // a map batch records each of its items itself.
        if (!call?.node?.nodeId) return next(input);
        return recordAttempt(recorder, attemptKeyOf(call as ActivityCall, ctx.info), () => next(input));
      },
    },
  });
}
