/**
 * A worker's store retention: deletes the records of runs that ended longer ago than the
 * retention, every hour or so, from one worker of the fleet at a time.
 *
 * Each pass takes a PostgreSQL session advisory lock with `pg_try_advisory_lock` on a connection
 * of its own; a worker that finds it held skips the pass (another is purging), and the lock goes
 * with the pass, so whichever worker comes next does the next one. The purge itself is
 * `purgeEndedRecords` (batches of 500 runs, live runs never touched), on that same connection.
 */
import type { Pool, PoolClient } from 'pg';
import { durationText } from '../core/duration';
import { attachToWorkerRun } from '../core/worker-run-part';
import { purgeEndedRecords, type PurgeResult } from './purge';

/** How often a worker tries a pass, in ms: hourly. */
export const DEFAULT_RETENTION_EVERY_MS = 3_600_000;
/** How long after the worker starts the first pass comes, in ms. */
export const DEFAULT_RETENTION_FIRST_AFTER_MS = 30_000;

/**
 * The advisory lock's two keys (`pg_try_advisory_lock(int, int)`): "tapf" and 2 (the run
 * reconciler holds "tapf" and 1), so it cannot clash with an application's locks.
 */
const LOCK_KEYS = [0x74617066, 2] as const;

/** How a worker keeps the store (`createWorker`'s `storeRetention`). */
export interface StoreRetentionSettings {
  /** Runs that ended more than this long ago lose their records, in ms. */
  olderThanMs: number;
  /** Default: {@link DEFAULT_RETENTION_EVERY_MS}. */
  everyMs?: number;
  /** Default: {@link DEFAULT_RETENTION_FIRST_AFTER_MS}. */
  firstAfterMs?: number;
  /** Runs per batch. Default: 500. */
  batchSize?: number;
  /**
   * Told what each pass that held the lock deleted (also when nothing). Default: a line on
   * stderr when a pass deleted something.
   */
  log?: (result: PurgeResult, message: string) => void;
  /** Told when a pass failed, once until one succeeds again. Default: a line on stderr. */
  warn?: (message: string) => void;
}

/** What one pass did. */
export interface RetentionPass {
  /** Whether this worker held the lock and purged; false when another held it. */
  purged: boolean;
  result?: PurgeResult;
}

/** See the module comment. */
export class StoreRetention {
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private failing = false;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly settings: StoreRetentionSettings,
  ) {}

  /** A first pass after `firstAfterMs`, then one every `everyMs`; the timers never keep the process alive. */
  start(): void {
    this.stopped = false;
    const tick = (): void => {
      this.turn = this.pass().catch((err: unknown) => this.report(err));
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, this.settings.everyMs ?? DEFAULT_RETENTION_EVERY_MS);
      this.timer.unref();
    }, this.settings.firstAfterMs ?? DEFAULT_RETENTION_FIRST_AFTER_MS);
    this.timer.unref();
  }

  /** Stops the timers and waits for a pass under way (it gives the lock up as it ends). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    await this.turn;
  }

  /**
   * One pass: purges if this worker can take the lock now, else does nothing.
   *
   * @throws the store's error.
   */
  async pass(): Promise<RetentionPass> {
    const client = await this.pool.connect();
    // A connection that breaks while held (the store went away) must not end the process.
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...LOCK_KEYS]);
      if (!rows[0]?.locked) return { purged: false };
      try {
        const result = await purgeEndedRecords(client, {
          olderThanMs: this.settings.olderThanMs,
          ...(this.settings.batchSize ? { batchSize: this.settings.batchSize } : {}),
        });
        this.failing = false;
        this.tell(result);
        return { purged: true, result };
      } finally {
        await unlock(client).catch((err: unknown) => (broken ??= err as Error));
      }
    } catch (err) {
      broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      // A connection that failed is closed, never reused: closing it releases the lock too.
      (client as PoolClient).release(broken);
    }
  }

  private tell(result: PurgeResult): void {
    const message = retentionMessage(result, this.settings.olderThanMs);
    if (this.settings.log) this.settings.log(result, message);
    else if (result.runs > 0) process.stderr.write(`${message}\n`);
  }

  private report(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const message = `tapflow store retention: a pass failed (${(err as Error).message}); will try again`;
    (this.settings.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }
}

/** One line saying what a pass deleted. */
export function retentionMessage(result: PurgeResult, olderThanMs: number): string {
  const tables = Object.entries(result.records).map(([table, n]) => `${n} ${table}`);
  return (
    `tapflow store retention: deleted the records of ${result.runs} run${result.runs === 1 ? '' : 's'} that ended more than ` +
    `${durationText(olderThanMs)} ago (before ${result.endedBefore.toISOString()})${tables.length ? `: ${tables.join(', ')}` : ''}`
  );
}

async function unlock(client: PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEYS]);
}

/**
 * Makes `worker.run()` start the retention first and stop it once the run has ended (however it
 * ended), as the run reconciler is attached.
 */
export function attachStoreRetention(worker: { run(): Promise<void> }, retention: StoreRetention): StoreRetention {
  return attachToWorkerRun(worker, retention);
}
