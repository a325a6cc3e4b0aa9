/**
 * Racing control actions against a live run: fire several at once through TapflowClient, wait
 * (bounded) for every answer, and judge the answers against the run's history, where Temporal
 * keeps the order in which the run accepted the updates (a refused update never reaches it).
 */
import type { Client } from '@temporalio/client';
import { ActionRefusedError } from '../../src/core/errors';
import type { TapflowClient } from '../../src/client';
import { RECORD_ACTIVITY } from '../../src/workflows/record-call';
import { delay, eventually } from './poll';

/** One action to fire at a run. */
export type RaceAction =
  | { kind: 'pause' | 'resume' | 'cancel' }
  | { kind: 'retry'; node: string; input?: unknown }
  | { kind: 'skip'; node: string; output?: unknown }
  | { kind: 'edit'; node: string; input: unknown }
  | { kind: 'rerun'; from: string };

/** How the run answered one fired action. */
export interface RaceOutcome {
  action: RaceAction;
  /** The request id sent (also Temporal's update id, and the store row's key). */
  requestId: string;
  accepted: boolean;
  /** The acknowledgement, when accepted. */
  ack?: unknown;
  /** The run's reason, when refused. */
  refusal?: string;
}

/** A short name of an action, for messages: `pause`, `retry(bad)`, `rerun(a)`. */
export function describeAction(action: RaceAction): string {
  switch (action.kind) {
    case 'retry':
    case 'skip':
    case 'edit':
      return `${action.kind}(${action.node})`;
    case 'rerun':
      return `rerun(${action.from})`;
    default:
      return action.kind;
  }
}

/** The reason a raced cancel gives, so the run's final reason tells which cancel it took. */
export function cancelReason(requestId: string): string {
  return `stop ${requestId}`;
}

function send(tf: TapflowClient, id: string, action: RaceAction, requestId: string): Promise<unknown> {
  const request = { requestId, by: 'racer' };
  switch (action.kind) {
    case 'pause':
      return tf.pause(id, request);
    case 'resume':
      return tf.resume(id, request);
    case 'cancel':
      return tf.cancel(id, { ...request, reason: cancelReason(requestId) });
    case 'retry':
      return tf.retry(id, action.node, 'input' in action ? { ...request, input: action.input } : request);
    case 'skip':
      return tf.skip(id, action.node, { ...request, output: action.output });
    case 'edit':
      return tf.edit(id, action.node, { ...request, input: action.input });
    case 'rerun':
      return tf.rerun(id, action.from, request);
  }
}

/**
 * Fires `actions` at run `id` all at once (action `i` after `staggerMs[i]` ms, default 0) and
 * waits for every answer, at most `timeoutMs`.
 *
 * @returns each action's outcome, in the order given.
 * @throws Error listing every action answered with anything but an acknowledgement or an
 *   {@link ActionRefusedError}, or naming the run when some answer did not come in time (a hang).
 */
export async function fireTogether(
  tf: TapflowClient,
  id: string,
  actions: readonly RaceAction[],
  { staggerMs = [], timeoutMs = 30_000 }: { staggerMs?: readonly number[]; timeoutMs?: number } = {},
): Promise<RaceOutcome[]> {
  const calls = actions.map(async (action, i): Promise<RaceOutcome> => {
    const requestId = `${id}#${i}-${action.kind}`;
    const wait = staggerMs[i] ?? 0;
    if (wait > 0) await delay(wait);
    try {
      return { action, requestId, accepted: true, ack: await send(tf, id, action, requestId) };
    } catch (err) {
      if (err instanceof ActionRefusedError) return { action, requestId, accepted: false, refusal: err.reason };
      throw new Error(`${describeAction(action)} [${requestId}] failed unexpectedly: ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
  });
  let results: PromiseSettledResult<RaceOutcome>[] | undefined;
  void Promise.allSettled(calls).then((settled) => {
    results = settled;
  });
  const settled = await eventually(`every one of ${actions.length} actions on ${id} to be answered`, () => results, {
    timeoutMs,
    intervalMs: 20,
  });
  const unexpected = settled.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  if (unexpected.length > 0) throw new Error(`unexpected errors racing on ${id}:\n${unexpected.join('\n')}`);
  return settled.map((r) => (r as PromiseFulfilledResult<RaceOutcome>).value);
}

/** What the run's history shows, in order: updates it accepted, and activities it scheduled. */
export type TimelineEntry =
  | { kind: 'accepted'; updateId: string; name: string }
  | { kind: 'scheduled'; activityId: string; activity: string };

/** The run's timeline from its history (the first execution; these runs never continue as new). */
export async function timelineOf(client: Client, id: string): Promise<TimelineEntry[]> {
  const history = await client.workflow.getHandle(id).fetchHistory();
  const entries: TimelineEntry[] = [];
  for (const event of history.events ?? []) {
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      entries.push({
        kind: 'accepted',
        updateId: accepted.acceptedRequest?.meta?.updateId ?? '',
        name: accepted.acceptedRequest?.input?.name ?? '',
      });
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      entries.push({ kind: 'scheduled', activityId: scheduled.activityId ?? '', activity: scheduled.activityType?.name ?? '' });
    }
  }
  return entries;
}

/** What {@link judgeRace} found. */
export interface RaceVerdict {
  /** The raced actions the run accepted, in the order it accepted them. */
  acceptedInOrder: RaceOutcome[];
  /** The raced cancel the run took, when it took one. */
  cancel?: RaceOutcome;
  /** Whether a pause is in force once the accepted actions have been taken (before any end). */
  pausedAfter: boolean;
  /** For each node, activities scheduled for it before the cancel was accepted (all of them without a cancel). */
  scheduledBeforeCancel: Map<string, number>;
  /** What broke the rules; empty when the race went by the state table. */
  problems: string[];
}

/**
 * Judges the outcomes of a race against the run's timeline, by the state table:
 * - a raced action is accepted exactly when its update is accepted in the history;
 * - after an accepted cancel no action is accepted and no node activity is scheduled;
 * - pauses and resumes accepted alternate (a pause only when none is in force, a resume only when
 *   one is), and no node activity is scheduled while a pause is in force;
 * - the input of a node in `pendingOnly` (never held) is edited only while a pause is in force;
 * - a refusal that says the run is cancelling or cancelled comes with an accepted cancel, and one
 *   that says it is already pausing or paused with a pause in force at some point.
 * Updates in the history that are not among `outcomes` (set-up before the race: a pause, say)
 * count in the model too.
 */
export function judgeRace(
  outcomes: readonly RaceOutcome[],
  timeline: readonly TimelineEntry[],
  { pendingOnly = [] }: { pendingOnly?: readonly string[] } = {},
): RaceVerdict {
  const problems: string[] = [];
  const byId = new Map(outcomes.map((o) => [o.requestId, o]));
  const acceptedIds = new Set(timeline.flatMap((e) => (e.kind === 'accepted' ? [e.updateId] : [])));
  for (const o of outcomes) {
    if (o.accepted !== acceptedIds.has(o.requestId)) {
      problems.push(`${describeAction(o.action)} [${o.requestId}] answered ${o.accepted ? 'accepted' : `refused (${o.refusal})`}, but history ${acceptedIds.has(o.requestId) ? 'accepted' : 'does not accept'} it`);
    }
  }
  const acceptedInOrder: RaceOutcome[] = [];
  const scheduledBeforeCancel = new Map<string, number>();
  let paused = false;
  let everPaused = false;
  let cancel: RaceOutcome | undefined;
  let cancelled = false;
  for (const entry of timeline) {
    if (entry.kind === 'scheduled') {
      if (entry.activity === RECORD_ACTIVITY) continue;
      if (cancelled) problems.push(`node "${entry.activityId}" was scheduled after the cancel was accepted`);
      else scheduledBeforeCancel.set(entry.activityId, (scheduledBeforeCancel.get(entry.activityId) ?? 0) + 1);
      if (paused) problems.push(`node "${entry.activityId}" was scheduled while a pause was in force`);
      continue;
    }
    const o = byId.get(entry.updateId);
    if (o) acceptedInOrder.push(o);
    const kind = o?.action.kind ?? entry.name;
    const what = o ? `${describeAction(o.action)} [${o.requestId}]` : `set-up ${entry.name} [${entry.updateId}]`;
    if (cancelled) problems.push(`${what} was accepted after the cancel`);
    switch (kind) {
      case 'pause':
        if (paused) problems.push(`${what} was accepted while a pause was in force`);
        paused = true;
        everPaused = true;
        break;
      case 'resume':
        if (!paused) problems.push(`${what} was accepted while no pause was in force`);
        paused = false;
        break;
      case 'cancel':
        cancelled = true;
        if (o) cancel = o;
        break;
      case 'edit':
        if (o?.action.kind === 'edit' && pendingOnly.includes(o.action.node) && !paused) problems.push(`${what} was accepted while no pause was in force`);
        break;
      default:
        break;
    }
  }
  for (const o of outcomes) {
    if (o.accepted) continue;
    const why = o.refusal ?? '';
    if (!why.startsWith(`cannot ${o.action.kind}`)) problems.push(`${describeAction(o.action)} was refused with "${why}"`);
    if (/being cancelled|\(cancelled\)/.test(why) && !cancelled) problems.push(`${describeAction(o.action)} was refused as cancelling ("${why}") though no cancel was accepted`);
    if (/already (pausing|paused)/.test(why) && !everPaused) problems.push(`${describeAction(o.action)} was refused as paused ("${why}") though no pause was in force`);
  }
  return { acceptedInOrder, ...(cancel ? { cancel } : {}), pausedAfter: paused, scheduledBeforeCancel, problems };
}
