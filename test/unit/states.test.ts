import { FINAL_RUN_STATES, isFinal, RUN_STATES, type ControlAction, type RunState } from '../../src/core/states';
import { refusal } from '../../src/core/run-transitions';

describe('run states', () => {
  test('lists every run state once', () => {
    expect([...RUN_STATES].sort()).toEqual(
      ['cancelled', 'cancelling', 'completed', 'failed', 'held', 'paused', 'pausing', 'queued', 'running', 'terminated'],
    );
  });

  test('cancelled, completed, failed and terminated are final; nothing else is', () => {
    expect([...FINAL_RUN_STATES].sort()).toEqual(['cancelled', 'completed', 'failed', 'terminated']);
    expect(RUN_STATES.filter(isFinal)).toEqual(['cancelled', 'completed', 'failed', 'terminated']);
  });
});

describe('refusal', () => {
  const ACCEPTED = undefined;

  /** Every action x state: `undefined` when the run takes it, else the exact refusal. */
  const table: Record<ControlAction, Record<RunState, string | undefined>> = {
    pause: {
      queued: ACCEPTED,
      running: ACCEPTED,
      pausing: 'cannot pause: the run is already pausing',
      paused: 'cannot pause: the run is already paused',
      held: ACCEPTED,
      cancelling: 'cannot pause: the run is being cancelled',
      cancelled: 'cannot pause: the run has already ended (cancelled)',
      completed: 'cannot pause: the run has already ended (completed)',
      failed: 'cannot pause: the run has already ended (failed)',
      terminated: 'cannot pause: the run has already ended (terminated)',
    },
    resume: {
      queued: 'cannot resume: the run is queued, not paused',
      running: 'cannot resume: the run is running, not paused',
      pausing: ACCEPTED,
      paused: ACCEPTED,
      held: 'cannot resume: the run is held, not paused; retry or skip the held node (tapflow retry|skip ID NODE)',
      cancelling: 'cannot resume: the run is being cancelled',
      cancelled: 'cannot resume: the run has already ended (cancelled)',
      completed: 'cannot resume: the run has already ended (completed)',
      failed: 'cannot resume: the run has already ended (failed)',
      terminated: 'cannot resume: the run has already ended (terminated)',
    },
    cancel: {
      queued: ACCEPTED,
      running: ACCEPTED,
      pausing: ACCEPTED,
      paused: ACCEPTED,
      held: ACCEPTED,
      cancelling: 'cannot cancel: the run is already being cancelled',
      cancelled: 'cannot cancel: the run has already ended (cancelled)',
      completed: 'cannot cancel: the run has already ended (completed)',
      failed: 'cannot cancel: the run has already ended (failed)',
      terminated: 'cannot cancel: the run has already ended (terminated)',
    },
  };

  const cases = (Object.keys(table) as ControlAction[]).flatMap((action) =>
    RUN_STATES.map((state) => [action, state, table[action][state]] as const),
  );

  test('the table covers every action and every state', () => {
    expect(cases).toHaveLength(3 * RUN_STATES.length);
  });

  test.each(cases)('%s when %s -> %p', (action, state, expected) => {
    expect(refusal(action, state)).toBe(expected);
  });

  test('every action on a final run is refused', () => {
    for (const state of FINAL_RUN_STATES) {
      for (const action of ['pause', 'resume', 'cancel'] as const) {
        expect(refusal(action, state)).toMatch(/has already ended/);
      }
    }
  });
});
