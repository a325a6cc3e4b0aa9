/**
 * A Server-Sent Events response: takes the reply over from Fastify and writes events in the
 * `text/event-stream` format (`id:`, `event:`, `data:` lines and a blank line), with a comment
 * every so often so proxies and clients keep an idle stream open.
 */
import type { FastifyReply } from 'fastify';

/** Options of {@link SseStream}. */
export interface SseStreamOptions {
  /** A `: keep-alive` comment after this long without an event, in ms. Default: 15 s. */
  keepAliveMs?: number;
  /** How long a client waits before reconnecting after the stream drops (the `retry:` field), in ms. Default: 2 s. */
  retryMs?: number;
  /**
   * Most bytes waiting to be sent to a client that reads too slowly; past it the stream is ended,
   * and the client reconnects with `Last-Event-ID` and is sent what changed. Default: 8 MiB.
   */
  maxBufferedBytes?: number;
}

/** An open event stream to one client. */
export class SseStream {
  /** Resolves when the stream has ended: the client went away, or {@link end} was called. */
  readonly ended: Promise<void>;
  private done = false;
  private keepAlive?: NodeJS.Timeout;
  private readonly keepAliveMs: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly reply: FastifyReply,
    options: SseStreamOptions = {},
  ) {
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies: pass each event on at once.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.ended = new Promise((resolve) => {
      const finish = (): void => {
        this.stop();
        resolve();
      };
      res.once('close', finish);
      res.once('error', finish);
    });
    res.write(`retry: ${options.retryMs ?? 2000}\n\n`);
    this.armKeepAlive();
  }

  /** Whether the stream has ended. */
  get isEnded(): boolean {
    return this.done;
  }

  /**
   * Sends one event. `data` is sent as JSON on one line.
   *
   * @returns false when the stream has ended (nothing was sent).
   */
  send(event: string, data: unknown, id?: number | string): boolean {
    if (this.done) return false;
    const head = id === undefined ? '' : `id: ${id}\n`;
    this.write(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    return !this.done;
  }

  /** Ends the stream (the client sees it close; an `EventSource` reconnects unless told otherwise by an event). */
  end(): void {
    if (this.done) return;
    this.stop();
    this.reply.raw.end();
  }

  private write(text: string): void {
    const res = this.reply.raw;
    res.write(text);
    this.armKeepAlive();
    if (res.writableLength > this.maxBufferedBytes) this.end();
  }

  private armKeepAlive(): void {
    clearTimeout(this.keepAlive);
    if (this.done) return;
    this.keepAlive = setTimeout(() => this.write(': keep-alive\n\n'), this.keepAliveMs);
    this.keepAlive.unref();
  }

  private stop(): void {
    this.done = true;
    clearTimeout(this.keepAlive);
  }
}

/**
 * The `Last-Event-ID` a client resumes from: a whole number, or `undefined` when none was sent.
 *
 * @returns `null` when the header is not a change number (the caller answers 400).
 */
export function lastEventIdOf(header: string | string[] | undefined): number | undefined | null {
  const text = Array.isArray(header) ? header[header.length - 1] : header;
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) return null;
  return Number(text.trim());
}
