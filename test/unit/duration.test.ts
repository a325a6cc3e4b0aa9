import { formatDuration, parseDuration, durationText, parseDurationWithUnit } from '../../src/core/duration';

describe('parseDuration', () => {
  test.each<[string, number]>([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m5s', 65_000],
    ['2.5s', 2_500],
    ['1.5ms', 2],
    ['1h0m0s', 3_600_000],
    [' 30s ', 30_000],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test('reads "ms" as milliseconds, not minutes followed by seconds', () => {
    expect(parseDuration('5ms')).toBe(5);
    expect(parseDuration('5m')).toBe(300_000);
  });

  test('takes a number as milliseconds, rounded to whole ms', () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(1)).toBe(1);
    expect(parseDuration(2.4)).toBe(2);
    expect(parseDuration(1e3)).toBe(1000);
  });

  test('takes a string of digits as milliseconds', () => {
    expect(parseDuration('500')).toBe(500);
    expect(parseDuration('60000')).toBe(60_000);
  });

  test.each<[string, unknown]>([
    ['empty string', ''],
    ['blank string', '   '],
    ['words', 'abc'],
    ['negative', '-1s'],
    ['unknown unit', '1x'],
    ['unit without number', 's'],
    ['number then garbage', '10s!'],
    ['spaces between parts', '1h 30m'],
    ['zero seconds', '0s'],
    ['zero as text', '0'],
    ['zero', 0],
    ['negative number', -5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['null', null],
    ['boolean', true],
    ['object', {}],
  ])('rejects %s', (_label, value) => {
    expect(parseDuration(value as string)).toBeUndefined();
  });

  // A positive duration under half a millisecond rounds to 0, which Temporal refuses: it is
  // not a duration.
  test('never returns 0 for a value it accepts (0.4 ms rounds to 0)', () => {
    for (const value of [0.4, '0.4ms']) {
      const ms = parseDuration(value);
      expect(ms === undefined || ms >= 1).toBe(true);
    }
  });

  test('is repeatable: the sticky regex is reset between calls', () => {
    expect(parseDuration('1x')).toBeUndefined();
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
  });
});

describe('formatDuration', () => {
  test.each<[number, string]>([
    [0, '0ms'],
    [950, '950ms'],
    [1000, '1.0s'],
    [12_300, '12.3s'],
    [60_000, '1m00s'],
    [245_000, '4m05s'],
    [3_599_000, '59m59s'],
    [3_600_000, '1h00m'],
    [7_380_000, '2h03m'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('round-trips through parseDuration for whole minutes and hours', () => {
    expect(parseDuration(formatDuration(245_000))).toBe(245_000);
    expect(parseDuration(formatDuration(7_380_000))).toBe(7_380_000);
  });
});

describe('durationText', () => {
  test.each<[number, string]>([
    [90 * 86_400_000, '90d'],
    [12 * 3_600_000, '12h'],
    [36 * 3_600_000, '1d12h'],
    [30 * 60_000, '30m'],
    [90_000, '1m30s'],
    [45_000, '45s'],
    [1_500, '1s500ms'],
    [0, '0s'],
  ])('formats %d ms as %j, which parses back', (ms, text) => {
    expect(durationText(ms)).toBe(text);
    if (ms > 0) expect(parseDuration(text)).toBe(ms);
  });
});

describe('parseDurationWithUnit', () => {
  test('takes durations that end in a unit', () => {
    expect(parseDurationWithUnit('90d')).toBe(90 * 86_400_000);
    expect(parseDurationWithUnit('1d12h')).toBe(36 * 3_600_000);
  });
  test.each(['90', '', 'soon', '5x', '-1d'])('refuses %j (a bare number would be milliseconds)', (text) => {
    expect(parseDurationWithUnit(text)).toBeUndefined();
  });
});
