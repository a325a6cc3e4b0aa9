/**
 * Notifications: which run events a webhook hears, and how a webhook is named, in a spec's
 * `notify` and in a deployment's settings alike. Pure (the validator and the worker share it).
 *
 * Terminology
 * - **run event**: a run's state changing into `held`, `failed`, `completed`, `cancelled` or
 *   `terminated`, or a run staying `queued` longer than a duration a webhook names.
 * - **webhook**: an `http(s)` URL that is sent a signed POST for each run event it listens to.
 * - **event filter**: one entry of a webhook's `events`: an event name, or `queued>D` (queued
 *   longer than the duration D, e.g. `queued>10m`).
 * - **secret name**: which of the deployment's signing keys signs a webhook's deliveries
 *   (`TAPFLOW_WEBHOOK_SECRET_<NAME>`); without one, the deployment's default key
 *   (`TAPFLOW_WEBHOOK_SECRET`). Keys never appear in a spec.
 */
import { parseDuration } from './duration';
import { describe, isObject } from './value-checks';

/** The run events a webhook can listen to, `queued` meaning "queued longer than D". */
export const NOTIFY_EVENTS = ['held', 'failed', 'completed', 'cancelled', 'terminated', 'queued'] as const;

/** A run event; see {@link NOTIFY_EVENTS}. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What a webhook listens to when its `events` are not given: every state change, not `queued` (it needs a duration). */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = ['held', 'failed', 'completed', 'cancelled', 'terminated'];

/** One webhook, as a spec's `notify` entry or a deployment's webhook names it. */
export interface NotifySpec {
  /** Where the POST goes: an `http://` or `https://` URL, at most {@link MAX_WEBHOOK_URL_LENGTH} characters. */
  url: string;
  /**
   * The events it hears: names from {@link NOTIFY_EVENTS}, with `queued` written `queued>D` (the
   * run has been `queued` longer than the duration D). Default: {@link DEFAULT_NOTIFY_EVENTS}.
   */
  events?: string[];
  /**
   * Which deployment key signs its deliveries: `NAME` reads `TAPFLOW_WEBHOOK_SECRET_NAME` on the
   * worker. Letters (upper case), digits and `_`. Default: the deployment's default key.
   */
  secret?: string;
}

/** One parsed event filter: the event, and for `queued` how long a run must have been queued. */
export interface EventFilter {
  event: NotifyEvent;
  /** For `queued`: the duration in ms. */
  afterMs?: number;
}

/** Longest webhook URL taken. */
export const MAX_WEBHOOK_URL_LENGTH = 2000;
/** Most webhooks one spec names. */
export const MAX_NOTIFY_ENTRIES = 20;

const NOTIFY_FIELDS = new Set(['url', 'events', 'secret']);
const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
// A scheme, a host, then anything without spaces; the worker's URL parser has the last word.
const WEBHOOK_URL = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;

/**
 * Parses one event filter (`"failed"`, `"queued>10m"`).
 *
 * @returns the filter, or a message saying what is wrong.
 */
export function parseEventFilter(text: string): EventFilter | { problem: string } {
  const [name, after, ...rest] = text.split('>');
  if (name === 'queued') {
    if (after === undefined || rest.length > 0) return { problem: '"queued" needs a duration: write "queued>10m" (queued longer than 10 minutes)' };
    const ms = parseDuration(after);
    if (ms === undefined) return { problem: `"${after}" is not a duration; use e.g. "queued>10m"` };
    return { event: 'queued', afterMs: ms };
  }
  if (after !== undefined) return { problem: 'only "queued" takes a duration ("queued>10m")' };
  if ((NOTIFY_EVENTS as readonly string[]).includes(name ?? '')) return { event: name as NotifyEvent };
  return { problem: `unknown event ${describe(name)}; expected one of ${NOTIFY_EVENTS.map((e) => (e === 'queued' ? '"queued>D"' : `"${e}"`)).join(', ')}` };
}

/** The filters of a webhook, its defaults when it names none. Assumes a valid {@link NotifySpec}. */
export function eventFiltersOf(webhook: NotifySpec): EventFilter[] {
  if (webhook.events === undefined) return DEFAULT_NOTIFY_EVENTS.map((event) => ({ event }));
  return webhook.events.map(parseEventFilter).filter((f): f is EventFilter => 'event' in f);
}

/**
 * Checks a list of webhooks (a spec's `notify`, a deployment's webhooks), reporting each problem
 * at its place (`notify[0].url`, `notify[1].events[2]`).
 *
 * @param at the list's path, e.g. `notify`.
 */
export function checkNotifyList(value: unknown, at: string, add: (path: string, message: string) => void): void {
  if (!Array.isArray(value)) {
    add(at, `must be an array of webhooks ({ "url": ..., "events": [...] }), got ${describe(value)}`);
    return;
  }
  if (value.length > MAX_NOTIFY_ENTRIES) add(at, `names ${value.length} webhooks; at most ${MAX_NOTIFY_ENTRIES}`);
  const seen = new Map<string, number>();
  [...value].forEach((entry: unknown, i) => {
    const where = `${at}[${i}]`;
    if (!isObject(entry)) {
      add(where, `must be an object with a "url", got ${describe(entry)}`);
      return;
    }
    for (const key of Object.keys(entry)) if (!NOTIFY_FIELDS.has(key)) add(`${where}.${key}`, 'unknown field; a webhook has "url", "events" and "secret"');
    checkUrl(entry.url, `${where}.url`, add);
    if (typeof entry.url === 'string') {
      const first = seen.get(entry.url);
      if (first !== undefined) add(`${where}.url`, `the same URL as ${at}[${first}]: name a webhook once, with all its events`);
      else seen.set(entry.url, i);
    }
    if (entry.events !== undefined) checkEvents(entry.events, `${where}.events`, add);
    if (entry.secret !== undefined && (typeof entry.secret !== 'string' || !SECRET_NAME.test(entry.secret))) {
      add(
        `${where}.secret`,
        `must be a key's name (upper-case letters, digits and "_", e.g. "ORDERS"; the worker reads TAPFLOW_WEBHOOK_SECRET_<NAME>), got ${describe(entry.secret)}; never the key itself`,
      );
    }
  });
}

function checkUrl(url: unknown, where: string, add: (path: string, message: string) => void): void {
  if (url === undefined) add(where, 'missing: a webhook needs a url');
  else if (typeof url !== 'string') add(where, `must be a string, got ${describe(url)}`);
  else if (url.length > MAX_WEBHOOK_URL_LENGTH) add(where, `is ${url.length} characters long; at most ${MAX_WEBHOOK_URL_LENGTH}`);
  else if (!WEBHOOK_URL.test(url)) add(where, `${describe(url)} is not an http:// or https:// URL (user names and passwords in the URL are not taken)`);
}

function checkEvents(events: unknown, where: string, add: (path: string, message: string) => void): void {
  if (!Array.isArray(events)) {
    add(where, `must be an array of events, e.g. ["failed", "held", "queued>10m"], got ${describe(events)}`);
    return;
  }
  if (events.length === 0) add(where, 'must name at least one event (leave it out for the default events)');
  const names = new Set<string>();
  [...events].forEach((event: unknown, j) => {
    if (typeof event !== 'string') {
      add(`${where}[${j}]`, `must be a string, got ${describe(event)}`);
      return;
    }
    const filter = parseEventFilter(event);
    if ('problem' in filter) add(`${where}[${j}]`, filter.problem);
    else if (names.has(filter.event)) add(`${where}[${j}]`, `"${filter.event}" is listed twice`);
    else names.add(filter.event);
  });
}
