/**
 * An activity interceptor that reports every attempt of a node activity (start, then end with
 * its outcome, error and output) to an {@link AttemptRecorder}. It never delays or fails the
 * node: the recorder only queues.
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { isNodeEnvelope } from '../pipeline/envelope';
import type { ActivityCall } from '../pipeline/types';
import type { AttemptRecorder } from '../store/attempt-recorder';

/** Outputs bigger than this (as JSON) are not kept inline; the row notes their size instead. */
export const MAX_INLINE_OUTPUT_BYTES = 64 * 1024;

/** Builds the worker's `interceptors.activity` entry for `recorder`. */
export function attemptInterceptor(recorder: AttemptRecorder): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const call = input.args[0] as Partial<ActivityCall> | undefined;
        // Only node activities (called by the pipeline workflow) are recorded.
        if (!call?.node?.nodeId) return next(input);
        const { info } = ctx;
        const key = {
          workflowId: info.workflowExecution?.workflowId ?? call.node.runId ?? '',
          nodeId: call.node.nodeId,
          attempt: info.attempt,
          activity: info.activityType,
          worker: info.taskQueue,
        };
        recorder.recordStart({ ...key, startedAt: new Date() });
        try {
          const result = await next(input);
          const output = isNodeEnvelope(result) ? result.output : result;
          recorder.recordEnd({ ...key, outcome: 'completed', finishedAt: new Date(), ...inlineOutput(output) });
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
      },
    },
  });
}

function inlineOutput(output: unknown): { output?: unknown; outputRef?: string } {
  const text = JSON.stringify(output ?? null);
  if (text.length <= MAX_INLINE_OUTPUT_BYTES) return { output: output ?? null };
  return { outputRef: `not kept: ${text.length} bytes of JSON (over ${MAX_INLINE_OUTPUT_BYTES})` };
}
