/**
 * Polling for things that become true eventually (a run reaching a state, visibility catching
 * up). The deadline only bounds the wait; it is never what a test asserts.
 */
import type { NodeStatus, RunStatus } from '../../src/core/states';

/** Real-time pause. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value other than `undefined`, and returns that value.
 *
 * @throws Error naming `what` (and the last value or error seen) when `timeoutMs` passes first.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 15_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: last error ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}

/** The node `id` of a status, or an error naming the run. */
export function nodeOf(status: RunStatus, id: string): NodeStatus {
  const node = status.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id} in status of ${status.workflowId}`);
  return node;
}
