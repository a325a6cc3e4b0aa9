/**
 * One POST of a notification, with a timeout: what the receiver answered, or why there was no answer.
 */

/** What one POST came to. */
export interface PostOutcome {
  /** The receiver's HTTP status, when it answered. */
  statusCode?: number;
  /** Why it failed to answer (a network error, the timeout). */
  error?: string;
  durationMs: number;
}

/** Most of a receiver's answer read (and thrown away), so a huge answer costs nothing. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs `body` to `url` with `headers`, giving up after `timeoutMs`. Redirects are not followed
 * (a 3xx counts as not delivered): a signed body is for the URL it was signed for. Never throws.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
  const started = performance.now();
  try {
    const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await drain(response);
    return { statusCode: response.status, durationMs: performance.now() - started };
  } catch (err) {
    return { error: describeFetchError(err, timeoutMs), durationMs: performance.now() - started };
  }
}

/** Reads the answer up to {@link MAX_ANSWER_BYTES}, so the connection can be reused. */
async function drain(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > MAX_ANSWER_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The status already says how it went; a broken answer body changes nothing.
  }
}

/** One line: fetch's own "fetch failed" says nothing, its cause does. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause?.message ?? e.cause?.code;
  return (cause ? `${e.message ?? 'request failed'}: ${cause}` : (e.message ?? String(err))).slice(0, 500);
}
