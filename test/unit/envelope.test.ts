import { isNodeEnvelope, isNodeFailureDetails } from '../../src/core/envelope';

describe('isNodeEnvelope', () => {
  test('recognises what the worker returns, whatever the output', () => {
    expect(isNodeEnvelope({ tapflow: 1, output: { a: 1 }, attempt: 2 })).toBe(true);
    expect(isNodeEnvelope({ tapflow: 1, output: undefined, attempt: 1 })).toBe(true);
    expect(isNodeEnvelope({ tapflow: 1, output: null, attempt: 1 })).toBe(true);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['a string', 'tapflow'],
    ['a number', 1],
    ['an activity output without the marker', { output: 1, attempt: 1 }],
    ['another version', { tapflow: 2, output: 1, attempt: 1 }],
    ['the marker as a string', { tapflow: '1', output: 1, attempt: 1 }],
    ['no output key', { tapflow: 1, attempt: 1 }],
    ['attempt not a number', { tapflow: 1, output: 1, attempt: '1' }],
  ])('rejects %s', (_label, value) => {
    expect(isNodeEnvelope(value)).toBe(false);
  });
});

describe('isNodeFailureDetails', () => {
  test('recognises the marker', () => {
    expect(isNodeFailureDetails({ tapflow: 1, attempt: 3 })).toBe(true);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'x'],
    ['no marker', { attempt: 3 }],
    ['another version', { tapflow: 2, attempt: 3 }],
  ])('rejects %s', (_label, value) => {
    expect(isNodeFailureDetails(value)).toBe(false);
  });
});
