/**
 * `tapflow schedule create|list|describe|pause|unpause|trigger|backfill|delete`: schedules of
 * registered pipelines on Temporal Schedules (see `control/schedules.ts`). `create` reads the
 * store's registry (the version to pin, or that the pipeline exists) and Temporal; the others only
 * Temporal.
 *
 * Exit codes: 0 done; 2 bad input (a malformed flag, a pipeline or version the registry does not
 * have, an unknown schedule, an id already taken); 1 Temporal or the store cannot be reached.
 */
import { formatPipelineRef } from '../core/pipeline-registry';
import {
  PipelineSchedules,
  type OverlapPolicyName,
  type ScheduleCreated,
  type ScheduledRun,
  type ScheduleJson,
  type ScheduleSummaryJson,
} from '../control/schedules';
import { parseTimeArg } from '../control/time-arg';
import type { TapflowClient } from '../client';
import { currentUser, parseJsonArg, print, printJson, withClient, type GlobalOptions } from './io';
import { printable } from './printable';
import { paint, table } from './render';
import { findRegistered, withRegistry } from './pipeline';

/** Options of `schedule create`, as commander gives them. */
export interface ScheduleCreateOptions extends GlobalOptions {
  pipeline: string;
  cron?: string;
  every?: string;
  input?: string;
  overlap?: string;
  catchupWindow?: string;
  jitter?: string;
  paused?: boolean;
  note?: string;
  tag?: string[];
  user?: string;
  priority?: string;
  timeout?: string;
  deadline?: string;
  onFailure?: string;
}

/** What `tapflow schedule create --json` prints. */
export type ScheduleCreateJson = ScheduleCreated;
/** What `tapflow schedule list --json` prints. */
export interface ScheduleListJson {
  schedules: ScheduleSummaryJson[];
}
/** What `tapflow schedule describe --json` prints. */
export type ScheduleDescribeJson = ScheduleJson;
/** What `tapflow schedule trigger --json` prints: the run it started, when one started within a few seconds. */
export interface ScheduleTriggerJson {
  id: string;
  run: ScheduledRun | null;
}

/** Makes a schedule of a registered pipeline. */
export async function scheduleCreateCommand(id: string, options: ScheduleCreateOptions): Promise<number> {
  const input = options.input === undefined ? undefined : parseJsonArg('--input', options.input);
  const run = {
    user: options.user ?? currentUser(),
    ...(options.tag?.length ? { tags: options.tag } : {}),
    ...(options.priority === undefined ? {} : { priority: Number(options.priority) }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure as 'fail' | 'hold' }),
  };
  const created = await withRegistry((store) =>
    withClient(options, (client) =>
      // The registry is read through the command's own reader, which refuses a spec it cannot decode.
      new PipelineSchedules(client.client, {
        taskQueue: client.taskQueue,
        registry: { get: (name, version) => findRegistered(store, name, version) },
      }).create({
        id,
        pipeline: options.pipeline,
        ...(options.cron === undefined ? {} : { cron: options.cron }),
        ...(options.every === undefined ? {} : { every: options.every }),
        ...(input === undefined ? {} : { input }),
        ...(options.overlap === undefined ? {} : { overlap: options.overlap as OverlapPolicyName }),
        ...(options.catchupWindow === undefined ? {} : { catchupWindow: options.catchupWindow }),
        ...(options.jitter === undefined ? {} : { jitter: options.jitter }),
        ...(options.paused ? { paused: true } : {}),
        ...(options.note === undefined ? {} : { note: options.note }),
        run,
      }),
    ),
  );
  if (options.json) {
    printJson(created satisfies ScheduleCreateJson);
    return 0;
  }
  const ref = created.version === 'latest' ? `${created.pipeline}@latest` : formatPipelineRef(created.pipeline, created.version);
  const lines = [`created schedule ${id}: ${ref}`];
  if (created.pinnedLatest) {
    lines.push(`pinned to version ${String(created.version)}, the latest now; --pipeline ${created.pipeline}@latest follows new versions`);
  } else if (created.version === 'latest') {
    lines.push('each firing starts the latest version at that time');
  }
  lines.push(created.nextRuns.length > 0 ? `next: ${created.nextRuns.slice(0, 3).map(shortTime).join(', ')}` : 'next: none (paused)');
  print(...lines.map(printable));
  return 0;
}

/** Lists tapflow's schedules. */
export async function scheduleListCommand(options: GlobalOptions): Promise<number> {
  const schedules = await withClient(options, (client) => schedulesOf(client).list());
  if (options.json) {
    printJson({ schedules } satisfies ScheduleListJson);
    return 0;
  }
  if (schedules.length === 0) {
    print('no schedules (make one: tapflow schedule create ID --pipeline NAME --every 1h)');
    return 0;
  }
  const tty = Boolean(process.stdout.isTTY);
  print(
    ...table(
      ['ID', 'PIPELINE', 'WHEN', 'NEXT', 'LAST RUN', 'STATE', 'PAUSED'],
      schedules.map((s) => [
        s.id,
        pipelineCell(s),
        whenCell(s),
        s.nextRuns[0] ? shortTime(s.nextRuns[0]) : '',
        s.lastRun?.runId ?? '',
        s.lastRun ? paint(s.lastRun.state, tty) : '',
        s.paused ? `yes${s.note ? `: ${s.note}` : ''}` : '',
      ]),
    ).map(printable),
  );
  return 0;
}

/** One schedule in full. */
export async function scheduleDescribeCommand(id: string, options: GlobalOptions): Promise<number> {
  const s = await withClient(options, (client) => schedulesOf(client).describe(id));
  if (options.json) {
    printJson(s satisfies ScheduleDescribeJson);
    return 0;
  }
  const tty = Boolean(process.stdout.isTTY);
  const lines = [
    `schedule   ${s.id}`,
    `pipeline   ${pipelineCell(s)}`,
    `when       ${whenCell(s)}${s.jitter ? ` (jitter up to ${s.jitter})` : ''}`,
    `overlap    ${s.overlap}; catch-up window ${s.catchupWindow}`,
    `state      ${s.paused ? `paused${s.note ? `: ${s.note}` : ''}` : 'active'}`,
    `next       ${s.nextRuns.slice(0, 3).map(shortTime).join(', ') || 'none'}`,
    `task queue ${s.taskQueue}`,
    `input      ${JSON.stringify(s.input)}`,
    `actions    ${s.actions.taken} taken, ${s.actions.skippedOverlap} skipped (overlap), ${s.actions.missedCatchupWindow} missed (catch-up window)`,
  ];
  print(...lines.map(printable));
  if (s.recentRuns.length > 0) {
    print('', ...table(['RUN', 'SCHEDULED', 'STARTED', 'STATE'], s.recentRuns.map((r) => [r.runId, shortTime(r.scheduledAt), shortTime(r.startedAt), paint(r.state, tty)])).map(printable));
  }
  return 0;
}

/** Pauses a schedule. */
export async function schedulePauseCommand(id: string, options: GlobalOptions & { reason?: string; user?: string }): Promise<number> {
  const reason = options.reason ?? `paused by ${options.user ?? currentUser()}`;
  await withClient(options, (client) => schedulesOf(client).pause(id, reason));
  return said(options, { id, paused: true, note: reason }, `paused schedule ${id}: ${reason}`);
}

/** Unpauses a schedule. */
export async function scheduleUnpauseCommand(id: string, options: GlobalOptions & { reason?: string; user?: string }): Promise<number> {
  const reason = options.reason ?? `unpaused by ${options.user ?? currentUser()}`;
  await withClient(options, (client) => schedulesOf(client).unpause(id, reason));
  return said(options, { id, paused: false, note: reason }, `unpaused schedule ${id}`);
}

/** Fires a schedule now. */
export async function scheduleTriggerCommand(id: string, options: GlobalOptions & { overlap?: string }): Promise<number> {
  const run = await withClient(options, (client) =>
    schedulesOf(client).trigger(id, options.overlap === undefined ? {} : { overlap: options.overlap as OverlapPolicyName }),
  );
  const out: ScheduleTriggerJson = { id, run };
  return said(options, out, run ? `triggered schedule ${id}: started ${run.runId}` : `triggered schedule ${id}: no run started yet (its overlap policy may have skipped it)`);
}

/** Starts the runs a schedule would have started in a past window. */
export async function scheduleBackfillCommand(id: string, options: GlobalOptions & { from: string; to: string; overlap?: string }): Promise<number> {
  const now = new Date();
  const from = parseTimeArg('--from', options.from, now);
  const to = parseTimeArg('--to', options.to, now);
  await withClient(options, (client) =>
    schedulesOf(client).backfill(id, from, to, options.overlap === undefined ? {} : { overlap: options.overlap as OverlapPolicyName }),
  );
  return said(options, { id, from: from.toISOString(), to: to.toISOString() }, `backfilling schedule ${id} from ${from.toISOString()} to ${to.toISOString()}`);
}

/** Deletes a schedule. */
export async function scheduleDeleteCommand(id: string, options: GlobalOptions): Promise<number> {
  await withClient(options, (client) => schedulesOf(client).delete(id));
  return said(options, { id, deleted: true }, `deleted schedule ${id} (its runs are kept)`);
}

function schedulesOf(client: TapflowClient): PipelineSchedules {
  return client.schedules;
}

function said(options: GlobalOptions, json: object, line: string): number {
  if (options.json) printJson(json);
  else print(printable(line));
  return 0;
}

function pipelineCell(s: ScheduleSummaryJson): string {
  if (s.pipeline === null) return '?';
  return s.version === null ? s.pipeline : `${s.pipeline}@${String(s.version)}`;
}

function whenCell(s: ScheduleSummaryJson): string {
  if (s.cron !== null) return `cron ${s.cron}`;
  if (s.every !== null) return `every ${s.every}`;
  return '';
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}
