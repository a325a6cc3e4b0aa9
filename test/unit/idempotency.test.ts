/**
 * The idempotency key's rules, the run id it gives, and the request hash a repeated start is
 * recognised by. Pure.
 */
import { UsageError } from '../../src/core/errors';
import {
  canonicalJson,
  checkIdempotencyKey,
  idempotentRunId,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  readRequestMemo,
  REQUEST_MEMO,
  requestHash,
} from '../../src/control/idempotency';
import { runMeta } from '../../src/client';

describe('checkIdempotencyKey', () => {
  test.each([
    ['a plain key', 'order-1234'],
    ['punctuation and non-ASCII letters', 'ticket:ÅB/42#x'],
    ['exactly the longest', 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH)],
    ['200 astral characters (counted as characters, not UTF-16 units)', '😀'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH)],
  ])('accepts %s', (_name, key) => {
    expect(checkIdempotencyKey(key)).toBe(key);
  });

  test.each([
    ['empty', '', '--idempotency-key: must not be empty'],
    ['too long', 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), '--idempotency-key: at most 200 characters, got 201'],
    ['a space', 'a b', '--idempotency-key: must not contain whitespace or control characters'],
    ['a tab', 'a\tb', '--idempotency-key: must not contain whitespace or control characters'],
    ['a newline', 'a\nb', '--idempotency-key: must not contain whitespace or control characters'],
    ['a no-break space', 'a\u00a0b', '--idempotency-key: must not contain whitespace or control characters'],
    ['a NUL', 'a\u0000b', '--idempotency-key: must not contain whitespace or control characters'],
    ['an escape', 'a\u001bb', '--idempotency-key: must not contain whitespace or control characters'],
    ['DEL', 'a\u007fb', '--idempotency-key: must not contain whitespace or control characters'],
  ])('refuses %s with one line', (_name, key, message) => {
    const check = (): string => checkIdempotencyKey(key);
    expect(check).toThrow(UsageError);
    expect(check).toThrow(message);
    expect(message).not.toContain('\n');
  });

  test('runMeta checks the key and copies it', () => {
    expect(runMeta({ idempotencyKey: 'k-1' }).idempotencyKey).toBe('k-1');
    expect(runMeta({}).idempotencyKey).toBeUndefined();
    expect(() => runMeta({ idempotencyKey: ' ' })).toThrow(UsageError);
  });
});

test('the run id is the key scoped to the pipeline', () => {
  expect(idempotentRunId('thumbnails', 'order-7')).toBe('thumbnails-order-7');
  expect(idempotentRunId('a', 'k')).not.toBe(idempotentRunId('b', 'k'));
});

describe('requestHash', () => {
  const spec = { name: 'p', nodes: [{ id: 'a', activity: 'x', input: { w: 1, h: 2 } }] };

  test('does not depend on the order of keys (the store reorders them)', () => {
    const reordered = { nodes: [{ input: { h: 2, w: 1 }, activity: 'x', id: 'a' }], name: 'p' };
    expect(requestHash(reordered, { b: 1, a: [1, { y: 2, x: 1 }] })).toBe(requestHash(spec, { a: [1, { x: 1, y: 2 }], b: 1 }));
  });

  test('changes with the input and with the spec', () => {
    const base = requestHash(spec, { n: 1 });
    expect(requestHash(spec, { n: 2 })).not.toBe(base);
    expect(requestHash({ ...spec, name: 'q' }, { n: 1 })).not.toBe(base);
    expect(requestHash(spec, [2, 1])).not.toBe(requestHash(spec, [1, 2]));
  });

  test('no input and null input are the same request (the store keeps both as null)', () => {
    expect(requestHash(spec, undefined)).toBe(requestHash(spec, null));
    expect(requestHash(spec, undefined)).not.toBe(requestHash(spec, {}));
  });

  test('is a SHA-256 in hex', () => {
    expect(requestHash(spec, 1)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('canonicalJson drops undefined fields as JSON does', () => {
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

test('readRequestMemo reads only a well-formed memo', () => {
  const memo = { idempotencyKey: 'k', hash: 'h', startId: 's' };
  expect(readRequestMemo({ [REQUEST_MEMO]: memo, other: 1 })).toEqual(memo);
  expect(readRequestMemo(undefined)).toBeUndefined();
  expect(readRequestMemo({})).toBeUndefined();
  expect(readRequestMemo({ [REQUEST_MEMO]: { idempotencyKey: 'k', hash: 3, startId: 's' } })).toBeUndefined();
});
