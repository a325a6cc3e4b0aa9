/**
 * Server-Sent Events read with fetch(), since EventSource cannot send an Authorization header.
 * Parses `event:`, `id:`, `data:` and `retry:` lines (a blank line ends an event; `:` lines are
 * comments, the server's keep-alives), and reconnects after a drop, sending `Last-Event-ID` so
 * the server resumes after the last event seen.
 * @module sse-reader
 */
import { errorOf } from './api-client.js';

/**
 * @typedef {{ type: string, data: string, id: string | undefined }} SseEvent
 * `type` is `message` when the event named none; `id` is the last id seen, when any.
 */

/**
 * An incremental parser: feed it text as it arrives, get the complete events back.
 * @returns {{ push(text: string): SseEvent[], retry: number | undefined }}
 */
export function createSseParser() {
  let buffer = '';
  let type = '';
  let data = [];
  let id;
  const parser = {
    /** The reconnection delay the server asked for (`retry:`), in ms. */
    retry: undefined,
    push(text) {
      buffer += text;
      const events = [];
      // A chunk may end between '\r' and '\n': keep a trailing '\r' for the next one.
      const end = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
      buffer = lines.pop() + buffer.slice(end);
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) events.push({ type: type || 'message', data: data.join('\n'), id });
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) parser.retry = Number(value);
      }
      return events;
    },
  };
  return parser;
}

/** Answers after which trying again cannot help: the request itself is wrong or not allowed. */
const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/**
 * Opens a stream and keeps it open: after a drop (network, server restart) it waits (1 s,
 * doubling up to 15 s, or what the server's `retry:` said) and reconnects with `Last-Event-ID`.
 *
 * @param {{
 *   url: string,
 *   headers: () => Record<string, string>,
 *   onEvent: (event: SseEvent) => boolean | void,
 *   onState?: (state: 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed', detail?: unknown) => void,
 *   retryMs?: number,
 *   maxRetryMs?: number,
 * }} options `onEvent` returns `false` to close the stream (after a run's `end`); `onState`
 *   reports the connection: `failed` carries the ApiError that stopped it for good.
 * @returns {{ close(): void, readonly lastEventId: string | undefined, readonly connects: number }}
 */
export function openEventStream({ url, headers, onEvent, onState = () => {}, retryMs = 1000, maxRetryMs = 15_000 }) {
  let closed = false;
  let lastEventId;
  let connects = 0;
  let controller;
  let wake;

  const sleep = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });

  async function readOnce() {
    controller = new AbortController();
    const res = await fetch(url, {
      headers: { ...headers(), Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!res.ok) {
      const err = await errorOf(res);
      if (FINAL_STATUSES.has(res.status)) {
        closed = true;
        onState('failed', err);
        return;
      }
      throw err;
    }
    connects += 1;
    onState('open');
    const parser = createSseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || closed) return;
      for (const event of parser.push(value)) {
        if (event.id !== undefined) lastEventId = event.id || undefined;
        if (onEvent(event) === false) {
          closed = true;
          controller.abort();
          onState('closed');
          return;
        }
      }
      if (parser.retry !== undefined) retryMs = parser.retry;
    }
  }

  (async () => {
    let delay = retryMs;
    onState('connecting');
    while (!closed) {
      const before = connects;
      let failure;
      try {
        await readOnce();
      } catch (err) {
        failure = err;
      }
      if (closed) return;
      if (connects > before) delay = retryMs;
      onState('reconnecting', failure);
      await sleep(delay);
      delay = Math.min(delay * 2, maxRetryMs);
    }
  })();

  return {
    close() {
      if (closed) return;
      closed = true;
      controller?.abort();
      wake?.();
      onState('closed');
    },
    get lastEventId() {
      return lastEventId;
    },
    get connects() {
      return connects;
    },
  };
}
