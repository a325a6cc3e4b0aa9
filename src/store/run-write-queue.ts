/**
 * Writes a run's live changes (its state, reason, progress and nodes as they change) to the
 * store behind the workflow's back: the workflow hands each write to its worker through a sink,
 * which costs no history event and no workflow task, and this queue writes it. Only the run's
 * final record goes through an activity, durably (see `workflows/store-reporter.ts`).
 *
 * Writes of one run are merged while they wait, so a run that changes faster than the store
 * takes its writes costs one statement per turn of the loop, not one per change, and a store
 * outage holds one pending write per run rather than every change. While the database is away
 * the loop retries with backoff; a write the database refuses for good is reported and dropped.
 * Every write carries its sequence number, so the store keeps the newest whatever the order.
 */
import type { Pool } from 'pg';
import type { RunWrite } from '../core/record-writes';
import { encodeRun, isRejectedWrite } from './encode-writes';
import { isConnectionError, withPgClient } from './pool';
import { upsertRun } from './sql/upsert-run';
import type { WriteOutcome } from './types';
import { PLAIN_VALUES, type StoreValueCodec } from './value-codec';

/** Options of {@link RunWriteQueue}. */
export interface RunWriteQueueOptions {
  /** How run values are kept (see `value-codec.ts`). Default: as they are. */
  valueCodec?: StoreValueCodec;
  /** Where problems are reported. Default: `console.warn`. */
  warn?: (message: string) => void;
  /** First wait after a failed write while the database is away, in ms; doubles up to `maxBackoffMs`. Default: 200. */
  initialBackoffMs?: number;
  /** Longest wait between two tries while the database is away, in ms. Default: 5,000. */
  maxBackoffMs?: number;
  /** Writes in flight at once. Default: 4. */
  concurrency?: number;
}

/**
 * Merges `next` into `earlier`, as the store would apply one after the other: a field `next`
 * leaves `undefined` keeps the earlier value, node outputs are merged by node id.
 */
export function mergeRunWrites(earlier: RunWrite, next: RunWrite): RunWrite {
  const merged: RunWrite = { ...earlier };
  for (const [key, value] of Object.entries(next)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  if (earlier.outputs && next.outputs) merged.outputs = { ...earlier.outputs, ...next.outputs };
  // A state change replaces the reason (the store clears a reason a write of a new state leaves out).
  if (next.state !== earlier.state && next.reason === undefined) delete merged.reason;
  return merged;
}

/** See the module comment. {@link RunWriteQueue.drain} stops it. */
export class RunWriteQueue {
  private readonly pending = new Map<string, RunWrite>();
  private readonly valueCodec: StoreValueCodec;
  private readonly warn: (message: string) => void;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly concurrency: number;
  private readonly observers: Array<(write: RunWrite, outcome: WriteOutcome) => void> = [];
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private stopping = false;
  private outage = false;
  private idleWaiters: Array<() => void> = [];
  /** Set while the loop has writes out. */
  private busy = false;
  /** Runs whose writes are out now (or waiting out a backoff to be tried again). */
  private writing = 0;

  constructor(
    private readonly pool: Pool,
    options: RunWriteQueueOptions = {},
  ) {
    this.valueCodec = options.valueCodec ?? PLAIN_VALUES;
    this.warn = options.warn ?? ((m) => console.warn(m));
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Runs with a write waiting or being written. */
  get size(): number {
    return this.pending.size + this.writing;
  }

  /** Hears of every write made and what the store did with it (the worker's metrics). */
  observe(observer: (write: RunWrite, outcome: WriteOutcome) => void): void {
    this.observers.push(observer);
  }

  /** Queues a write. Never throws, never waits. */
  push(write: RunWrite): void {
    if (this.stopping) {
      this.warn(`tapflow store: run write for ${write.workflowId} after shutdown; not written (its final record is)`);
      return;
    }
    const earlier = this.pending.get(write.workflowId);
    this.pending.set(write.workflowId, earlier ? mergeRunWrites(earlier, write) : write);
    this.loop ??= this.run();
    this.wakeUp?.();
  }

  /**
   * Waits until nothing is queued (or `timeoutMs` has passed).
   * @returns whether the queue is empty.
   */
  async flush(timeoutMs = 2_000): Promise<boolean> {
    if (this.pending.size === 0 && !this.busy) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }

  /**
   * Writes what is queued, then stops. What is still queued after `timeoutMs` (an absent
   * database) is reported and left: each run's final record still reaches the store.
   * @returns how many runs' writes were left unwritten.
   */
  async drain(timeoutMs = 10_000): Promise<number> {
    const empty = await this.flush(timeoutMs);
    this.stopping = true;
    this.wakeUp?.();
    if (!empty) this.warn(`tapflow store: ${this.pending.size} live run writes not written at shutdown (the runs' final records still are)`);
    return empty ? 0 : this.pending.size;
  }

  private async run(): Promise<void> {
    let backoff = this.initialBackoffMs;
    for (;;) {
      if (this.pending.size === 0) {
        this.busy = false;
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        if (this.stopping) return;
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = undefined;
        continue;
      }
      this.busy = true;
      const batch = [...this.pending.values()];
      this.pending.clear();
      this.writing = batch.length;
      const failed: RunWrite[] = [];
      for (let i = 0; i < batch.length; i += this.concurrency) {
        await Promise.all(batch.slice(i, i + this.concurrency).map((write) => this.write(write, failed)));
      }
      this.writing = 0;
      if (failed.length === 0) {
        if (this.outage) this.warn('tapflow store: the database is back; live run writes written');
        this.outage = false;
        backoff = this.initialBackoffMs;
        continue;
      }
      // Put back under anything newer that came meanwhile, and wait before the next try.
      for (const write of failed) {
        const newer = this.pending.get(write.workflowId);
        this.pending.set(write.workflowId, newer ? mergeRunWrites(write, newer) : write);
      }
      if (this.stopping) return;
      // Unref'd: a queue left waiting for a database that never comes back must not keep the
      // process alive (a worker's own lifetime does that while it runs).
      await new Promise((resolve) => setTimeout(resolve, backoff).unref());
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
  }

  /** Writes one run's write; a write to retry goes into `failed`. */
  private async write(write: RunWrite, failed: RunWrite[]): Promise<void> {
    try {
      const encoded = await encodeRun(write, this.valueCodec);
      const outcome = await withPgClient(this.pool, (client) => upsertRun(client, encoded));
      for (const observer of this.observers) observer(write, outcome);
    } catch (err) {
      if (isRejectedWrite(err)) {
        this.warn(`tapflow store: live run write refused (${(err as Error).message}); dropped: run ${write.workflowId}, state ${write.state}`);
        return;
      }
      if (!isConnectionError(err) && !this.outage) {
        this.warn(`tapflow store: live run write failed (${(err as Error).message}); trying again`);
      } else if (!this.outage) {
        this.warn(`tapflow store: database unreachable (${(err as Error).message}); holding live run writes`);
      }
      this.outage = true;
      failed.push(write);
    }
  }
}
