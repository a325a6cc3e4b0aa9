/**
 * Writes node attempts to the store behind the activities' backs: an attempt's start and end are
 * queued in memory and written in order, in batches, by one background loop. A node never waits
 * for the database, and while the database is away the queue holds the records and the loop
 * retries with backoff until it is back (see docs/design/run-store.md for what covers a worker
 * that dies with records still queued).
 *
 * A batch is one statement (`upsertAttemptRows`): one round trip, one statement for PostgreSQL to
 * parse and plan, one commit, however many records it holds. And a batch is written at most about
 * once per linger period, however fast records come. So a busy worker pays the fixed cost of a
 * write at most about 100 times a second (the default 10 ms linger) rather than once or twice per
 * attempt, which is what the store used to cost (BENCHMARKS.md, "The run store"). Outputs are serialised here too, not in the activity.
 */
import type { Pool } from 'pg';
import { isConnectionError, withPgClient } from './pool';
import { foldAttemptWrites, type AttemptWrite } from './sql/attempt-rows';
import { upsertAttemptRows } from './sql/upsert-attempt-rows';
import { PLAIN_VALUES, type StoreValueCodec } from './value-codec';
import type { AttemptEnd, AttemptStart } from './types';

/** A queued write and when it was queued (`Date.now()`). */
interface Queued {
  write: AttemptWrite;
  at: number;
  /** Its output is encoded already (by the value codec): a retry writes the same bytes. */
  encoded?: boolean;
}

/** Options of {@link AttemptRecorder}. */
export interface AttemptRecorderOptions {
  /** Most writes in one batch (one statement). Default: 200. */
  maxBatch?: number;
  /** First wait after a failed write while the database is away, in ms; doubles up to `maxBackoffMs`. Default: 100. */
  initialBackoffMs?: number;
  /** Longest wait between two tries while the database is away, in ms. Default: 5,000. */
  maxBackoffMs?: number;
  /**
   * How long a record waits for others before its batch is written, in ms: a batch is written
   * when its oldest record has waited this long (or `maxBatch` records are queued, or on
   * {@link AttemptRecorder.flush} or {@link AttemptRecorder.drain}). So the recorder writes at most about 1000 / `lingerMs`
   * batches a second however fast records come, an attempt's start and end usually go in as one
   * row, and a record reaches the store within about `lingerMs` (plus the write). Default: 10:
   * live progress (the API's event streams) then follows a node within tens of milliseconds,
   * for at most about 100 statements a second (`npm run bench`, "Live progress over SSE").
   */
  lingerMs?: number;
  /** Outputs whose JSON is bigger are kept in `tapflow.attempt_outputs`, not inline. Default: 64 KiB. */
  maxInlineOutputBytes?: number;
  /** Where problems are reported. Default: `console.warn`. */
  warn?: (message: string) => void;
  /**
   * How outputs are kept: encoded by the application's payload codec, or as they are (see
   * `value-codec.ts`). Encoding happens in the background loop, never on the node's path.
   * Default: as they are.
   */
  valueCodec?: StoreValueCodec;
}

/**
 * See the module comment. Start it with {@link AttemptRecorder.start}; stop it with
 * {@link AttemptRecorder.drain}; {@link AttemptRecorder.flush} writes what is queued at once.
 */
export class AttemptRecorder {
  private readonly queue: Queued[] = [];
  private readonly maxBatch: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly warn: (message: string) => void;
  private readonly lingerMs: number;
  private readonly maxInlineOutputBytes: number | undefined;
  private readonly valueCodec: StoreValueCodec;
  /** Set while the loop waits (for a first record, or for a batch to fill); cuts the wait short. */
  private wakeUp: (() => void) | undefined;
  /** Records ever queued, and ever taken off the queue (written, or refused and dropped). */
  private queued = 0;
  private settled = 0;
  /** Until `settled` reaches this, the loop writes without lingering (see {@link flush}). */
  private flushTarget = 0;
  private readonly flushes: Array<{ target: number; resolve: (done: boolean) => void }> = [];
  private loop: Promise<void> | undefined;
  private stopping = false;
  private outage = false;
  private codecOutage = false;

  constructor(
    private readonly pool: Pool,
    options: AttemptRecorderOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 200);
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.warn = options.warn ?? ((m) => console.warn(m));
    this.lingerMs = options.lingerMs ?? 10;
    this.maxInlineOutputBytes = options.maxInlineOutputBytes;
    this.valueCodec = options.valueCodec ?? PLAIN_VALUES;
  }

  /** Writes queued and not yet in the database. */
  get pending(): number {
    return this.queue.length;
  }

  /** Starts the background loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Queues an attempt's start. Never throws, never waits: the activity's only cost is a push
   * onto the queue.
   */
  recordStart(record: AttemptStart): void {
    this.enqueue({ kind: 'start', record });
  }

  /**
   * Queues an attempt's end. Never throws, never waits. The output is kept by reference and
   * serialised when its batch is written, so it must not be changed afterwards (a node's output
   * is what it returned, which Temporal serialises too).
   */
  recordEnd(record: AttemptEnd): void {
    this.enqueue({ kind: 'end', record });
  }

  /**
   * Writes what is queued now without waiting for the linger, for a caller that needs it in the
   * database before going on (the end-of-run reconciliation reads what the worker recorded).
   * Records queued later are not waited for. While the database is away, gives up after
   * `timeoutMs` (default 2 s) and leaves the records queued, to be written once it is back.
   *
   * @returns `true` once every record queued before the call is written (or refused and
   *   dropped), `false` on timeout.
   */
  async flush(timeoutMs = 2_000): Promise<boolean> {
    const target = this.queued;
    if (this.settled >= target) return true;
    this.flushTarget = Math.max(this.flushTarget, target);
    this.wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const done = await new Promise<boolean>((resolve) => {
      const waiter = { target, resolve };
      this.flushes.push(waiter);
      timer = setTimeout(() => {
        this.flushes.splice(this.flushes.indexOf(waiter), 1);
        resolve(false);
      }, timeoutMs);
    });
    clearTimeout(timer);
    return done;
  }

  /**
   * Writes what is queued, then stops the loop. Waits at most `timeoutMs` (default 10 s) for an
   * absent database; what is still queued then is reported and left unwritten.
   *
   * @returns how many writes were left unwritten.
   */
  async drain(timeoutMs = 10_000): Promise<number> {
    this.stopping = true;
    this.wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.loop ?? Promise.resolve(), timedOut]);
    clearTimeout(timer);
    if (this.queue.length > 0) this.warn(`tapflow store: ${this.queue.length} attempt records not written at shutdown`);
    return this.queue.length;
  }

  private enqueue(write: AttemptWrite): void {
    this.queue.push({ write, at: Date.now() });
    this.queued++;
    // Wake the loop only when there is something new for it to do: a first record to linger
    // on, or a full batch. Records in between wait for the linger that is already running.
    if (this.queue.length === 1 || this.queue.length >= this.maxBatch) this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let backoff = this.initialBackoffMs;
    for (;;) {
      const oldest = this.queue[0];
      if (!oldest) {
        if (this.stopping) return;
        await this.pause();
        continue;
      }
      const lingerLeft = oldest.at + this.lingerMs - Date.now();
      const lingering = !this.stopping && this.settled >= this.flushTarget && this.queue.length < this.maxBatch;
      if (lingering && lingerLeft > 0) {
        await this.pause(lingerLeft);
        continue;
      }
      const queued = this.queue.slice(0, this.maxBatch);
      try {
        // Encoding comes first and apart: a codec that fails (a key service away) is waited out
        // like a database outage, never taken for a record the database refuses.
        await this.encodeOutputs(queued);
      } catch (err) {
        if (!this.codecOutage) this.warn(`tapflow store: the payload codec failed (${(err as Error).message}); keeping attempt records until it works`);
        this.codecOutage = true;
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
        if (this.stopping && backoff >= this.maxBackoffMs) return;
        continue;
      }
      if (this.codecOutage) this.warn('tapflow store: the payload codec works again');
      this.codecOutage = false;
      const batch = queued.map((q) => q.write);
      try {
        await this.write(batch);
        this.takeOff(batch.length);
        if (this.outage) this.warn('tapflow store: the database is back; queued attempt records written');
        this.outage = false;
        backoff = this.initialBackoffMs;
      } catch (err) {
        if (!isConnectionError(err)) {
          // A record the database refuses will never go in: report it and go on, rather than
          // holding every record behind it.
          if (batch.length > 1) {
            await this.writeOneByOne(batch);
            continue;
          }
          this.warn(`tapflow store: attempt record refused (${(err as Error).message}); dropped: ${describe(batch[0])}`);
          this.takeOff(1);
          continue;
        }
        if (!this.outage) this.warn(`tapflow store: database unreachable (${(err as Error).message}); queueing attempt records`);
        this.outage = true;
        if (this.stopping && backoff >= this.maxBackoffMs) return;
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  /** Takes the first `n` records off the queue (written or dropped) and answers the flushes they complete. */
  private takeOff(n: number): void {
    this.queue.splice(0, n);
    this.settled += n;
    for (let i = this.flushes.length - 1; i >= 0; i--) {
      const waiter = this.flushes[i];
      if (waiter && waiter.target <= this.settled) {
        this.flushes.splice(i, 1);
        waiter.resolve(true);
      }
    }
  }

  /** Waits until {@link enqueue}, {@link flush} or {@link drain} wakes the loop, or `ms` have passed. */
  private async pause(ms?: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      if (ms !== undefined) timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wakeUp = undefined;
  }

  /**
   * Writes a batch: one statement, which is its own transaction. Only records sent out of order
   * (a start after its attempt's end) make a second round, and the rounds then share a
   * transaction, so a batch is always all in or all out.
   */
  private write(batch: AttemptWrite[]): Promise<unknown> {
    const rounds = foldAttemptWrites(batch);
    const options = { maxInlineOutputBytes: this.maxInlineOutputBytes };
    return withPgClient(this.pool, async (client) => {
      if (rounds.length === 1) return upsertAttemptRows(client, rounds[0] ?? [], options);
      await client.query('BEGIN');
      try {
        for (const rows of rounds) await upsertAttemptRows(client, rows, options);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Encodes the outputs of queued ends, once each: what is encoded stays so across retries. */
  private async encodeOutputs(queued: Queued[]): Promise<void> {
    if (!this.valueCodec.encodes) return;
    for (const q of queued) {
      const w = q.write;
      if (q.encoded || w.kind !== 'end' || w.record.output === undefined) continue;
      q.write = { ...w, record: { ...w.record, output: await this.valueCodec.encode(w.record.output) } };
      q.encoded = true;
    }
  }

  /** After a refused batch: writes each record alone, dropping only the ones refused. */
  private async writeOneByOne(batch: AttemptWrite[]): Promise<void> {
    for (const w of batch) {
      try {
        await this.write([w]);
      } catch (err) {
        if (isConnectionError(err)) return; // the rest stays queued for the main loop
        this.warn(`tapflow store: attempt record refused (${(err as Error).message}); dropped: ${describe(w)}`);
      }
      this.takeOff(1);
    }
  }
}

/** A record for a warning: its key and kind, without its output (which may be large). */
function describe(write: AttemptWrite | undefined): string {
  if (!write) return 'nothing';
  const { workflowId, nodeId, attempt } = write.record;
  return `${write.kind} of ${JSON.stringify({ workflowId, nodeId, attempt })}`;
}
