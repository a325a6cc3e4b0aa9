/**
 * JSON values into CEL values and back. Payloads are JSON, CEL is typed: a whole JSON number
 * within JavaScript's safe integers becomes a CEL `int` (so `upstream.probe.count + 1` works),
 * any other number a `double`; objects become maps. Results go back as JSON: ints and doubles as
 * numbers (never a BigInt, which the payload converter cannot carry), timestamps as ISO-8601
 * strings, durations as seconds (`"90s"`, `"1.5s"`), bytes as base64.
 *
 * Runs inside the workflow sandbox: pure.
 */
import { isCelList, isCelMap, isCelType, isCelUint, type CelInput, type CelValue } from '@bufbuild/cel';

/** Visits an evaluation may still make. */
export interface VisitBudget {
  left: number;
  /** The budget it started with, for the message. */
  readonly limit: number;
}

/** An evaluation visited more list items and map entries than its budget allows. */
export class VisitBudgetExceeded extends Error {
  constructor(limit: number) {
    super(`the expression visits more than ${limit.toLocaleString('en-US')} list items and map entries; keep heavy work on data in an activity`);
    this.name = 'VisitBudgetExceeded';
  }
}

/** No budget: visits are not counted (values converted outside an evaluation). */
const UNCOUNTED: VisitBudget = { left: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY };

function visit(budget: VisitBudget): void {
  budget.left -= 1;
  if (budget.left < 0) throw new VisitBudgetExceeded(budget.limit);
}

/**
 * A JSON value as a CEL input. `undefined` (an absent output) is `null`. Lists and objects are
 * converted lazily, as the evaluation reads them (an expression that reads one field of a large
 * output converts that field only), and every list item or map entry handed out by index or by
 * iteration counts against `budget` (a lookup by key does not): a loop's steps, the items `in`
 * looks at, the items of two lists compared.
 *
 * @throws Error on a value JSON cannot hold (a function, a symbol), which a payload never holds;
 *   {@link VisitBudgetExceeded} once the budget is spent. Inside a list or an object both are
 *   thrown when the evaluation reaches the value.
 */
export function toCelValue(value: unknown, budget: VisitBudget = UNCOUNTED): CelInput {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'bigint':
      return value;
    case 'object':
      break;
    default:
      throw new Error(`a ${typeof value} is not a JSON value`);
  }
  if (Array.isArray(value)) return lazyList(value, budget);
  return new LazyMap(value as Record<string, unknown>, budget);
}

/**
 * A list that converts each item when it is first read and counts every read. CEL reads list
 * items by index and through the iterator; both go through the proxy's `get`.
 */
function lazyList(items: readonly unknown[], budget: VisitBudget): CelInput[] {
  const converted: CelInput[] = [];
  const done: boolean[] = [];
  return new Proxy(items as CelInput[], {
    get(target, key, receiver) {
      if (typeof key === 'string' && key.length > 0 && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57) {
        const index = Number(key);
        if (!Number.isInteger(index) || index >= target.length) return undefined;
        visit(budget);
        if (!done[index]) {
          converted[index] = toCelValue(target[index], budget);
          done[index] = true;
        }
        return converted[index];
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/**
 * A JSON object as a CEL map: keys as they are, each value converted when first read. Entries
 * handed out by iteration count as visits; a lookup by key does not.
 */
class LazyMap extends Map<string, CelInput> {
  private readonly converted = new Map<string, CelInput>();

  constructor(
    private readonly object: Readonly<Record<string, unknown>>,
    private readonly budget: VisitBudget,
  ) {
    // The keys go in now (size, has and the key order come from the Map); values when read.
    super(Object.keys(object).map((key): [string, CelInput] => [key, null]));
  }

  override get(key: string): CelInput | undefined {
    if (!super.has(key)) return undefined;
    if (!this.converted.has(key)) this.converted.set(key, toCelValue(this.object[key], this.budget));
    return this.converted.get(key);
  }

  override *entries(): MapIterator<[string, CelInput]> {
    for (const key of super.keys()) {
      visit(this.budget);
      yield [key, this.get(key) as CelInput];
    }
  }

  override *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  override *values(): MapIterator<CelInput> {
    for (const [, value] of this.entries()) yield value;
  }

  override [Symbol.iterator](): MapIterator<[string, CelInput]> {
    return this.entries();
  }

  override forEach(fn: (value: CelInput, key: string, map: Map<string, CelInput>) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }
}

/**
 * A CEL result as a JSON value.
 *
 * @throws Error on a result JSON cannot carry (NaN, an infinity, a map with two keys that are one
 *   JSON key, such as `1` and `"1"`, a message that is not a timestamp or a duration), with what it was.
 */
export function fromCelValue(value: CelValue): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'bigint':
      return Number(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`the result ${String(value)} is not a JSON number`);
      return value;
    default:
      break;
  }
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (isCelUint(value)) return Number(value.value);
  if (isCelList(value)) return [...value].map(fromCelValue);
  if (isCelMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      const name = isCelUint(key) ? String(key.value) : String(key);
      // Two CEL keys can make one JSON key (`1` and `"1"`): refuse rather than drop an entry.
      if (Object.hasOwn(out, name)) throw new Error(`the result map has two keys that are both "${name}" in JSON`);
      // Defined, not assigned: a `__proto__` key stays a key instead of replacing the prototype.
      Object.defineProperty(out, name, { value: fromCelValue(item), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isCelType(value)) return value.name;
  const message = (value as { message?: { $typeName?: string; seconds?: bigint; nanos?: number } }).message;
  if (message?.$typeName === 'google.protobuf.Timestamp') {
    const ms = Number(message.seconds ?? 0n) * 1000 + Math.floor((message.nanos ?? 0) / 1e6);
    return new Date(ms).toISOString();
  }
  if (message?.$typeName === 'google.protobuf.Duration') return durationText(BigInt(message.seconds ?? 0n), message.nanos ?? 0);
  throw new Error(`the result ${message?.$typeName ?? 'value'} has no JSON form`);
}

/** A CEL value's type, as messages name it: `string`, `int`, `list`, `map`. */
export function celTypeName(value: CelValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    default:
      break;
  }
  if (value instanceof Uint8Array) return 'bytes';
  if (isCelUint(value)) return 'uint';
  if (isCelList(value)) return 'list';
  if (isCelMap(value)) return 'map';
  if (isCelType(value)) return 'type';
  return (value as { message?: { $typeName?: string } }).message?.$typeName ?? 'object';
}

/**
 * A duration as seconds, exact to the nanosecond and never in exponent notation, as protobuf's
 * JSON writes it: `"90s"`, `"-1.5s"`, `"0.000000001s"` (a JS number would say `1e-9`, and lose
 * the nanoseconds of a long duration).
 */
function durationText(seconds: bigint, nanos: number): string {
  const total = seconds * 1_000_000_000n + BigInt(Math.trunc(nanos));
  const magnitude = total < 0n ? -total : total;
  const whole = magnitude / 1_000_000_000n;
  const fraction = String(magnitude % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return `${total < 0n ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}s`;
}

/** Base64 without Node's Buffer (the workflow sandbox has none). */
function bytesToBase64(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += alphabet[a >> 2];
    out += alphabet[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? '=' : alphabet[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? '=' : alphabet[c & 63];
  }
  return out;
}
