/**
 * The run reconciler: makes the store say what Temporal did to runs behind the workflow's back.
 *
 * A terminate or an execution timeout closes a run's execution without its code running again, so
 * the run never writes its end; a reset ends one execution and goes on in a new one. Workers with a
 * store start a reconciler (`createWorker`); of all of them, the one holding a PostgreSQL advisory
 * lock sweeps, every {@link DEFAULT_SWEEP_EVERY_MS}:
 * - executions closed Terminated or TimedOut since the last sweep (a visibility query on close
 *   time, with a margin for visibility's lag): a run whose row has not ended (or follows an older
 *   execution) is written `terminated` with Temporal's reason, finished at the close time, its
 *   running nodes and attempt rows closed (attempts as reconciled). One terminated by a reset
 *   instead is written as the newest execution has it, and a `reset` control action is recorded.
 * - executions started since the last sweep whose run's row follows an older execution that a
 *   reset replaced (a reset of a run that had already ended): the same `reset` record.
 * Every write is idempotent, so a sweep that overlaps another, or repeats, changes nothing twice.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Pool, PoolClient } from 'pg';
import { isFinal, type RunStatus } from '../core/states';
import type { Queryable } from '../store/pool';
import { closeOpenAttempts } from '../store/sql/close-open-attempts';
import { insertControlAction } from '../store/sql/insert-control-action';
import { listRunExecutions, type RunExecution } from '../store/sql/list-run-executions';
import { upsertRun } from '../store/sql/upsert-run';
import type { StoreValueCodec } from '../store/value-codec';
import { PIPELINE_WORKFLOW_TYPE, STATE_SEARCH_ATTRIBUTE, statusQuery } from '../workflows/definitions';
import { ENDED_BY_TEMPORAL_QUERY, endNodes, readTemporalEnd, resetReasonOf } from './temporal-end';

/** How often the lock holder sweeps, in ms. */
export const DEFAULT_SWEEP_EVERY_MS = 15_000;
/** How far before the last sweep a sweep looks again, for visibility's lag, in ms. */
export const DEFAULT_MARGIN_MS = 60_000;
/** How far back the first sweep of a lock holder looks, in ms (runs ended while no worker ran). */
export const DEFAULT_LOOKBACK_MS = 24 * 3600_000;

/**
 * The advisory lock's two keys (`pg_try_advisory_lock(int, int)`): "tapf" and 1, so the lock is
 * tapflow's own and cannot clash with an application's single-key locks on the same database.
 */
const LOCK_KEYS = [0x74617066, 1] as const;

/** Options of a {@link RunReconciler}. */
export interface RunReconcilerOptions {
  /** A Temporal client on the workers' namespace. */
  client: Client;
  /** The store's pool: the lock takes one connection of it for as long as it is held. */
  pool: Pool;
  /** How run values are kept (a `reset` action's details). Default: as they are. */
  valueCodec?: StoreValueCodec;
  /** Default: {@link DEFAULT_SWEEP_EVERY_MS}. */
  everyMs?: number;
  /** Default: {@link DEFAULT_MARGIN_MS}. */
  marginMs?: number;
  /** Default: {@link DEFAULT_LOOKBACK_MS}. */
  lookbackMs?: number;
  /** How long a status query of a reset run may wait for a worker, in ms. Default: 5,000. */
  queryTimeoutMs?: number;
  /** Where a failed sweep is reported, once until one succeeds again. Default: stderr. */
  warn?: (message: string) => void;
}

/** What one sweep did. */
export interface SweepOutcome {
  /** Whether this reconciler held the lock and swept. */
  swept: boolean;
  /** Runs written `terminated`. */
  terminated: string[];
  /** Runs found reset, written as their newest execution has them. */
  reset: string[];
}

/** One closed or started execution, as visibility lists it. */
interface Execution {
  workflowId: string;
  runId: string;
  status: string;
  startTime: Date;
  closeTime?: Date;
}

/** See the module comment. */
export class RunReconciler {
  private lock: PoolClient | undefined;
  private onLockError: ((err: Error) => void) | undefined;
  private lastSweep: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private failing = false;
  private stopped = false;
  /** Executions whose reset this reconciler has followed, by close time: later sweeps skip them. */
  private readonly handled = new Map<string, Date>();

  constructor(private readonly options: RunReconcilerOptions) {}

  /** Whether this reconciler holds the lock (and so is the one that sweeps). */
  get holdsLock(): boolean {
    return this.lock !== undefined;
  }

  /** Sweeps now (if it can take the lock) and then every `everyMs`; the timer never keeps the process alive. */
  start(): void {
    this.stopped = false;
    const tick = (): void => {
      this.turn = this.sweep().catch((err: unknown) => this.report(err));
    };
    tick();
    this.timer = setInterval(tick, this.options.everyMs ?? DEFAULT_SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** Stops sweeping, waits for a sweep under way, and gives the lock up. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.turn;
    await this.release();
  }

  /**
   * One sweep, if this reconciler holds the lock or can take it now; otherwise nothing.
   *
   * @throws Temporal's or the store's error; the lock is given up when its connection failed.
   */
  async sweep(): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { swept: false, terminated: [], reset: [] };
    if (this.stopped || !(await this.takeLock())) return outcome;
    const db = this.lock as PoolClient;
    const now = new Date();
    const since = new Date(
      this.lastSweep
        ? this.lastSweep.getTime() - (this.options.marginMs ?? DEFAULT_MARGIN_MS)
        : now.getTime() - (this.options.lookbackMs ?? DEFAULT_LOOKBACK_MS),
    );
    try {
      await this.sweepClosed(db, since, outcome);
      await this.sweepStarted(db, since, outcome);
    } catch (err) {
      await this.release(err);
      throw err;
    }
    this.lastSweep = now;
    for (const [runId, closedAt] of this.handled) if (closedAt < since) this.handled.delete(runId);
    outcome.swept = true;
    this.failing = false;
    return outcome;
  }

  /** Executions Temporal terminated or timed out since `since`. */
  private async sweepClosed(db: Queryable, since: Date, outcome: SweepOutcome): Promise<void> {
    const closed = await this.list(
      `WorkflowType = "${PIPELINE_WORKFLOW_TYPE}" AND ${ENDED_BY_TEMPORAL_QUERY} AND CloseTime > "${since.toISOString()}"`,
    );
    const rows = await listRunExecutions(db, closed.map((e) => e.workflowId));
    for (const execution of closed.sort((a, b) => (a.closeTime?.getTime() ?? 0) - (b.closeTime?.getTime() ?? 0))) {
      const row = rows.get(execution.workflowId);
      // A run the store never heard of (its worker had no store, or it ended before its first write).
      if (!row || this.handled.has(execution.runId)) continue;
      if (row.state === 'terminated' && (row.executionRunId ?? execution.runId) === execution.runId) continue;
      const end = await readTemporalEnd(this.options.client, execution.workflowId, execution.runId, execution.status);
      if (end.byReset) {
        const latest = await this.options.client.workflow.getHandle(execution.workflowId).describe();
        if (latest.runId !== execution.runId) {
          await this.followReset(db, row, execution, latest, end.reason);
          this.handled.set(execution.runId, execution.closeTime ?? new Date());
          outcome.reset.push(execution.workflowId);
          continue;
        }
      }
      // The row ended by itself in this execution, or follows a later one: nothing to say.
      if ((isFinal(row.state) && row.executionRunId === execution.runId) || followsLater(row, execution)) continue;
      const closedAt = execution.closeTime ?? new Date();
      const written = await upsertRun(db, {
        workflowId: execution.workflowId,
        pipeline: row.pipeline,
        state: 'terminated',
        reason: end.reason,
        finishedAt: closedAt,
        executionRunId: execution.runId,
        executionStartedAt: execution.startTime,
        ...(row.nodes ? { nodes: endNodes(row.nodes, closedAt.toISOString()) } : {}),
      });
      await closeOpenAttempts(db, execution.workflowId, closedAt, `the run was terminated: ${end.reason}`);
      if (written !== 'unchanged') outcome.terminated.push(execution.workflowId);
    }
  }

  /**
   * Executions started since `since` whose run's row follows another execution that is closed
   * but not continued as new: a reset of a run that had ended (the reset of a running one is
   * found among the closed, as its terminate).
   */
  private async sweepStarted(db: Queryable, since: Date, outcome: SweepOutcome): Promise<void> {
    const started = await this.list(
      `WorkflowType = "${PIPELINE_WORKFLOW_TYPE}" AND ExecutionStatus = "Running" AND StartTime > "${since.toISOString()}"`,
    );
    const rows = await listRunExecutions(db, started.map((e) => e.workflowId));
    for (const execution of started) {
      const row = rows.get(execution.workflowId);
      if (!row?.executionRunId || row.executionRunId === execution.runId || followsLater(row, execution)) continue;
      if (outcome.reset.includes(execution.workflowId)) continue;
      const latest = await this.options.client.workflow.getHandle(execution.workflowId).describe();
      const resetAt = latest.raw.workflowExtendedInfo?.lastResetTime;
      if (latest.runId !== execution.runId || !resetAt) continue;
      const previous = await this.options.client.workflow.getHandle(execution.workflowId, row.executionRunId).describe();
      if (previous.status.name === 'RUNNING' || previous.status.name === 'CONTINUED_AS_NEW') continue;
      const reason = await resetReasonOf(this.options.client, execution.workflowId, execution.runId);
      await this.followReset(db, row, { workflowId: execution.workflowId, runId: row.executionRunId }, latest, reason);
      outcome.reset.push(execution.workflowId);
    }
  }

  /**
   * Writes the run as its newest execution has it (the `status` query; the state alone from
   * `TapflowState` when no worker answers) and records the reset.
   */
  private async followReset(
    db: Queryable,
    row: RunExecution,
    replaced: Pick<Execution, 'workflowId' | 'runId' | 'closeTime'> & { startTime?: Date },
    latest: { runId: string; startTime: Date; status: { name: string }; typedSearchAttributes: WorkflowExecutionInfo['typedSearchAttributes'] },
    reason: string,
  ): Promise<void> {
    const codec = this.options.valueCodec;
    const details = { fromRunId: replaced.runId, toRunId: latest.runId };
    await insertControlAction(db, {
      workflowId: replaced.workflowId,
      requestId: `reset:${replaced.runId}`,
      action: 'reset',
      requestedBy: 'temporal',
      reason,
      ...(replaced.closeTime ? { requestedAt: replaced.closeTime } : {}),
      accepted: true,
      details: codec?.encodes ? await codec.encode(details) : details,
    });
    // A newest execution that has ended already wrote its own end.
    if (latest.status.name !== 'RUNNING') return;
    if (row.executionRunId === null && replaced.startTime) {
      // A row whose writer did not name its execution is first tied to the one the reset replaced,
      // so the newest execution's write below counts as newer (and its seq starts over).
      await upsertRun(db, {
        workflowId: replaced.workflowId,
        pipeline: row.pipeline,
        state: row.state,
        executionRunId: replaced.runId,
        executionStartedAt: replaced.startTime,
      });
    }
    const status = await this.queryStatus(replaced.workflowId, latest.runId);
    const state = status?.state ?? latest.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE) ?? 'running';
    await upsertRun(db, {
      workflowId: replaced.workflowId,
      pipeline: row.pipeline,
      state: state as RunStatus['state'],
      executionRunId: latest.runId,
      executionStartedAt: latest.startTime,
      ...(status?.reason ? { reason: status.reason } : {}),
      ...(status
        ? {
            nodes: status.nodes,
            progressCompleted: status.progress.completed,
            progressSkipped: status.progress.skipped ?? 0,
            progressTotal: status.progress.total,
          }
        : {}),
    });
  }

  private async queryStatus(workflowId: string, runId: string): Promise<RunStatus | undefined> {
    const { client } = this.options;
    const deadline = Date.now() + (this.options.queryTimeoutMs ?? 5_000);
    try {
      return await client.connection.withDeadline(deadline, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
    } catch {
      // No worker answered: the state from the search attributes will do until the run writes.
      return undefined;
    }
  }

  private async list(query: string): Promise<Execution[]> {
    const out: Execution[] = [];
    for await (const wf of this.options.client.workflow.list({ query })) {
      out.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        status: wf.status.name,
        startTime: wf.startTime,
        ...(wf.closeTime ? { closeTime: wf.closeTime } : {}),
      });
    }
    return out;
  }

  /** Takes the lock on a connection of its own, unless held already; false when another holds it. */
  private async takeLock(): Promise<boolean> {
    if (this.lock) return true;
    const client = await this.options.pool.connect();
    // An error on the held connection (the store went away) drops the lock with it; a pg client
    // with no listener would crash the process.
    const onError = (err: Error): void => void this.release(err);
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...LOCK_KEYS]);
      if (rows[0]?.locked) {
        this.lock = client;
        this.onLockError = onError;
        // A new holder looks back as a first sweep does: the old one may have missed some.
        this.lastSweep = undefined;
        return true;
      }
      client.off('error', onError);
      client.release();
      return false;
    } catch (err) {
      client.off('error', onError);
      client.release(err as Error);
      throw err;
    }
  }

  /** Gives the lock up: unlocked and returned to the pool, or (after an error) the connection closed. */
  private async release(err?: unknown): Promise<void> {
    const client = this.lock;
    if (!client) return;
    this.lock = undefined;
    const onError = this.onLockError;
    this.onLockError = undefined;
    if (err) {
      // The connection is closed, never reused: its listener stays for any error still to come.
      client.release(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    try {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEYS]);
      // Back in the pool, the connection is no longer this reconciler's to watch.
      if (onError) client.off('error', onError);
      client.release();
    } catch (unlockErr) {
      // Closing the connection releases a session lock too.
      client.release(unlockErr as Error);
    }
  }

  private report(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const message = `tapflow run reconciler: a sweep failed (${(err as Error).message}); will try again`;
    (this.options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }
}

/** Whether the run's row follows an execution that started after `execution` (a reset's new one). */
function followsLater(row: RunExecution, execution: Execution): boolean {
  return (
    row.executionRunId !== null &&
    row.executionRunId !== execution.runId &&
    row.executionStartedAt !== null &&
    row.executionStartedAt.getTime() > execution.startTime.getTime()
  );
}
