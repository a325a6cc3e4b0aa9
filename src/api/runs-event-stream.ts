/**
 * One client's stream of the runs of some pipelines (`GET /api/events`): a `run` event with the
 * run's row each time a run starts or changes. Never ends by itself.
 *
 * A client resuming with `Last-Event-ID` is first sent every run changed since (up to
 * {@link MAX_RUN_CHANGES}; past that a `reset` event tells it to read the list again), then the
 * changes as the store announces them. A `ready` event says the stream is live from there on.
 * Event ids are the store's change numbers, increasing.
 */
import type { Queryable } from '../store/pool';
import { listRunsChangedSince, MAX_RUN_CHANGES, type Changed } from '../store/sql/stream-reads';
import type { RunRecord } from '../store/types';
import type { HubMessage, StoreEventHub } from './store-event-hub';
import type { SseStream } from './sse-stream';

/** What a runs stream needs. */
export interface RunsStreamDeps {
  db: Queryable;
  hub: StoreEventHub;
  /** The `run` event's data for a row (the runs search row). */
  row: (run: RunRecord) => unknown;
  /** Told of a failure that ended the stream. */
  onError?: (err: unknown) => void;
}

/** Most runs whose last change number a stream remembers, to skip a version already sent. */
const REMEMBERED_RUNS = 10_000;

/**
 * Streams the runs of `pipelines` (`'*'`: every pipeline) to `stream` until the client goes away.
 *
 * @param after the client's `Last-Event-ID`: runs changed after it are sent first; none when undefined.
 */
export async function streamRuns(
  stream: SseStream,
  deps: RunsStreamDeps,
  pipelines: readonly string[] | '*',
  after: number | undefined,
): Promise<void> {
  const sent = new Map<string, number>();
  let cursor = after ?? 0;
  let chain: Promise<void> = Promise.resolve();
  const buffered: HubMessage[] = [];
  let live = false;

  const send = (run: Changed<RunRecord>): void => {
    const seen = sent.get(run.workflowId);
    if (seen !== undefined && run.changeSeq <= seen) return;
    sent.delete(run.workflowId);
    sent.set(run.workflowId, run.changeSeq);
    if (sent.size > REMEMBERED_RUNS) sent.delete(sent.keys().next().value as string);
    cursor = Math.max(cursor, run.changeSeq);
    stream.send('run', deps.row(run), cursor);
  };
  const replay = async (from: number): Promise<void> => {
    const runs = await listRunsChangedSince(deps.db, from, pipelines);
    for (const run of runs) send(run);
    if (runs.length >= MAX_RUN_CHANGES) stream.send('reset', { reason: `more than ${MAX_RUN_CHANGES} runs changed; read the list again` }, cursor);
  };
  const fail = (err: unknown): void => {
    if (stream.isEnded) return;
    deps.onError?.(err);
    stream.end();
  };
  const handle = async (message: HubMessage): Promise<void> => {
    if (stream.isEnded) return;
    if (message.kind === 'run') send(message.run);
    else if (message.kind === 'resync') await replay(cursor);
  };
  const enqueue = (message: HubMessage): void => {
    chain = chain.then(() => handle(message)).catch(fail);
  };

  const unsubscribe = await deps.hub.subscribe({ pipelines }, (message) => {
    if (live) enqueue(message);
    else buffered.push(message);
  });
  void stream.ended.then(unsubscribe);
  try {
    if (after !== undefined) await replay(after);
    stream.send('ready', { pipelines }, after);
  } catch (err) {
    fail(err);
    return;
  }
  live = true;
  for (const message of buffered) enqueue(message);
}
