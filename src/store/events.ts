/**
 * Following the store's changes without polling: every insert or change of a run, node attempt or
 * control action is announced with `NOTIFY` on {@link STORE_EVENTS_CHANNEL} when its transaction
 * commits (the triggers are in migration 001).
 */
import type { Client, Notification } from 'pg';
import { STORE_EVENTS_CHANNEL, type StoreEvent } from './types';

/**
 * The event a `NOTIFY` payload carries, or `undefined` when the payload is not one of the store's
 * (another sender on the channel, a newer tapflow's event kind).
 */
export function parseStoreEvent(payload: string | undefined): StoreEvent | undefined {
  if (!payload) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const table = (value as { table?: unknown }).table;
  if (table !== 'runs' && table !== 'node_attempts' && table !== 'control_actions') return undefined;
  return value as StoreEvent;
}

/**
 * Subscribes `client` to the store's events and calls `onEvent` with each. The client must be a
 * connection of its own (a `pg.Client`, or one held from a pool for as long as you listen):
 * notifications arrive on the connection that listened.
 *
 * @returns a function that unsubscribes (`UNLISTEN`) and removes the handler.
 */
export async function listenStoreEvents(
  client: Client,
  onEvent: (event: StoreEvent) => void,
): Promise<() => Promise<void>> {
  const handler = (message: Notification): void => {
    if (message.channel !== STORE_EVENTS_CHANNEL) return;
    const event = parseStoreEvent(message.payload);
    if (event) onEvent(event);
  };
  client.on('notification', handler);
  await client.query(`LISTEN ${STORE_EVENTS_CHANNEL}`);
  return async () => {
    client.off('notification', handler);
    await client.query(`UNLISTEN ${STORE_EVENTS_CHANNEL}`);
  };
}
