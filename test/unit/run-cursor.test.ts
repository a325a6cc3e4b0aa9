import { decodeRunCursor, encodeRunCursor } from '../../src/store/run-cursor';
import { UsageError } from '../../src/core/errors';

describe('run cursors', () => {
  test.each(['r1', 'with spaces/and:colons', 'ünïcødé-🚀', '["tricky",1]', ''])('round-trips the workflow id %j exactly', (workflowId) => {
    const createdAt = new Date('2025-01-06T12:00:00.123Z');
    const cursor = encodeRunCursor({ createdAt, workflowId });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeRunCursor('--after', cursor)).toEqual({ createdAt, workflowId });
  });

  test.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['the wrong JSON', Buffer.from('{"a":1}').toString('base64url')],
    ['a bad time', Buffer.from('["yesterday","r1"]').toString('base64url')],
    ['a time not in canonical form', Buffer.from('["2025-01-06","r1"]').toString('base64url')],
    ['a missing id', Buffer.from('["2025-01-06T12:00:00.000Z"]').toString('base64url')],
    ['nothing', ''],
  ])('refuses %s with a UsageError naming the flag', (_what, value) => {
    expect(() => decodeRunCursor('--after', value)).toThrow(UsageError);
    expect(() => decodeRunCursor('--after', value)).toThrow(/^--after: ".*" is not a cursor; /);
  });
});
