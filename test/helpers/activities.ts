/**
 * Test activities for workflow tests. Each records what it saw in an {@link ActivityRecorder}
 * (the worker runs in the test process, so the test reads the recorder directly).
 *
 * Every activity follows tapflow's calling convention (`{ input, params, upstream, node }`),
 * and what it does is steered by the node's `input`, so one worker serves every test of a file.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { ActivityCall, ReportedPaths } from '../../src/core/types';
import type { NodeFunction } from '../../src/activities/wrap';
import { needsReview } from '../../src/activities/failures';

/** One activity attempt as the recorder saw it start. */
export interface StartRecord {
  activity: string;
  /** The run (workflow) id. */
  runId: string;
  nodeId: string;
  attempt: number;
  /** Attempts of earlier rounds the workflow passed (an operator's retry or rerun), when any. */
  earlierAttempts?: number;
  /** A map item's index, when the call is one. */
  index?: number;
}

/** What the test activities saw. Filter by run id: a worker serves many runs of a file. */
export class ActivityRecorder {
  readonly starts: StartRecord[] = [];
  /** Node keys (`runId/nodeId`) whose attempt observed a CancelledFailure. */
  readonly cancelled: string[] = [];
  /** Node keys whose attempt ran to its end without being cancelled. */
  readonly finished: string[] = [];
  private running = new Map<string, number>();
  private maxRunning = new Map<string, number>();
  /** The same, by node id across every run: how many attempts of a node id ran at once anywhere. */
  private runningNode = new Map<string, number>();
  private maxRunningNode = new Map<string, number>();

  startsOf(runId: string, nodeId?: string): StartRecord[] {
    return this.starts.filter((s) => s.runId === runId && (nodeId === undefined || s.nodeId === nodeId));
  }

  /** Most attempts of nodes with this id, in any runs, that were running at the same moment. */
  maxConcurrencyOfNode(nodeId: string): number {
    return this.maxRunningNode.get(nodeId) ?? 0;
  }

  /** Most attempts of one run that were running at the same moment. */
  maxConcurrency(runId: string): number {
    return this.maxRunning.get(runId) ?? 0;
  }

  enter(activity: string, call: ActivityCall): void {
    const { runId, nodeId } = call.node;
    const earlierAttempts = call.node.earlierAttempts;
    this.starts.push({
      activity,
      runId,
      nodeId,
      attempt: Context.current().info.attempt,
      ...(earlierAttempts ? { earlierAttempts } : {}),
      ...(call.index !== undefined ? { index: call.index } : {}),
    });
    const now = (this.running.get(runId) ?? 0) + 1;
    this.running.set(runId, now);
    this.maxRunning.set(runId, Math.max(now, this.maxRunning.get(runId) ?? 0));
    const here = (this.runningNode.get(nodeId) ?? 0) + 1;
    this.runningNode.set(nodeId, here);
    this.maxRunningNode.set(nodeId, Math.max(here, this.maxRunningNode.get(nodeId) ?? 0));
  }

  leave(call: ActivityCall): void {
    const { runId, nodeId } = call.node;
    this.running.set(runId, (this.running.get(runId) ?? 1) - 1);
    this.runningNode.set(nodeId, (this.runningNode.get(nodeId) ?? 1) - 1);
  }
}

/** `input` of the `step` activity. */
export interface StepInput {
  /** How long to work, heartbeating every `heartbeatEveryMs` (real time). Default 0. */
  sleepMs?: number;
  /** Default 200. */
  heartbeatEveryMs?: number;
  /** When cancelled, clean up for this long (real time) before acknowledging. Default 0. */
  cleanupMs?: number;
  /** Anything: echoed back in the output. */
  [key: string]: unknown;
}

/** `input` of the `flaky` activity. */
export interface FlakyInput {
  /** Attempts that fail before one succeeds. */
  failures: number;
}

/** `input` of the `fail` activity. */
export interface FailInput {
  message: string;
  /** The ApplicationFailure type; a plain Error (type "Error") when unset. */
  type?: string;
  /** Throw `ApplicationFailure.nonRetryable`. */
  nonRetryable?: boolean;
}

/** `input` of the `review` activity. */
export interface ReviewInput {
  /** When set, throw `needsReview(review)`: the node is held for a person. */
  review?: string;
  /** Anything: echoed back in the output. */
  [key: string]: unknown;
}

/** The output of `step`: what it was called with, so a test can check the calling convention. */
export interface StepOutput {
  nodeId: string;
  input: unknown;
  params: unknown;
  upstream: Record<string, unknown>;
}

/**
 * The test activities, recording into `recorder`:
 * - `step`: works `input.sleepMs` while heartbeating (so a cancel reaches it), then returns
 *   {@link StepOutput}. Records a cancellation when it sees one, cleans up for
 *   `input.cleanupMs`, and rethrows it.
 * - `flaky`: fails its first `input.failures` attempts with a plain Error, then returns `{ attempt }`.
 * - `fail`: always throws as `input` says ({@link FailInput}).
 * - `review`: throws `needsReview(input.review)` when `input.review` is set, else returns
 *   `{ reviewed: input }`.
 * - `produce`: reports `input.products` and `input.plots` through `call.report` (twice, to show a
 *   path is kept once), then returns `{ reported: n }`.
 */
export function createTestActivities(recorder: ActivityRecorder): Record<string, NodeFunction> {
  async function step(call: ActivityCall<StepInput | undefined>): Promise<StepOutput> {
    recorder.enter('step', call);
    const key = call.node.key;
    try {
      const total = call.input?.sleepMs ?? 0;
      const every = call.input?.heartbeatEveryMs ?? 200;
      const ctx = Context.current();
      let waited = 0;
      while (waited < total) {
        ctx.heartbeat({ waited });
        const chunk = Math.min(every, total - waited);
        await ctx.sleep(chunk);
        waited += chunk;
      }
      recorder.finished.push(key);
      return { nodeId: call.node.nodeId, input: call.input, params: call.params, upstream: call.upstream };
    } catch (err) {
      if (err instanceof CancelledFailure) {
        recorder.cancelled.push(key);
        const cleanup = call.input?.cleanupMs ?? 0;
        if (cleanup > 0) await new Promise((resolve) => setTimeout(resolve, cleanup));
      }
      throw err;
    } finally {
      recorder.leave(call);
    }
  }

  async function flaky(call: ActivityCall<FlakyInput>): Promise<{ attempt: number }> {
    recorder.enter('flaky', call);
    try {
      const attempt = Context.current().info.attempt;
      if (attempt <= call.input.failures) throw new Error(`flaky failure on attempt ${attempt}`);
      return { attempt };
    } finally {
      recorder.leave(call);
    }
  }

  async function fail(call: ActivityCall<FailInput>): Promise<never> {
    recorder.enter('fail', call);
    try {
      const { message, type, nonRetryable } = call.input;
      if (nonRetryable) throw ApplicationFailure.nonRetryable(message, type);
      if (type) throw ApplicationFailure.retryable(message, type);
      throw new Error(message);
    } finally {
      recorder.leave(call);
    }
  }

  async function produce(call: ActivityCall<ReportedPaths>): Promise<{ reported: number }> {
    recorder.enter('produce', call);
    try {
      call.report?.(call.input);
      call.report?.(call.input);
      return { reported: (call.input.products?.length ?? 0) + (call.input.plots?.length ?? 0) };
    } finally {
      recorder.leave(call);
    }
  }

  async function review(call: ActivityCall<ReviewInput | undefined>): Promise<{ reviewed: unknown }> {
    recorder.enter('review', call);
    try {
      if (call.input?.review) throw needsReview(call.input.review);
      return { reviewed: call.input ?? null };
    } finally {
      recorder.leave(call);
    }
  }

  /** `{ items: [0, 1, ..., n-1] }`: an array for a map node to go over. */
  async function range(call: ActivityCall<{ n: number }>): Promise<{ items: number[] }> {
    return { items: Array.from({ length: call.input.n }, (_, i) => i) };
  }

  /**
   * A map item: its square. Fails for good when the item is `input.failAt`; fails the first time
   * it is called in the run (whatever the attempt or round) when it is `input.flakyAt`; hangs
   * without heartbeating when it is `input.hangAt`.
   */
  async function square(
    call: ActivityCall<{ failAt?: number; flakyAt?: number; hangAt?: number; sleepMs?: number } | undefined>,
  ): Promise<number> {
    recorder.enter('square', call);
    try {
      const item = call.item as number;
      if (call.input?.sleepMs) await Context.current().sleep(call.input.sleepMs);
      if (item === call.input?.failAt) throw ApplicationFailure.nonRetryable(`cannot square ${item}`, 'BadItem');
      // Looked up only for the flaky item: the recorder holds every call of the file (100,000 in the scale test).
      const firstCall = (): boolean =>
        recorder.startsOf(call.node.runId, call.node.nodeId).filter((s) => s.index === call.index).length === 1;
      if (item === call.input?.flakyAt && firstCall()) throw ApplicationFailure.retryable(`flaky at ${item}`, 'Flaky');
      if (item === call.input?.hangAt) await Context.current().sleep(10_000);
      return item * item;
    } finally {
      recorder.leave(call);
    }
  }

  return { step, flaky, fail, produce, review, range, square } as Record<string, NodeFunction>;
}
