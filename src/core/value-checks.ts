/**
 * Small checks and descriptions of untrusted values, shared by the spec validator's modules.
 * Pure.
 */
import { parseDuration } from './duration';

/** Whether `v` is a plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `v` is a whole number of at least 1. */
export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** Whether `v` is a duration (`"30s"` or milliseconds) longer than zero. */
export function isPositiveDuration(v: unknown): boolean {
  const ms = typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : undefined;
  return ms !== undefined && ms > 0;
}

/** `word` with its indefinite article: "a sleep", "an event". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

/** A value as a problem message shows it: `"abc"`, `number 3`, `an object`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
