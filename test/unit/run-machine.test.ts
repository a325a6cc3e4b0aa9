import { FINAL_RUN_STATES, RUN_STATES, type RunState } from '../../src/core/states';
import { RUN_EVENTS, RUN_TRANSITIONS, transition, type RunEvent } from '../../src/core/run-transitions';
import { RunMachine, TEMPORAL_CANCEL_REASON } from '../../src/core/run-machine';

describe('the transition table', () => {
  test('has a cell for every state by every event', () => {
    expect(Object.keys(RUN_TRANSITIONS).sort()).toEqual([...RUN_STATES].sort());
    for (const state of RUN_STATES) expect(Object.keys(RUN_TRANSITIONS[state]).sort()).toEqual([...RUN_EVENTS].sort());
  });

  test('a final state is never left: every event is refused or keeps it', () => {
    for (const state of FINAL_RUN_STATES) {
      for (const event of RUN_EVENTS) {
        const next = transition(state, event);
        if ('to' in next) expect(next.to).toBe(state);
        else expect(next.refused).toMatch(/has already ended/);
      }
    }
  });

  test('the run-level transitions, written out', () => {
    const to = (state: RunState, event: RunEvent): string => {
      const next = transition(state, event);
      return 'to' in next ? next.to : 'refused';
    };
    const live: RunState[] = ['queued', 'running', 'pausing', 'paused', 'held', 'cancelling'];
    const table = Object.fromEntries(live.map((s) => [s, Object.fromEntries(RUN_EVENTS.map((e) => [e, to(s, e)]))]));
    expect(table).toEqual({
      queued: { pause: 'pausing', resume: 'refused', cancel: 'cancelling', hold: 'held', release: 'queued', drained: 'queued', stop: 'queued', complete: 'completed', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'queued', admit: 'running' },
      running: { pause: 'pausing', resume: 'refused', cancel: 'cancelling', hold: 'held', release: 'running', drained: 'running', stop: 'running', complete: 'completed', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'queued', admit: 'running' },
      pausing: { pause: 'refused', resume: 'running', cancel: 'cancelling', hold: 'pausing', release: 'pausing', drained: 'paused', stop: 'pausing', complete: 'completed', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'pausing', admit: 'pausing' },
      paused: { pause: 'refused', resume: 'running', cancel: 'cancelling', hold: 'paused', release: 'paused', drained: 'paused', stop: 'paused', complete: 'completed', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'paused', admit: 'paused' },
      held: { pause: 'pausing', resume: 'refused', cancel: 'cancelling', hold: 'held', release: 'running', drained: 'held', stop: 'held', complete: 'refused', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'held', admit: 'held' },
      cancelling: { pause: 'refused', resume: 'refused', cancel: 'refused', hold: 'cancelling', release: 'cancelling', drained: 'cancelling', stop: 'cancelling', complete: 'refused', endCancelled: 'cancelled', endFailed: 'failed', enqueue: 'cancelling', admit: 'cancelling' },
    });
  });
});

describe('RunMachine', () => {
  test('pause, drain, resume: pausing until nothing works, then paused; resume clears the reason', () => {
    const run = new RunMachine();
    expect(run.control('pause', undefined, 'ops')).toBeUndefined();
    expect(run.state).toBe('pausing');
    expect(run.reason).toBe('paused by ops');
    expect(run.drained()).toBe(true);
    expect(run.state).toBe('paused');
    expect(run.control('pause', 'again')).toBe('cannot pause: the run is already paused');
    expect(run.control('resume', undefined)).toBeUndefined();
    expect(run).toMatchObject({ state: 'running', reason: undefined, phase: 'working' });
  });

  test('a held node shows as held while the run would run, and the run goes on once released', () => {
    const run = new RunMachine();
    run.hold('node "a" is held: boom');
    expect(run).toMatchObject({ state: 'held', reason: 'node "a" is held: boom' });
    expect(run.control('resume', undefined)).toMatch(/held, not paused/);
    run.release();
    expect(run).toMatchObject({ state: 'running', reason: undefined });
  });

  test('a held node does not take a paused run out of paused', () => {
    const run = new RunMachine();
    run.control('pause', 'lunch');
    run.drained();
    run.hold('node "a" is held: boom');
    expect(run).toMatchObject({ state: 'paused', reason: 'lunch' });
  });

  test('a failed node stops the run: it shows why at once, refuses control actions, and ends failed', () => {
    const run = new RunMachine();
    expect(run.stop({ kind: 'failed', nodeId: 'a' }, 'node "a" failed after 3 attempts: boom')).toBe(true);
    expect(run).toMatchObject({ state: 'running', phase: 'stopping', reason: 'node "a" failed after 3 attempts: boom', ending: true });
    expect(run.control('pause', undefined)).toBe('cannot pause: the run is ending (node "a" failed after 3 attempts: boom)');
    expect(run.control('cancel', undefined)).toMatch(/^cannot cancel: the run is ending/);
    // The first cause stands.
    expect(run.stop({ kind: 'expired', failureType: 'TapflowRunTimedOut', message: 'late' }, 'late')).toBe(false);
    expect(run.end()).toBe('failed');
    expect(run.phase).toBe('ended');
    expect(run.reason).toBe('node "a" failed after 3 attempts: boom');
  });

  test('a cancel by update ends cancelled with its reason; a later Temporal cancel changes nothing but is noted', () => {
    const run = new RunMachine();
    expect(run.control('cancel', 'not needed', 'ops', 'update')).toBeUndefined();
    expect(run).toMatchObject({ state: 'cancelling', reason: 'not needed', cause: { kind: 'cancel', via: 'update' } });
    expect(run.temporalCancel()).toBe(false);
    expect(run.cancelledThroughTemporal).toBe(true);
    expect(run.reason).toBe('not needed');
    expect(run.end()).toBe('cancelled');
  });

  test("a Temporal cancel of a paused run never carries the pause's reason, and takes Temporal's own once known", () => {
    const run = new RunMachine();
    run.control('pause', 'lunch');
    run.drained();
    expect(run.temporalCancel()).toBe(true);
    expect(run).toMatchObject({ state: 'cancelling', reason: TEMPORAL_CANCEL_REASON, cause: { kind: 'cancel', via: 'temporal' } });
    run.explainTemporalCancel('cancelled through Temporal by ops@host: maintenance');
    expect(run.reason).toBe('cancelled through Temporal by ops@host: maintenance');
    expect(run.end()).toBe('cancelled');
    run.explainTemporalCancel('too late');
    expect(run.reason).toBe('cancelled through Temporal by ops@host: maintenance');
  });

  test('a run carried over while cancelling is still cancelling, and remembers how the cancel came', () => {
    const first = new RunMachine();
    first.control('cancel', 'stop', undefined, 'signal');
    const next = new RunMachine(first.snapshot());
    expect(next).toMatchObject({ state: 'cancelling', reason: 'stop', cause: { kind: 'cancel', via: 'signal' } });
  });

  test('a run with nothing to end for completes, also from paused', () => {
    const run = new RunMachine({ state: 'paused', reason: 'lunch' });
    expect(run.end()).toBe('completed');
  });

  test('a move the table refuses is a bug, and says so', () => {
    const run = new RunMachine();
    run.hold('held');
    expect(() => run.end()).toThrow('run state machine: cannot complete: a node is held for an operator');
  });
});
