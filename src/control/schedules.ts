/**
 * Schedules of registered pipelines, on Temporal Schedules: a schedule starts ordinary tapflow
 * runs (recorded, controllable, searchable by schedule) on a cron expression or an interval.
 *
 * A schedule's action has fixed arguments, so which version it runs is decided when it is made:
 * - `NAME@3` runs version 3; `NAME` alone pins the latest version at creation (and says which);
 *   the action starts `pipelineWorkflow` with that spec.
 * - `NAME@latest` follows new versions: the action starts `launchPipelineWorkflow`, which looks
 *   the latest version up when it fires and continues as new into `pipelineWorkflow` (same id).
 *
 * Each run's id is the schedule's id and the time it was scheduled for (Temporal appends it), its
 * `meta.scheduleId` the schedule's id. What tapflow needs to show a schedule (the pipeline, the
 * version, the cron text or interval as written) is kept in the schedule's memo, since Temporal
 * gives a cron expression back only as calendar fields.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError as TemporalScheduleNotFound,
  type Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleHandle,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import { durationText, parseDuration } from '../core/duration';
import { PipelineNotFoundError, ScheduleExistsError, ScheduleNotFoundError, UsageError } from '../core/errors';
import { parsePipelineRef, type PipelineRegistry } from '../core/pipeline-registry';
import { assertPayloadFits } from '../core/payload-limit';
import { checkRunId } from '../core/run-text';
import { initialRunState } from '../core/concurrency';
import {
  LAUNCH_PIPELINE_WORKFLOW_TYPE,
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
  type LaunchPipelineInput,
  type PipelineRunInput,
  type RunMeta,
} from '../workflows/definitions';
import { runMeta, type RunMetaOptions } from './run-meta';
import { endedByTemporal } from './temporal-end';

/** What a new firing does while the schedule's last run is still going (Temporal's overlap policy). */
export type OverlapPolicyName = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'allow-all';

/** The overlap policies a schedule may be given, as the command line and the API name them. */
export const OVERLAP_POLICIES: readonly OverlapPolicyName[] = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'allow-all'];

const TO_TEMPORAL: Record<OverlapPolicyName, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'allow-all': 'ALLOW_ALL',
};

/** The shortest interval and catch-up window Temporal takes. */
const MIN_EVERY_MS = 1000;
const MIN_CATCHUP_MS = 10_000;

/** Options of {@link PipelineSchedules.create}. */
export interface CreateScheduleOptions {
  /** The schedule's id; its runs are `<id>-<scheduled time>`. */
  id: string;
  /** `NAME` (the latest version now, pinned), `NAME@3`, or `NAME@latest` (the latest at each firing). */
  pipeline: string;
  /** A cron expression (5 fields, or 6 with seconds; `CRON_TZ=` may lead). Give this or `every`. */
  cron?: string;
  /** An interval (`30s`, `15m`, `1d`). Give this or `cron`. */
  every?: string;
  /** Each run's input (`params`). */
  input?: unknown;
  /** Default: `skip` (a firing while the last run is still going starts nothing). */
  overlap?: OverlapPolicyName;
  /** How late a missed firing (the server was down) may still start. Default: Temporal's, one year. */
  catchupWindow?: string;
  /** Each firing is delayed by a random time up to this. Default: none. */
  jitter?: string;
  /** Make it paused, with this note. */
  paused?: boolean;
  /** A note shown with the schedule (why it was paused). */
  note?: string;
  /** Task queue of its runs. Default: the client's. */
  taskQueue?: string;
  /** Metadata each run carries (tags, user, priority, timeout, deadline, onFailure). */
  run?: Omit<RunMetaOptions, 'id' | 'idempotencyKey' | 'pipelineVersion'>;
}

/** What {@link PipelineSchedules.create} made. */
export interface ScheduleCreated {
  id: string;
  pipeline: string;
  /** The version its runs start: a number (pinned), or `latest` (looked up at each firing). */
  version: number | 'latest';
  /** Whether the version was pinned because none was named (`NAME` alone): say so to the user. */
  pinnedLatest: boolean;
  /** The next times it fires (ISO-8601). */
  nextRuns: string[];
}

/** One run a schedule started. */
export interface ScheduledRun {
  /** The run id (workflow id). */
  runId: string;
  /** The time it was scheduled for (ISO-8601). */
  scheduledAt: string;
  /** When the schedule started it (ISO-8601). */
  startedAt: string;
  /** Its state as Temporal shows it now (`TapflowState`; `terminated` when Temporal ended it); `unknown` once Temporal has dropped it. */
  state: string;
}

/** A schedule as `tapflow schedule list --json` prints it and `GET /api/schedules` lists it. */
export interface ScheduleSummaryJson {
  id: string;
  /** The pipeline's name; `null` for a schedule of `pipelineWorkflow` tapflow did not make. */
  pipeline: string | null;
  version: number | 'latest' | null;
  /** The cron expression, as written; `null` for an interval. */
  cron: string | null;
  /** The interval, as a duration; `null` for a cron expression. */
  every: string | null;
  paused: boolean;
  /** The schedule's note (why it was paused). */
  note: string | null;
  /** The next times it fires (ISO-8601), soonest first. */
  nextRuns: string[];
  /** The last run it started, with its state; `null` before the first. */
  lastRun: ScheduledRun | null;
}

/** A schedule as `tapflow schedule describe --json` prints it and `GET /api/schedules/:id` answers. */
export interface ScheduleJson extends ScheduleSummaryJson {
  overlap: OverlapPolicyName | string;
  catchupWindow: string;
  jitter: string | null;
  /** Each run's input. */
  input: unknown;
  taskQueue: string;
  /** The runs it started most recently (Temporal keeps the last 10), oldest first. */
  recentRuns: ScheduledRun[];
  /** Runs it started that are still going. */
  running: string[];
  actions: { taken: number; skippedOverlap: number; missedCatchupWindow: number };
  createdAt: string;
  updatedAt: string | null;
}

/** What tapflow keeps in a schedule's memo. */
interface ScheduleMemo {
  pipeline: string;
  version: number | 'latest';
  cron?: string;
  every?: string;
}

const MEMO_KEY = 'tapflow';
const SCHEDULED_TYPES = new Set([PIPELINE_WORKFLOW_TYPE, LAUNCH_PIPELINE_WORKFLOW_TYPE]);

/** See the module comment. `TapflowClient.schedules` gives one. */
export class PipelineSchedules {
  constructor(
    private readonly client: Client,
    private readonly options: { registry?: PipelineRegistry; taskQueue: string },
  ) {}

  /**
   * Makes a schedule.
   *
   * @throws {UsageError} for a bad id, a missing or doubled `cron`/`every`, a bad duration or overlap
   *   policy, a cron expression Temporal refuses, bad run metadata, or a client without a registry.
   * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
   * @throws {ScheduleExistsError} when a schedule has this id.
   */
  async create(options: CreateScheduleOptions): Promise<ScheduleCreated> {
    const id = checkRunId(options.id, 'schedule id');
    const timing = readTiming(options);
    const overlap = readOverlap(options.overlap);
    const catchupWindow = options.catchupWindow === undefined ? undefined : readDuration('catchup window', options.catchupWindow, MIN_CATCHUP_MS);
    const jitter = options.jitter === undefined ? undefined : readDuration('jitter', options.jitter, 1);
    const meta: RunMeta = runMeta(options.run ?? {});
    // The run's creation time is its start, not the schedule's.
    delete meta.createdAt;
    meta.scheduleId = id;

    const followsLatest = /@latest$/.test(options.pipeline.trim());
    const ref = parsePipelineRef(options.pipeline.trim());
    const registry = this.options.registry;
    if (!registry) throw new UsageError('this client has no pipeline registry: give it one (registry: new StorePipelineRegistry(pool) from tapflow/store)');
    const found = await registry.get(ref.name, ref.version);
    if (!found) throw new PipelineNotFoundError(ref.name, ref.version);

    const version: number | 'latest' = followsLatest ? 'latest' : found.version;
    let workflowType: string;
    let args: PipelineRunInput | LaunchPipelineInput;
    if (followsLatest) {
      workflowType = LAUNCH_PIPELINE_WORKFLOW_TYPE;
      args = { pipeline: ref.name, meta };
    } else {
      workflowType = PIPELINE_WORKFLOW_TYPE;
      args = { spec: found.spec, meta: { ...meta, pipelineVersion: found.version } };
    }
    if (options.input !== undefined) args.params = options.input;
    assertPayloadFits("the schedule's runs' start (the spec, input and metadata)", args);

    const memo: ScheduleMemo = { pipeline: ref.name, version, ...timing.memo };
    try {
      const handle = await this.client.schedule.create({
        scheduleId: id,
        spec: { ...timing.spec, ...(jitter === undefined ? {} : { jitter }) },
        action: {
          type: 'startWorkflow',
          workflowType,
          workflowId: id,
          taskQueue: options.taskQueue ?? this.options.taskQueue,
          args: [args],
          // A launch has no state of its own yet: the pipeline workflow it becomes sets it.
          typedSearchAttributes: followsLatest
            ? [{ key: PIPELINE_SEARCH_ATTRIBUTE, value: ref.name }]
            : [
                { key: PIPELINE_SEARCH_ATTRIBUTE, value: ref.name },
                { key: STATE_SEARCH_ATTRIBUTE, value: initialRunState(found.spec) },
                { key: PROGRESS_SEARCH_ATTRIBUTE, value: 0 },
              ],
          staticSummary: `tapflow pipeline ${ref.name} (schedule ${id})`,
          ...(meta.priority === undefined ? {} : { priority: { priorityKey: meta.priority } }),
        },
        policies: { overlap: TO_TEMPORAL[overlap], ...(catchupWindow === undefined ? {} : { catchupWindow }) },
        state: { paused: options.paused === true, ...(options.note === undefined ? {} : { note: options.note }) },
        memo: { [MEMO_KEY]: memo },
        typedSearchAttributes: [{ key: PIPELINE_SEARCH_ATTRIBUTE, value: ref.name }],
      });
      const description = await handle.describe();
      return {
        id,
        pipeline: ref.name,
        version: followsLatest ? 'latest' : found.version,
        pinnedLatest: !followsLatest && ref.version === undefined,
        nextRuns: description.info.nextActionTimes.map((t) => t.toISOString()),
      };
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) throw new ScheduleExistsError(id);
      // The SDK checks a cron expression's fields itself (a TypeError), the server the rest.
      if (err instanceof TypeError || isInvalidArgument(err)) throw new UsageError(`the schedule was refused by Temporal: ${firstLine(err)}`);
      throw err;
    }
  }

  /** Every schedule of tapflow's workflows, by id, with its next fire times and last run. */
  async list(): Promise<ScheduleSummaryJson[]> {
    const rows: ScheduleSummaryJson[] = [];
    const lastRuns: Array<Promise<ScheduledRun | null>> = [];
    for await (const summary of this.client.schedule.list()) {
      if (!summary.action || !SCHEDULED_TYPES.has(summary.action.workflowType)) continue;
      const memo = memoOf(summary.memo);
      rows.push({
        id: summary.scheduleId,
        pipeline: memo?.pipeline ?? null,
        version: memo?.version ?? null,
        cron: memo?.cron ?? null,
        every: memo?.every ?? null,
        paused: summary.state.paused,
        note: summary.state.note || null,
        nextRuns: summary.info.nextActionTimes.map((t) => t.toISOString()),
        lastRun: null,
      });
      const last = summary.info.recentActions.at(-1);
      lastRuns.push(last ? this.scheduledRun(last) : Promise.resolve(null));
    }
    const found = await Promise.all(lastRuns);
    rows.forEach((row, i) => (row.lastRun = found[i] ?? null));
    return rows.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * One schedule in full: its timing and policies, each run's input, its recent runs with their
   * states, the counts of actions taken and missed.
   *
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async describe(id: string): Promise<ScheduleJson> {
    const d = await this.withSchedule(id, (h) => h.describe());
    const memo = memoOf(d.memo);
    const arg = (d.action.args?.[0] ?? {}) as Partial<PipelineRunInput & LaunchPipelineInput>;
    const recentRuns = await Promise.all(d.info.recentActions.map((a) => this.scheduledRun(a)));
    const every = d.spec.intervals?.[0]?.every;
    return {
      id,
      pipeline: memo?.pipeline ?? arg.spec?.name ?? arg.pipeline ?? null,
      version: memo?.version ?? arg.meta?.pipelineVersion ?? null,
      cron: memo?.cron ?? null,
      every: memo?.every ?? (typeof every === 'number' ? durationText(every) : null),
      paused: d.state.paused,
      note: d.state.note || null,
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      lastRun: recentRuns.at(-1) ?? null,
      overlap: fromTemporalOverlap(d.policies.overlap),
      catchupWindow: durationText(d.policies.catchupWindow),
      jitter: d.spec.jitter ? durationText(d.spec.jitter) : null,
      input: arg.params ?? null,
      taskQueue: d.action.taskQueue,
      recentRuns,
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
      actions: {
        taken: d.info.numActionsTaken,
        skippedOverlap: d.info.numActionsSkippedOverlap,
        missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      },
      createdAt: d.info.createdAt.toISOString(),
      updatedAt: d.info.lastUpdatedAt?.toISOString() ?? null,
    };
  }

  /**
   * Pauses a schedule: it fires no more until unpaused (runs already started go on).
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async pause(id: string, reason?: string): Promise<void> {
    await this.withSchedule(id, (h) => h.pause(reason ?? 'paused with tapflow'));
  }

  /**
   * Unpauses a schedule; firings missed while paused are not made up.
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async unpause(id: string, reason?: string): Promise<void> {
    await this.withSchedule(id, (h) => h.unpause(reason ?? 'unpaused with tapflow'));
  }

  /**
   * Fires a schedule now, whatever its timing (a paused one too), and waits a few seconds for the
   * run it starts.
   *
   * @param overlap what to do if its last run is still going. Default: `allow-all` (start anyway),
   *   as Temporal does for a manual trigger.
   * @returns the run started, when it appeared within `waitMs`; `null` when the overlap policy
   *   started none (or not yet).
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async trigger(id: string, options: { overlap?: OverlapPolicyName; waitMs?: number } = {}): Promise<ScheduledRun | null> {
    const overlap = options.overlap === undefined ? undefined : TO_TEMPORAL[readOverlap(options.overlap)];
    const before = await this.withSchedule(id, (h) => h.describe());
    await this.withSchedule(id, (h) => h.trigger(overlap));
    const deadline = Date.now() + (options.waitMs ?? 5000);
    for (;;) {
      const now = await this.withSchedule(id, (h) => h.describe());
      const taken = newestAfter(now, before.info.numActionsTaken);
      if (taken) return this.scheduledRun(taken);
      if (Date.now() >= deadline) return null;
      await sleep(200);
    }
  }

  /**
   * Starts the runs the schedule would have started between `from` and `to` (both past), as if it
   * had fired then; each run's scheduled time is the time it stands for.
   *
   * @param overlap what to do when those runs overlap each other or a running one. Default: the
   *   schedule's own policy.
   * @throws {UsageError} when `from` is not before `to`.
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async backfill(id: string, from: Date, to: Date, options: { overlap?: OverlapPolicyName } = {}): Promise<void> {
    if (!(from.getTime() < to.getTime())) {
      throw new UsageError(`backfill: from (${from.toISOString()}) must be before to (${to.toISOString()})`);
    }
    const overlap = options.overlap === undefined ? undefined : TO_TEMPORAL[readOverlap(options.overlap)];
    await this.withSchedule(id, (h) => h.backfill({ start: from, end: to, ...(overlap ? { overlap } : {}) }));
  }

  /**
   * Deletes a schedule; the runs it started stay as they are.
   * @throws {ScheduleNotFoundError} when no schedule has this id.
   */
  async delete(id: string): Promise<void> {
    await this.withSchedule(id, (h) => h.delete());
  }

  private async withSchedule<T>(id: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client.schedule.getHandle(id));
    } catch (err) {
      if (err instanceof TemporalScheduleNotFound) throw new ScheduleNotFoundError(id);
      throw err;
    }
  }

  /** A run the schedule started, with its state now. */
  private async scheduledRun(action: ScheduleExecutionResult): Promise<ScheduledRun> {
    const runId = action.action.workflow.workflowId;
    return {
      runId,
      scheduledAt: action.scheduledAt.toISOString(),
      startedAt: action.takenAt.toISOString(),
      state: await this.runState(runId),
    };
  }

  /** The run's state by Temporal's view of it: the rule `tapflow list` follows. */
  private async runState(runId: string): Promise<string> {
    try {
      const d = await this.client.workflow.getHandle(runId).describe();
      if (endedByTemporal(d.status.name)) return 'terminated';
      return d.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE) ?? d.status.name.toLowerCase();
    } catch {
      return 'unknown';
    }
  }
}

/** The schedule's timing: its Temporal spec and what the memo keeps of it as written. */
function readTiming(options: Pick<CreateScheduleOptions, 'cron' | 'every'>): {
  spec: { cronExpressions: string[] } | { intervals: Array<{ every: number }> };
  memo: Pick<ScheduleMemo, 'cron' | 'every'>;
} {
  const cron = options.cron?.trim();
  const every = options.every?.trim();
  if ((cron === undefined || cron === '') === (every === undefined || every === '')) {
    throw new UsageError('give the schedule either a cron expression (cron) or an interval (every), one of them');
  }
  if (cron) {
    // The server reads the expression; this catches what it would misread as another field count.
    const fields = cron.replace(/^(CRON_TZ|TZ)=\S+\s+/, '').split(/\s+/);
    if (!cron.startsWith('@') && (fields.length < 5 || fields.length > 7)) {
      throw new UsageError(`cron: "${cron}" is not a cron expression: five fields (minute hour day month weekday), e.g. "0 3 * * *"`);
    }
    return { spec: { cronExpressions: [cron] }, memo: { cron } };
  }
  const ms = readDuration('every', every as string, MIN_EVERY_MS);
  return { spec: { intervals: [{ every: ms }] }, memo: { every: every as string } };
}

function readDuration(name: string, text: string, min: number): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${name}: "${text}" is not a duration (30s, 15m, 2h, 1d)`);
  if (ms < min) throw new UsageError(`${name}: "${text}" is shorter than Temporal allows (${durationText(min)})`);
  return ms;
}

function readOverlap(value: string | undefined): OverlapPolicyName {
  if (value === undefined) return 'skip';
  if (!(OVERLAP_POLICIES as readonly string[]).includes(value)) {
    throw new UsageError(`overlap: "${value}" is not a policy; one of ${OVERLAP_POLICIES.join(', ')}`);
  }
  return value as OverlapPolicyName;
}

function fromTemporalOverlap(policy: ScheduleOverlapPolicy | undefined): OverlapPolicyName | string {
  if (policy === undefined) return 'skip';
  const found = Object.entries(TO_TEMPORAL).find(([, temporal]) => temporal === policy);
  return found ? found[0] : policy.toLowerCase().replace(/_/g, '-');
}

function memoOf(memo: Record<string, unknown> | undefined): ScheduleMemo | undefined {
  const value = memo?.[MEMO_KEY] as ScheduleMemo | undefined;
  return value && typeof value.pipeline === 'string' ? value : undefined;
}

/** The newest action past the first `taken` the schedule had taken. */
function newestAfter(d: ScheduleDescription, taken: number): ScheduleExecutionResult | undefined {
  return d.info.numActionsTaken > taken ? d.info.recentActions.at(-1) : undefined;
}

function isInvalidArgument(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 3 || e?.cause?.code === 3 || (err instanceof Error && /INVALID_ARGUMENT/i.test(err.message));
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? message).replace(/^\d+ INVALID_ARGUMENT: /, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
