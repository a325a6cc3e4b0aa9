/**
 * Times on the command line (`--from`, `--to`): an ISO-8601 date or date-time, or a duration
 * meaning "that long ago" (`90m`, `2h`, `7d`, `1h30m`; units `ms`, `s`, `m`, `h`, `d`).
 * Pure.
 */
import { UsageError } from '../core/errors';
import { parseDuration } from '../core/duration';

// 2025-01-31, 2025-01-31T12:00, 2025-01-31 12:00:05.123, each with an optional Z or +hh:mm.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a time argument. A date or date-time without an offset is UTC, as every time tapflow
 * prints is; a date alone is its midnight (UTC).
 *
 * @param flag the flag's name, for the message.
 * @param now the time relative durations count back from.
 * @throws {UsageError} naming the flag when `value` is neither.
 */
export function parseTimeArg(flag: string, value: string, now: Date = new Date()): Date {
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso) {
    const [, date, time, zone] = iso;
    const parsed = new Date(`${date}T${time ?? '00:00'}${normaliseZone(zone)}`);
    if (!Number.isNaN(parsed.getTime()) && isCalendarDay(date as string)) return parsed;
  } else if (/[a-z]$/i.test(text)) {
    const ms = parseDuration(text);
    if (ms !== undefined) return new Date(now.getTime() - ms);
  }
  throw new UsageError(
    `${flag}: "${value}" is not a time; give an ISO-8601 date or time (2025-01-31, 2025-01-31T12:00Z) or how long ago (30m, 2h, 7d)`,
  );
}

function normaliseZone(zone: string | undefined): string {
  if (!zone) return 'Z';
  if (/^z$/i.test(zone)) return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** Whether `yyyy-mm-dd` names a day that exists (Date would roll 2025-02-30 over to March). */
function isCalendarDay(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}
