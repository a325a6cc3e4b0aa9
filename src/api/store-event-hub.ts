/**
 * One `LISTEN` connection to the store per API process, fanned out to every open event stream.
 *
 * The store announces each change of a run, node attempt or control action with `NOTIFY` (see
 * `src/store/events.ts`). The hub reads the announced row once, only when some subscriber wants
 * it, and hands it to each subscriber that does; a node attempt's announcement carries its row,
 * so it is not read back. Rows of one run are read and handed on in the
 * order their announcements arrived (commit order); different runs proceed independently, so a
 * busy run does not hold up the others.
 *
 * When the connection drops (PostgreSQL restarting), the hub reconnects with a growing delay and
 * then tells every subscriber to `resync`: announcements sent while it was away are lost, so each
 * subscriber reads again what it follows. The same happens to the subscribers of a row whose read
 * failed, and to everyone on an announcement too large to name its row.
 */
import type { PoolClient } from 'pg';
import type { Queryable } from '../store/pool';
import { listenStoreEvents } from '../store/events';
import {
  getAttemptChange,
  getControlActionChange,
  getRunChange,
  type Changed,
} from '../store/sql/stream-reads';
import type { ControlActionRecord, RunRecord, StoreEvent } from '../store/types';
import { attemptEvent, type AttemptEventData } from './stream-events';

/** What a subscriber is handed. */
export type HubMessage =
  | { kind: 'run'; run: Changed<RunRecord> }
  | { kind: 'attempt'; attempt: AttemptEventData; changeSeq: number }
  | { kind: 'action'; action: Changed<ControlActionRecord> }
  /** Changes may have been missed: read again what you follow. */
  | { kind: 'resync' };

/**
 * What a subscriber follows: one run (its row, node attempts and control actions), or the rows of
 * every run of some pipelines (`'*'`: all).
 */
export type HubFilter = { workflowId: string } | { pipelines: readonly string[] | '*' };

/** A connection the hub listens on: a client held from a pool (`release` gives it back). */
export type ListenConnection = PoolClient;

/** Options of {@link StoreEventHub}. */
export interface StoreEventHubOptions {
  /** Opens the connection to listen on (e.g. `() => pool.connect()`). */
  connect: () => Promise<ListenConnection>;
  /** Where announced rows are read from (the pool). */
  db: Queryable;
  /** Told of connection and read failures (the hub carries on). Default: ignore. */
  onError?: (err: unknown, what: string) => void;
  /** First delay before reconnecting, in ms; doubles up to 30 s. Default: 500. */
  reconnectDelayMs?: number;
}

type Handler = (message: HubMessage) => void;

interface Subscriber {
  filter: HubFilter;
  handler: Handler;
}

/** The store's change announcements, read and fanned out to subscribers. */
export class StoreEventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly queues = new Map<string, Promise<void>>();
  private connection?: ListenConnection;
  private listening?: Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false;
  private failures = 0;

  constructor(private readonly options: StoreEventHubOptions) {}

  /**
   * Follows `filter`. Resolves once the hub is listening, so a subscriber that reads its current
   * state after this misses no change made after that read.
   *
   * @returns a function that stops following.
   * @throws when the store cannot be listened to now.
   */
  async subscribe(filter: HubFilter, handler: Handler): Promise<() => void> {
    if (this.closed) throw new Error('the store event hub is closed');
    const subscriber: Subscriber = { filter, handler };
    this.subscribers.add(subscriber);
    try {
      await this.listen();
    } catch (err) {
      this.subscribers.delete(subscriber);
      throw err;
    }
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /**
   * Resolves once the hub listens to the store (connecting if it does not yet).
   *
   * @throws when the store cannot be listened to now.
   */
  async ready(): Promise<void> {
    if (this.closed) throw new Error('the store event hub is closed');
    await this.listen();
  }

  /** How many subscribers follow something now. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Stops listening and gives the connection back. Subscribers are told nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.subscribers.clear();
    const connection = this.connection;
    this.connection = undefined;
    this.listening = undefined;
    if (connection) {
      await connection.query('UNLISTEN *').catch(() => undefined);
      connection.release();
    }
  }

  private listen(): Promise<void> {
    this.listening ??= this.open().catch((err: unknown) => {
      this.listening = undefined;
      throw err;
    });
    return this.listening;
  }

  private async open(): Promise<void> {
    const connection = await this.options.connect();
    const lost = (err?: unknown): void => this.lost(connection, err);
    connection.on('error', lost);
    connection.on('end', lost);
    try {
      await listenStoreEvents(connection, (event) => this.announce(event));
    } catch (err) {
      connection.off('error', lost);
      connection.off('end', lost);
      connection.release(true);
      throw err;
    }
    if (this.closed) {
      connection.release();
      return;
    }
    this.connection = connection;
    this.failures = 0;
  }

  private lost(connection: ListenConnection, err: unknown): void {
    if (this.connection !== connection) return;
    this.options.onError?.(err ?? new Error('connection ended'), 'listening to the store');
    this.connection = undefined;
    this.listening = undefined;
    connection.release(true);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.subscribers.size === 0 || this.reconnectTimer) return;
    const delay = Math.min(30_000, (this.options.reconnectDelayMs ?? 500) * 2 ** this.failures);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().then(
        () => this.tell(() => true, { kind: 'resync' }),
        (err: unknown) => {
          this.failures += 1;
          this.options.onError?.(err, 'reconnecting to the store');
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Handles one announcement, in order with the others of its run. */
  private announce(event: StoreEvent): void {
    if ('oversized' in event) {
      this.tell(() => true, { kind: 'resync' });
      return;
    }
    if (!this.wanted(event)) return;
    const key = event.workflowId;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(event));
    this.queues.set(key, next);
    void next.finally(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private wanted(event: Exclude<StoreEvent, { oversized: true }>): boolean {
    for (const { filter } of this.subscribers) if (matches(filter, event)) return true;
    return false;
  }

  private async deliver(event: Exclude<StoreEvent, { oversized: true }>): Promise<void> {
    let message: HubMessage | undefined;
    try {
      message = await this.read(event);
    } catch (err) {
      this.options.onError?.(err, `reading the ${event.table} row of run ${event.workflowId}`);
      message = { kind: 'resync' };
    }
    if (message) this.tell((filter) => matches(filter, event), message);
  }

  private async read(event: Exclude<StoreEvent, { oversized: true }>): Promise<HubMessage | undefined> {
    const { db } = this.options;
    switch (event.table) {
      case 'runs': {
        const run = await getRunChange(db, event.workflowId);
        return run && { kind: 'run', run };
      }
      case 'node_attempts': {
        const carried = attemptFromEvent(event);
        if (carried) return { kind: 'attempt', attempt: carried, changeSeq: event.seq };
        const attempt = await getAttemptChange(db, event.workflowId, event.nodeId, event.attempt);
        return attempt && { kind: 'attempt', attempt: attemptEvent(attempt), changeSeq: attempt.changeSeq };
      }
      case 'control_actions': {
        const action = await getControlActionChange(db, event.id);
        return action && { kind: 'action', action };
      }
    }
  }

  private tell(match: (filter: HubFilter) => boolean, message: HubMessage): void {
    for (const subscriber of [...this.subscribers]) {
      if (!match(subscriber.filter)) continue;
      try {
        subscriber.handler(message);
      } catch (err) {
        this.options.onError?.(err, 'handing a store event to a stream');
      }
    }
  }
}

/** The attempt an announcement carries whole, or `undefined` when it must be read. */
function attemptFromEvent(event: Extract<StoreEvent, { table: 'node_attempts'; nodeId: string }>): AttemptEventData | undefined {
  if (event.activity === undefined || event.truncated !== false) return undefined;
  return {
    workflowId: event.workflowId,
    nodeId: event.nodeId,
    attempt: event.attempt,
    activity: event.activity,
    outcome: event.outcome,
    startedAt: event.startedAt ?? null,
    finishedAt: event.finishedAt ?? null,
    errorType: event.errorType ?? null,
    errorMessage: event.errorMessage ?? null,
    worker: event.worker ?? null,
  };
}

/** Whether a subscriber with `filter` wants the row `event` announces. */
function matches(filter: HubFilter, event: Exclude<StoreEvent, { oversized: true }>): boolean {
  if ('workflowId' in filter) return filter.workflowId === event.workflowId;
  if (event.table !== 'runs') return false;
  return filter.pipelines === '*' || filter.pipelines.includes(event.pipeline);
}
