import { parseTimeArg } from '../../src/control/time-arg';
import { UsageError } from '../../src/core/errors';

const NOW = new Date('2025-06-01T00:00:00.000Z');

describe('parseTimeArg', () => {
  test.each<[string, string]>([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T12:00', '2025-01-31T12:00:00.000Z'],
    ['2025-01-31 12:00:05', '2025-01-31T12:00:05.000Z'],
    ['2025-01-31T12:00:05.123Z', '2025-01-31T12:00:05.123Z'],
    ['2025-01-31t12:00z', '2025-01-31T12:00:00.000Z'],
    ['2025-01-31T12:00+02:00', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T12:00-0130', '2025-01-31T13:30:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    [' 2025-01-31 ', '2025-01-31T00:00:00.000Z'],
  ])('reads ISO-8601 %j as %s (UTC without an offset)', (text, iso) => {
    expect(parseTimeArg('--from', text, NOW).toISOString()).toBe(iso);
  });

  test.each<[string, string]>([
    ['30m', '2025-05-31T23:30:00.000Z'],
    ['2h', '2025-05-31T22:00:00.000Z'],
    ['7d', '2025-05-25T00:00:00.000Z'],
    ['1h30m', '2025-05-31T22:30:00.000Z'],
    ['500ms', '2025-05-31T23:59:59.500Z'],
  ])('reads the duration %j as that long before now', (text, iso) => {
    expect(parseTimeArg('--from', text, NOW).toISOString()).toBe(iso);
  });

  test.each(['', 'yesterday', '5', '2025', '2025-13-01', '2025-02-29', '2025-04-31', '2025-01-01T24:30', '2025-1-1', '2h ago', '-2h', '0s'])(
    'refuses %j with a UsageError naming the flag',
    (text) => {
      expect(() => parseTimeArg('--to', text, NOW)).toThrow(UsageError);
      expect(() => parseTimeArg('--to', text, NOW)).toThrow(`--to: "${text}" is not a time; `);
    },
  );
});
