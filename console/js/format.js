/**
 * How times, durations and JSON are shown.
 * @module format
 */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/**
 * A local date and time, or '' when there is none.
 * @param {string | null | undefined} iso
 */
export function formatDateTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? String(iso) : dateTime.format(t);
}

/**
 * A local time of day (for the timeline's axis).
 * @param {number} ms epoch milliseconds
 */
export function formatClock(ms) {
  return timeOnly.format(new Date(ms));
}

/**
 * How long, for people: `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * How long ago, for people: `just now`, `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`.
 * @param {string | null | undefined} iso
 * @param {number} [now] epoch milliseconds
 */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms < 2000) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

/**
 * How soon, for people: `now`, `in 5 s`, `in 3 min`, `in 2 h`, `in 4 d` (a time past is `now`).
 * @param {string | null | undefined} iso
 * @param {number} [now] epoch milliseconds
 */
export function formatIn(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  if (!Number.isFinite(ms)) return '';
  if (ms < 2000) return 'now';
  if (ms < 60_000) return `in ${Math.floor(ms / 1000)} s`;
  if (ms < 3_600_000) return `in ${Math.floor(ms / 60_000)} min`;
  if (ms < 86_400_000) return `in ${Math.floor(ms / 3_600_000)} h`;
  return `in ${Math.floor(ms / 86_400_000)} d`;
}

/**
 * JSON for reading: indented; `undefined` as `null`.
 * @param {unknown} value
 */
export function prettyJson(value) {
  return JSON.stringify(value ?? null, null, 2);
}
