/**
 * The state filters of `tapflow list` go with Temporal's execution status, and a status Temporal
 * ended reads `terminated` with its running nodes closed. Pure.
 */
import { stateClause } from '../../src/control/state-query';
import { asEndedByTemporal, endedByTemporal } from '../../src/control/temporal-end';
import type { RunStatus } from '../../src/core/states';

describe('stateClause', () => {
  test('a state a run is in while it runs matches running executions only', () => {
    expect(stateClause('running')).toBe('ExecutionStatus = "Running" AND TapflowState = "running"');
    expect(stateClause('paused')).toBe('ExecutionStatus = "Running" AND TapflowState = "paused"');
  });

  test('terminated is what Temporal ended', () => {
    expect(stateClause('terminated')).toBe('ExecutionStatus IN ("Terminated", "TimedOut")');
  });

  test("an end of the run's own excludes what Temporal ended", () => {
    expect(stateClause('completed')).toBe('TapflowState = "completed" AND ExecutionStatus != "Terminated" AND ExecutionStatus != "TimedOut"');
  });
});

test('endedByTemporal: terminated and timed out, nothing else', () => {
  expect(['TERMINATED', 'TIMED_OUT', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CONTINUED_AS_NEW'].filter(endedByTemporal)).toEqual([
    'TERMINATED',
    'TIMED_OUT',
  ]);
});

test('asEndedByTemporal: terminated with the reason and close time, running nodes cancelled', () => {
  const status: RunStatus = {
    workflowId: 'w',
    runId: 'r',
    pipeline: 'p',
    state: 'running',
    startedAt: '2025-01-01T00:00:00.000Z',
    progress: { completed: 1, skipped: 0, total: 3, running: 1, failed: 0, percent: 33 },
    nodes: [
      { id: 'a', activity: 'x', needs: [], state: 'completed', attempts: 1 },
      { id: 'b', activity: 'x', needs: ['a'], state: 'running', attempts: 2 },
      { id: 'c', activity: 'x', needs: ['b'], state: 'pending', attempts: 0 },
    ],
  };
  const closedAt = new Date('2025-01-01T00:05:00.000Z');
  const ended = asEndedByTemporal(status, { reason: 'stop', closedAt });
  expect(ended).toMatchObject({ state: 'terminated', reason: 'stop', finishedAt: closedAt.toISOString() });
  expect(ended.nodes.map((n) => n.state)).toEqual(['completed', 'cancelled', 'pending']);
  expect(ended.nodes[1]?.finishedAt).toBe(closedAt.toISOString());
  expect(ended.progress).toMatchObject({ completed: 1, running: 0, percent: 33 });
  expect(status.state).toBe('running');
});
