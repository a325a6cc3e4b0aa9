/**
 * Durations in specs: a number of milliseconds, or a string of one or more `<number><unit>`
 * parts with units `ms`, `s`, `m`, `h`, `d` (`"1h30m"`, `"2.5s"`). Pure: used by workflow code.
 */
import type { DurationSpec } from './types';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration to whole milliseconds.
 *
 * @returns the duration in ms, or `undefined` when the value is not a valid, positive duration.
 */
export function parseDuration(value: DurationSpec): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? atLeastOneMs(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return parseDuration(Number(text));
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return atLeastOneMs(total);
}

/** Whole milliseconds; a value that rounds to 0 is no duration (Temporal refuses 0 intervals). */
function atLeastOneMs(ms: number): number | undefined {
  const rounded = Math.round(ms);
  return rounded >= 1 ? rounded : undefined;
}

/** Formats milliseconds for people: `950ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (Math.round(ms / 100) < 600) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Milliseconds as a duration {@link parseDuration} reads back exactly: `90s` is `1m30s`, `0` is
 * `0s`, `1500` is `1s500ms`, 90 days `90d`. For values shown where a person or a script may pass
 * them on (a schedule's interval, a retention).
 */
export function durationText(ms: number): string {
  let left = Math.max(0, Math.round(ms));
  if (left === 0) return '0s';
  let text = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(left / size);
    if (n > 0) text += `${n}${unit}`;
    left -= n * size;
  }
  return text;
}

/**
 * Parses a duration that ends in a unit (`90d`, `12h`, `1d12h`), refusing a bare number: where a
 * person gives an age (a retention), `90` meant as days but read as milliseconds would be a slip
 * with consequences.
 *
 * @returns the duration in ms, or `undefined` when the text is not a duration with a unit.
 */
export function parseDurationWithUnit(text: string): number | undefined {
  return /[a-z]\s*$/i.test(text) ? parseDuration(text) : undefined;
}
