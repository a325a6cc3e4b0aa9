import type { NodeStatus } from '../../src/core/states';
import { runStatusFromStore } from '../../src/store/run-status';
import type { NodeAttemptRecord, RunRecord } from '../../src/store/types';

const t = (s: number): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    workflowId: 'w', firstRunId: 'run-1', pipeline: 'p', spec: null, params: null, result: null, products: [], plots: [],
    tags: [], groups: [], userName: null, site: null, event: null, priority: null, timeoutMs: null, retries: null, attempt: 1,
    seq: 0, state: 'running', reason: null, progressCompleted: 0, progressSkipped: 0, progressTotal: 0, nodes: null, idempotencyKey: null, rerunOf: null, pipelineVersion: null, scheduleId: null, createdAt: t(0),
    startedAt: t(1), finishedAt: null, updatedAt: t(9),
    executionRunId: null, executionStartedAt: null, ...over,
  };
}

function attempt(nodeId: string, n: number, outcome: NodeAttemptRecord['outcome'], over: Partial<NodeAttemptRecord> = {}): NodeAttemptRecord {
  return {
    workflowId: 'w', nodeId, attempt: n, activity: `${nodeId}Act`, outcome, startedAt: t(10 + n), finishedAt: outcome === 'running' ? null : t(11 + n),
    errorType: null, errorMessage: null, output: null, outputRef: null, worker: null, source: 'worker', updatedAt: t(20), ...over,
  };
}

const SPEC = {
  name: 'p',
  nodes: [{ id: 'a', activity: 'aAct' }, { id: 'b', activity: 'bAct', needs: ['a'] }, { id: 'c', activity: 'cAct', needs: ['a', 'b'] }],
};

describe('runStatusFromStore', () => {
  test('uses the node statuses the workflow reported, and its counts', () => {
    const nodes: NodeStatus[] = [
      { id: 'a', activity: 'aAct', needs: [], state: 'completed', attempts: 1, startedAt: t(2).toISOString(), finishedAt: t(3).toISOString() },
      { id: 'b', activity: 'bAct', needs: ['a'], state: 'running', attempts: 3, error: 'flaky', errorType: 'Error' },
      { id: 'c', activity: 'cAct', needs: ['b'], state: 'pending', attempts: 0 },
    ];
    const status = runStatusFromStore(record({ state: 'paused', reason: 'lunch', nodes, progressCompleted: 1, progressTotal: 3 }), [attempt('a', 1, 'failed')]);
    expect(status).toEqual({
      workflowId: 'w', runId: 'run-1', pipeline: 'p', state: 'paused', reason: 'lunch', startedAt: t(1).toISOString(),
      progress: { completed: 1, skipped: 0, total: 3, running: 1, failed: 0, percent: 33 },
      nodes,
    });
    expect(status.nodes[1]).not.toBe(nodes[1]);
  });

  test('fills in what the store does not know: no first run id, no start, a final time', () => {
    const status = runStatusFromStore(record({ firstRunId: null, startedAt: null, state: 'completed', finishedAt: t(5), nodes: [] }));
    expect(status.runId).toBe('');
    expect(status.startedAt).toBe(t(0).toISOString());
    expect(status.finishedAt).toBe(t(5).toISOString());
    expect(status.reason).toBeUndefined();
    expect(status.progress).toEqual({ completed: 0, skipped: 0, total: 0, running: 0, failed: 0, percent: 100 });
  });

  test('rebuilds nodes from the spec and the attempts when the row has none: a run still going', () => {
    const status = runStatusFromStore(record({ spec: SPEC }), [
      attempt('a', 1, 'failed', { errorMessage: 'first try', errorType: 'Boom' }),
      attempt('a', 2, 'completed'),
      attempt('b', 2, 'failed', { errorMessage: 'again' }),
      attempt('b', 1, 'failed', { errorMessage: 'once' }),
      attempt('zzz', 1, 'completed'),
    ]);
    expect(status.nodes).toEqual([
      { id: 'a', activity: 'aAct', needs: [], state: 'completed', attempts: 2, startedAt: t(11).toISOString(), finishedAt: t(13).toISOString() },
      // A failed attempt of a run still going waits for its retry, as the live status shows it.
      { id: 'b', activity: 'bAct', needs: ['a'], state: 'running', attempts: 2, startedAt: t(11).toISOString(), error: 'again' },
      { id: 'c', activity: 'cAct', needs: ['a', 'b'], state: 'pending', attempts: 0 },
    ]);
    expect(status.progress).toEqual({ completed: 1, skipped: 0, total: 3, running: 1, failed: 0, percent: 33 });
  });

  test.each<[RunRecord['state'], Array<[string, string]>]>([
    ['failed', [['a', 'completed'], ['b', 'failed'], ['c', 'skipped']]],
    ['cancelled', [['a', 'completed'], ['b', 'cancelled'], ['c', 'cancelled']]],
    ['held', [['a', 'completed'], ['b', 'failed'], ['c', 'pending']]],
    ['completed', [['a', 'completed'], ['b', 'completed'], ['c', 'completed']]],
  ])('rebuilt nodes of a %s run take their state from it', (state, expected) => {
    const status = runStatusFromStore(record({ spec: SPEC, state, finishedAt: t(30) }), [attempt('a', 1, 'completed'), attempt('b', 1, 'timed_out')]);
    expect(status.nodes.map((n) => [n.id, n.state])).toEqual(expected);
  });

  test('an attempt left running in a run that ended takes the run\'s end', () => {
    const status = runStatusFromStore(record({ spec: SPEC, state: 'cancelled', finishedAt: t(30) }), [attempt('a', 1, 'running')]);
    expect(status.nodes[0]).toMatchObject({ state: 'cancelled', attempts: 1, finishedAt: t(30).toISOString() });
  });

  test('without a readable spec, the nodes are those the attempts name, in the order they started', () => {
    const status = runStatusFromStore(record({ spec: { nodes: 'garbage' } }), [attempt('x', 1, 'completed'), attempt('y', 1, 'running'), attempt('x', 2, 'completed')]);
    expect(status.nodes.map((n) => [n.id, n.activity, n.needs, n.state, n.attempts])).toEqual([
      ['x', 'xAct', [], 'completed', 2],
      ['y', 'yAct', [], 'running', 1],
    ]);
  });
});
