/**
 * Adapts a user's plain async function into a node activity: it reports the attempt number
 * with the output (or with the error), so the workflow's status shows true attempt counts.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { NodeEnvelope, NodeFailureDetails } from '../core/envelope';
import type { ReportedPaths } from '../core/types';

/** Any function a worker can host as a node activity. */
export type NodeFunction = (call: never) => unknown;

/**
 * Wraps `fn` so its output travels in a {@link NodeEnvelope}, with the paths it reported through
 * `call.report`. An error keeps its message and type (`ApplicationFailure.type`, else the error's
 * `name`) and whether it may be retried; the original error becomes the cause.
 */
export function wrapNodeActivity(fn: NodeFunction): (call: unknown) => Promise<NodeEnvelope> {
  const wrapped = async (call: unknown): Promise<NodeEnvelope> => {
    // An operator's retry or rerun starts a new round of Temporal attempts; number on from the
    // attempts of earlier rounds so (run, node, attempt) stays unique.
    const earlier = (call as { node?: { earlierAttempts?: number } } | null)?.node?.earlierAttempts ?? 0;
    const info = Context.current().info;
    const attempt = earlier + info.attempt;
    const began = Date.now();
    const products = new Set<string>();
    const plots = new Set<string>();
    const report = (paths: ReportedPaths): void => {
      for (const p of paths.products ?? []) products.add(String(p));
      for (const p of paths.plots ?? []) plots.add(String(p));
    };
    const withReport = typeof call === 'object' && call !== null ? { ...call, report } : call;
    try {
      const output = await (fn as (call: unknown) => unknown)(withReport);
      const envelope: NodeEnvelope = { tapflow: 1, output: output === undefined ? null : output, attempt };
      if (products.size > 0) envelope.products = [...products];
      if (plots.size > 0) envelope.plots = [...plots];
      if (info.isLocal) envelope.ms = Date.now() - began;
      return envelope;
    } catch (err) {
      throw withAttempt(err, attempt);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name || 'activity' });
  return wrapped;
}

function withAttempt(err: unknown, attempt: number): unknown {
  const detail: NodeFailureDetails = { tapflow: 1, attempt };
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
      details: [detail, ...(err.details ?? [])],
      nextRetryDelay: err.nextRetryDelay ?? undefined,
      category: err.category ?? undefined,
      cause: err.cause,
    });
  }
  // Cancellation must reach the SDK unchanged so the attempt is reported as cancelled.
  if (err instanceof CancelledFailure) return err;
  if (err instanceof Error) {
    return ApplicationFailure.create({ message: err.message, type: err.name, details: [detail], cause: err });
  }
  return ApplicationFailure.create({ message: String(err), type: 'Error', details: [detail] });
}
