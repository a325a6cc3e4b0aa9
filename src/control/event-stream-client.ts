/**
 * Reading a Server-Sent Events stream from Node (the API's `GET /api/runs/:id/events` and
 * `GET /api/events`) with `fetch`, which, unlike the browser's `EventSource`, can send the bearer
 * token.
 */

/** One event of a stream. `data` is the event's data lines joined by newlines (JSON for tapflow's streams). */
export interface StreamEvent {
  /** The event's name (`message` when the stream did not name it). */
  event: string;
  /** Its id, when it had one. */
  id?: string;
  data: string;
}

/**
 * The events of a `text/event-stream` body, in order, until the stream ends. Comments and the
 * `retry:` field are read and dropped.
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let text = '';
  let event: Partial<StreamEvent> & { lines: string[] } = { lines: [] };
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = text.search(/\r\n|\n|\r/)) >= 0) {
      const line = text.slice(0, newline);
      text = text.slice(newline + (text.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (event.lines.length > 0) yield { event: event.event ?? 'message', ...(event.id === undefined ? {} : { id: event.id }), data: event.lines.join('\n') };
        event = { lines: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') event.lines.push(value);
      else if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
    }
  }
}

/** Options of {@link openEventStream}. */
export interface OpenEventStreamOptions {
  /** The API token, sent as `Authorization: Bearer`. */
  token: string;
  /** Resume after this event id. */
  lastEventId?: string;
  /** Aborts the request (and ends the iteration). */
  signal?: AbortSignal;
}

/**
 * Opens an event stream of the API at `url` and iterates its events.
 *
 * @throws {Error} with the API's error message when it answers other than 200.
 */
export async function* openEventStream(url: string, options: OpenEventStreamOptions): AsyncGenerator<StreamEvent> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
  if (response.status !== 200 || !response.body) {
    const text = await response.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // not JSON: the text as it is
    }
    throw new Error(`${url}: ${response.status} ${message}`);
  }
  yield* readEventStream(response.body);
}
