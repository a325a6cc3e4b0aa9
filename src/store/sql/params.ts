/**
 * Turning JavaScript values into statement parameters. Shared by the statement modules; holds no
 * SQL of its own.
 */
import type { TimeInput } from '../types';

/**
 * A value as a `jsonb` parameter (`$n::jsonb`), or `null` for `undefined`.
 *
 * `pg` would send a JavaScript array as a PostgreSQL array and a string as text, so every JSON
 * value is serialised here. `jsonb` refuses the NUL character (`\u0000`) that JSON allows; it is
 * replaced by U+FFFD so that such a value is still recorded rather than failing the write.
 */
export function jsonParam(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null; // a function or a symbol: nothing JSON can keep
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

/** A time as a `timestamptz` parameter, or `null` for `undefined`. */
export function timeParam(value: TimeInput | undefined): Date | string | null {
  return value ?? null;
}

/** A list as a `text[]` parameter, or `null` for `undefined`. */
export function textArrayParam(value: readonly string[] | string | undefined): string[] | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? [value] : [...value];
}
