/**
 * Writes node attempts to the store behind the activities' backs: an attempt's start and end are
 * queued in memory and written in order, in batches, by one background loop. A node never waits
 * for the database, and while the database is away the queue holds the records and the loop
 * retries with backoff until it is back (see docs/design/run-store.md for what covers a worker
 * that dies with records still queued).
 */
import type { Pool, PoolClient } from 'pg';
import { isConnectionError, withPgClient } from './pool';
import { upsertAttemptEnd } from './sql/upsert-attempt-end';
import { upsertAttemptStart } from './sql/upsert-attempt-start';
import type { AttemptEnd, AttemptStart } from './types';

/** One queued write. */
type AttemptWrite = { kind: 'start'; record: AttemptStart } | { kind: 'end'; record: AttemptEnd };

/** Options of {@link AttemptRecorder}. */
export interface AttemptRecorderOptions {
  /** Most writes in one transaction. Default: 200. */
  maxBatch?: number;
  /** First wait after a failed write while the database is away, in ms; doubles up to `maxBackoffMs`. Default: 100. */
  initialBackoffMs?: number;
  /** Longest wait between two tries while the database is away, in ms. Default: 5,000. */
  maxBackoffMs?: number;
  /**
   * How long the loop lets records gather before writing them, in ms. Batching matters more
   * than speed here: an attempt's start and end often arrive within it and go in as one row
   * write, and a batch is one transaction. Default: 50.
   */
  lingerMs?: number;
  /** Where problems are reported. Default: `console.warn`. */
  warn?: (message: string) => void;
}

/** See the module comment. Start it with {@link AttemptRecorder.start}; stop it with {@link AttemptRecorder.drain}. */
export class AttemptRecorder {
  private readonly queue: AttemptWrite[] = [];
  private readonly maxBatch: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly warn: (message: string) => void;
  private readonly lingerMs: number;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private outage = false;

  constructor(
    private readonly pool: Pool,
    options: AttemptRecorderOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.warn = options.warn ?? ((m) => console.warn(m));
    this.lingerMs = options.lingerMs ?? 50;
  }

  /** Writes queued and not yet in the database. */
  get pending(): number {
    return this.queue.length;
  }

  /** Starts the background loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Queues an attempt's start. Never throws, never waits. */
  recordStart(record: AttemptStart): void {
    this.enqueue({ kind: 'start', record });
  }

  /** Queues an attempt's end. Never throws, never waits. */
  recordEnd(record: AttemptEnd): void {
    this.enqueue({ kind: 'end', record });
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
    this.queue.push(write);
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let backoff = this.initialBackoffMs;
    for (;;) {
      if (this.queue.length === 0) {
        if (this.stopping) return;
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        if (!this.stopping && this.lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
        continue;
      }
      const batch = this.queue.slice(0, this.maxBatch);
      try {
        await this.write(batch);
        this.queue.splice(0, batch.length);
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
          this.warn(`tapflow store: attempt record refused (${(err as Error).message}); dropped: ${JSON.stringify(batch[0]?.record)}`);
          this.queue.shift();
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

  /** Writes a batch in one transaction, in queue order (a single write needs none). */
  private write(batch: AttemptWrite[]): Promise<unknown> {
    const writes = foldStarts(batch);
    return withPgClient(this.pool, async (client) => {
      if (writes.length === 1) return apply(client, writes[0] as AttemptWrite);
      await client.query('BEGIN');
      try {
        for (const w of writes) await apply(client, w);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** After a refused batch: writes each record alone, dropping only the ones refused. */
  private async writeOneByOne(batch: AttemptWrite[]): Promise<void> {
    for (const w of batch) {
      try {
        await this.write([w]);
      } catch (err) {
        if (isConnectionError(err)) return; // the rest stays queued for the main loop
        this.warn(`tapflow store: attempt record refused (${(err as Error).message}); dropped`);
      }
      this.queue.shift();
    }
  }
}

function apply(client: PoolClient, w: AttemptWrite): Promise<unknown> {
  return w.kind === 'start' ? upsertAttemptStart(client, w.record) : upsertAttemptEnd(client, w.record);
}

/**
 * Drops a start whose end is in the same batch, carrying its start time and worker into the
 * end (which records them when no start was stored): one row write instead of two.
 */
function foldStarts(batch: AttemptWrite[]): AttemptWrite[] {
  const keyOf = (r: AttemptStart | AttemptEnd): string => `${r.workflowId}\u0000${r.nodeId}\u0000${r.attempt}`;
  const starts = new Map<string, AttemptStart>();
  for (const w of batch) if (w.kind === 'start') starts.set(keyOf(w.record), w.record);
  const ended = new Set<string>();
  for (const w of batch) if (w.kind === 'end' && starts.has(keyOf(w.record))) ended.add(keyOf(w.record));
  const out: AttemptWrite[] = [];
  for (const w of batch) {
    const key = keyOf(w.record);
    if (w.kind === 'start' && ended.has(key)) continue;
    if (w.kind === 'end' && ended.has(key)) {
      const start = starts.get(key) as AttemptStart;
      out.push({ kind: 'end', record: { startedAt: start.startedAt, worker: start.worker, ...w.record } });
    } else out.push(w);
  }
  return out;
}
