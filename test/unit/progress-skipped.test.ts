/**
 * Progress counts skipped nodes apart (`skipped`) and as done in the percentage:
 * `percent = floor(100 * (completed + skipped) / total)`, the same in the run book (the workflow's
 * own counts, kept incrementally), in the status rebuilt from the store's row, and in the CLI's
 * progress bar. A completed run with a skipped node is 100 %, not 75 %.
 */
import { progressBar } from '../../src/cli/render';
import type { NodeStatus, RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { runStatusFromStore } from '../../src/store/run-status';
import type { RunRecord } from '../../src/store/types';
import { RunBook } from '../../src/workflows/run-book';

const T = '2024-01-01T00:00:00.000Z';

/** a -> b -> c -> d */
const chain: PipelineSpec = {
  name: 'chain',
  nodes: [
    { id: 'a', activity: 'x' },
    { id: 'b', activity: 'x', needs: ['a'] },
    { id: 'c', activity: 'x', needs: ['b'] },
    { id: 'd', activity: 'x', needs: ['c'] },
  ],
};

describe('RunBook.progress with skipped nodes', () => {
  test('a skipped node counts as done in the percentage and apart in skipped', () => {
    const book = new RunBook(chain);
    expect(book.startNext(T)).toBe('a');
    book.complete('a', 1, 1, T);
    expect(book.progress()).toEqual({ completed: 1, skipped: 0, total: 4, running: 0, failed: 0, percent: 25 });
    // An operator skips b while it is pending... it is ready, so skip it before it starts.
    book.skip('b', null, T);
    expect(book.progress()).toEqual({ completed: 1, skipped: 1, total: 4, running: 0, failed: 0, percent: 50 });
    expect(book.startNext(T)).toBe('c');
    expect(book.progress()).toMatchObject({ running: 1, percent: 50 });
    book.complete('c', 3, 1, T);
    expect(book.startNext(T)).toBe('d');
    book.complete('d', 4, 1, T);
    // The bug this guards against: a finished run with a skipped node read 75 %.
    expect(book.progress()).toEqual({ completed: 3, skipped: 1, total: 4, running: 0, failed: 0, percent: 100 });
    expect(book.allFinished()).toBe(true);
  });

  test('a running node that skips itself (an event timing out) moves from running to skipped', () => {
    const book = new RunBook(chain);
    book.startNext(T);
    expect(book.progress()).toMatchObject({ running: 1, skipped: 0, percent: 0 });
    book.skip('a', 'default', T);
    expect(book.progress()).toMatchObject({ running: 0, skipped: 1, completed: 0, percent: 25 });
  });

  test('nodes skipped after a failure count too; counts stay right through a rerun', () => {
    const book = new RunBook(chain);
    book.startNext(T);
    book.complete('a', 1, 1, T);
    book.startNext(T);
    book.fail('b', 'boom', undefined, 1, T);
    book.endPending('skipped', T);
    expect(book.progress()).toEqual({ completed: 1, skipped: 2, total: 4, running: 0, failed: 1, percent: 75 });

    const again = new RunBook(chain);
    again.startNext(T);
    again.complete('a', 1, 1, T);
    again.skip('b', null, T);
    again.startNext(T);
    again.complete('c', 3, 1, T);
    // b and what follows it go round again: no longer skipped or completed.
    again.rerun('b');
    expect(again.progress()).toEqual({ completed: 1, skipped: 0, total: 4, running: 0, failed: 0, percent: 25 });
  });

  test('counts survive a snapshot (continue-as-new)', () => {
    const book = new RunBook(chain);
    book.startNext(T);
    book.complete('a', 1, 1, T);
    book.skip('b', null, T);
    const restored = new RunBook(chain, book.snapshot());
    expect(restored.progress()).toEqual(book.progress());
    expect(restored.progress()).toMatchObject({ completed: 1, skipped: 1, percent: 50 });
  });

  test('no nodes: 100 %', () => {
    expect(new RunBook({ name: 'empty', nodes: [] }).progress()).toMatchObject({ skipped: 0, percent: 100 });
  });
});

function row(over: Partial<RunRecord>): RunRecord {
  const t = new Date(Date.UTC(2025, 0, 1));
  return {
    workflowId: 'w', firstRunId: 'r', pipeline: 'p', spec: null, params: null, result: null, products: [], plots: [],
    tags: [], groups: [], userName: null, site: null, event: null, priority: null, timeoutMs: null, retries: null, attempt: 1,
    seq: 0, state: 'completed', reason: null, progressCompleted: 0, progressSkipped: 0, progressTotal: 0, nodes: null,
    idempotencyKey: null, rerunOf: null, pipelineVersion: null, scheduleId: null, createdAt: t, startedAt: t, finishedAt: t, updatedAt: t,
    executionRunId: null, executionStartedAt: null, ...over,
  };
}

const node = (id: string, state: NodeStatus['state']): NodeStatus => ({ id, activity: 'x', needs: [], state, attempts: state === 'completed' ? 1 : 0 });

describe('the status rebuilt from the store', () => {
  const nodes = [node('a', 'completed'), node('b', 'skipped'), node('c', 'completed'), node('d', 'completed')];

  test('reads the skipped count the workflow wrote, and counts it as done', () => {
    const status = runStatusFromStore(row({ nodes, progressCompleted: 3, progressSkipped: 1, progressTotal: 4 }));
    expect(status.progress).toEqual({ completed: 3, skipped: 1, total: 4, running: 0, failed: 0, percent: 100 });
  });

  test('a row written before the skipped count was kept: counted from its nodes', () => {
    const status = runStatusFromStore(row({ nodes, progressCompleted: 3, progressSkipped: 0, progressTotal: 4 }));
    expect(status.progress).toMatchObject({ completed: 3, skipped: 1, percent: 100 });
  });

  test('a row with no counts and no nodes: a failed run whose unstarted nodes were skipped', () => {
    const spec = { name: 'p', nodes: [{ id: 'a', activity: 'x' }, { id: 'b', activity: 'x', needs: ['a'] }] };
    const status = runStatusFromStore(row({ state: 'failed', spec }), [
      {
        workflowId: 'w', nodeId: 'a', attempt: 1, activity: 'x', outcome: 'failed', startedAt: null, finishedAt: null, errorType: null,
        errorMessage: 'boom', output: null, outputRef: null, worker: null, source: 'worker', updatedAt: new Date(0),
      },
    ]);
    expect(status.nodes.map((n) => n.state)).toEqual(['failed', 'skipped']);
    expect(status.progress).toEqual({ completed: 0, skipped: 1, total: 2, running: 0, failed: 1, percent: 50 });
  });
});

describe('the CLI progress bar', () => {
  const status = (progress: RunStatus['progress']): RunStatus => ({
    workflowId: 'w', runId: 'r', pipeline: 'p', state: 'completed', startedAt: T, nodes: [], progress,
  });

  test('fills as far as the percentage says, skipped nodes included, and names them', () => {
    expect(progressBar(status({ completed: 3, skipped: 1, total: 4, running: 0, failed: 0, percent: 100 }), 8)).toBe(
      '[########] 100%  3/4 nodes, 1 skipped',
    );
    expect(progressBar(status({ completed: 1, skipped: 1, total: 4, running: 0, failed: 0, percent: 50 }), 8)).toBe(
      '[####....]  50%  1/4 nodes, 1 skipped',
    );
    expect(progressBar(status({ completed: 1, skipped: 0, total: 4, running: 0, failed: 0, percent: 25 }), 8)).toBe('[##......]  25%  1/4 nodes');
  });

  test('a status from a worker that does not count skipped nodes shows as before', () => {
    const old = { completed: 1, total: 4, running: 0, failed: 0, percent: 25 } as RunStatus['progress'];
    expect(progressBar(status(old), 8)).toBe('[##......]  25%  1/4 nodes');
  });
});
