/**
 * One client's stream of one run's changes (`GET /api/runs/:id/events`).
 *
 * On connect: the run's status, then its node attempts and control actions changed after the
 * client's `Last-Event-ID` (all of them on a first connect), then every change as the store
 * announces it, until the run ends (`end`, then the stream closes). Changes that arrive while the
 * first reads are under way wait and follow them, and a row already sent in its current version
 * is not sent again. Event ids are the store's change numbers, sent in increasing order.
 */
import type { RunStatus } from '../core/states';
import { runStatusFromStore } from '../store/run-status';
import type { Queryable } from '../store/pool';
import { listAttempts } from '../store/sql/list-attempts';
import { getRunChange, listRunChangesSince, type Changed } from '../store/sql/stream-reads';
import type { RunRecord } from '../store/types';
import type { HubMessage, StoreEventHub } from './store-event-hub';
import type { SseStream } from './sse-stream';
import { actionEvent, attemptEvent, endEvent } from './stream-events';

/** What a run stream needs. */
export interface RunStreamDeps {
  db: Queryable;
  hub: StoreEventHub;
  /** The run's status from Temporal, for a run the store has no row of yet. */
  liveStatus: (id: string) => Promise<RunStatus>;
  /** Told of a failure that ended the stream. */
  onError?: (err: unknown) => void;
}

/**
 * Streams run `workflowId` to `stream` until the run ends or the client goes away.
 *
 * @param after the client's `Last-Event-ID`: rows changed after it are sent (default: every row).
 * @returns once subscribed and the first reads are sent (the stream goes on after).
 */
export async function streamRun(stream: SseStream, deps: RunStreamDeps, workflowId: string, after = 0): Promise<void> {
  const session = new RunStreamSession(stream, deps, workflowId, after);
  await session.start();
}

class RunStreamSession {
  /** The last change number sent of each row: `run`, `a:<node>:<attempt>`, `c:<id>`. */
  private readonly sent = new Map<string, number>();
  /** The highest change number sent (or resumed from): each event's id. */
  private cursor: number;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe?: () => void;

  constructor(
    private readonly stream: SseStream,
    private readonly deps: RunStreamDeps,
    private readonly workflowId: string,
    private readonly after: number,
  ) {
    this.cursor = after;
  }

  async start(): Promise<void> {
    const buffered: HubMessage[] = [];
    let live = false;
    this.unsubscribe = await this.deps.hub.subscribe({ workflowId: this.workflowId }, (message) => {
      if (live) this.enqueue(message);
      else buffered.push(message);
    });
    void this.stream.ended.then(() => this.unsubscribe?.());
    try {
      await this.sync();
    } catch (err) {
      this.fail(err);
      return;
    }
    live = true;
    for (const message of buffered) this.enqueue(message);
  }

  private enqueue(message: HubMessage): void {
    this.chain = this.chain.then(() => this.handle(message)).catch((err: unknown) => this.fail(err));
  }

  private async handle(message: HubMessage): Promise<void> {
    if (this.stream.isEnded) return;
    switch (message.kind) {
      case 'run':
        await this.sendRun(message.run);
        return;
      case 'attempt':
        this.sendRow(`a:${message.attempt.nodeId}:${message.attempt.attempt}`, message.changeSeq, 'attempt', message.attempt);
        return;
      case 'action':
        this.sendRow(`c:${message.action.id}`, message.action.changeSeq, 'action', actionEvent(message.action));
        return;
      case 'resync':
        // Everything since the client's starting point again: rows already sent are skipped.
        await this.sync(this.after, false);
        return;
    }
  }

  /** Sends the run's status and the rows changed after `from`. */
  private async sync(from = this.after, always = true): Promise<void> {
    const run = await getRunChange(this.deps.db, this.workflowId);
    // The status goes first but its change number may be the highest of all: it is sent under the
    // id the client already has, and the cursor moves past it only after the rows, so every id the
    // client sees is one it can resume from without missing a row.
    const id = this.cursor > 0 ? this.cursor : undefined;
    if (run) await this.sendRun(run, always, false, id);
    else if (always) this.stream.send('status', await this.deps.liveStatus(this.workflowId), id);
    const { attempts, actions } = await listRunChangesSince(this.deps.db, this.workflowId, from);
    const rows = [
      ...attempts.map((a) => ({ key: `a:${a.nodeId}:${a.attempt}`, seq: a.changeSeq, event: 'attempt', data: attemptEvent(a) })),
      ...actions.map((c) => ({ key: `c:${c.id}`, seq: c.changeSeq, event: 'action', data: actionEvent(c) })),
    ].sort((x, y) => x.seq - y.seq);
    for (const row of rows) this.sendRow(row.key, row.seq, row.event, row.data);
    if (run) {
      this.cursor = Math.max(this.cursor, run.changeSeq);
      this.endIfOver(run);
    }
  }

  /**
   * Sends the run's status (when not already sent in this version, or `always`), and `end` once it
   * has ended (unless `end` is false: the caller has more rows to send first, and the status goes
   * out under `snapshotId`, not its own change number).
   */
  private async sendRun(run: Changed<RunRecord>, always = false, end = true, snapshotId?: number): Promise<void> {
    const seen = this.sent.get('run');
    if (always || seen === undefined || run.changeSeq > seen) {
      const attempts = run.nodes ? [] : await listAttempts(this.deps.db, run.workflowId);
      this.sent.set('run', run.changeSeq);
      if (end) this.cursor = Math.max(this.cursor, run.changeSeq);
      this.stream.send('status', runStatusFromStore(run, attempts), end ? this.cursor : snapshotId);
    }
    if (end) this.endIfOver(run);
  }

  private sendRow(key: string, seq: number, event: string, data: unknown): void {
    const seen = this.sent.get(key);
    if (seen !== undefined && seq <= seen) return;
    this.sent.set(key, seq);
    this.cursor = Math.max(this.cursor, seq);
    this.stream.send(event, data, this.cursor);
  }

  private endIfOver(run: Changed<RunRecord>): void {
    const end = endEvent(run);
    if (!end || this.stream.isEnded) return;
    this.stream.send('end', end, this.cursor);
    this.stream.end();
  }

  private fail(err: unknown): void {
    if (this.stream.isEnded) return;
    this.deps.onError?.(err);
    // The client reconnects with its Last-Event-ID and is sent what it missed.
    this.stream.end();
  }
}
