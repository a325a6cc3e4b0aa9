/**
 * End-of-run reconciliation: attempt rows a lost worker never wrote are added, rows it left
 * `running` are closed, rows it finished are kept, a second pass changes nothing, and the
 * worker's own record, arriving late, replaces a reconciled row.
 */
import type { NodeStatus } from '../../src/core/states';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { reconcileAttempts } from '../../src/store/sql/reconcile-attempts';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertAttemptStart } from '../../src/store/sql/upsert-attempt-start';
import type { NodeAttemptRecord } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const T0 = '2025-03-01T10:00:00.000Z';
const T9 = '2025-03-01T10:00:09.000Z';

function node(id: string, state: NodeStatus['state'], attempts: number, extra: Partial<NodeStatus> = {}): NodeStatus {
  return { id, activity: `do-${id}`, needs: [], state, attempts, ...extra };
}

async function rows(): Promise<Array<Pick<NodeAttemptRecord, 'nodeId' | 'attempt' | 'outcome' | 'source' | 'errorMessage'>>> {
  const all = await listAttempts(t.db.pool, 'wf');
  return all
    .map(({ nodeId, attempt, outcome, source, errorMessage }) => ({ nodeId, attempt, outcome, source, errorMessage }))
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.attempt - b.attempt);
}

it('adds missing attempts, closes ones left running, keeps finished ones, and is idempotent', async () => {
  // "a": the worker recorded attempt 1 (failed) and nothing of attempt 2 (completed).
  await upsertAttemptEnd(t.db.pool, {
    workflowId: 'wf', nodeId: 'a', attempt: 1, activity: 'do-a', outcome: 'failed', errorMessage: 'flaky', finishedAt: T0,
  });
  // "b": the worker recorded the start of attempt 1 and was lost; attempt 2 failed for good, unrecorded.
  await upsertAttemptStart(t.db.pool, { workflowId: 'wf', nodeId: 'b', attempt: 1, activity: 'do-b', startedAt: T0 });
  // "c": the worker recorded the start of its only attempt; the run was cancelled.
  await upsertAttemptStart(t.db.pool, { workflowId: 'wf', nodeId: 'c', attempt: 1, activity: 'do-c', startedAt: T0 });
  const nodes = [
    node('a', 'completed', 2, { finishedAt: T9 }),
    node('b', 'failed', 2, { error: 'disk full', errorType: 'IOError', finishedAt: T9 }),
    node('c', 'cancelled', 1),
    node('d', 'skipped', 0),
  ];

  expect(await reconcileAttempts(t.db.pool, 'wf', nodes)).toEqual({ added: 2, closed: 2 });
  expect(await rows()).toEqual([
    { nodeId: 'a', attempt: 1, outcome: 'failed', source: 'worker', errorMessage: 'flaky' },
    { nodeId: 'a', attempt: 2, outcome: 'completed', source: 'reconciled', errorMessage: null },
    {
      nodeId: 'b', attempt: 1, outcome: 'timed_out', source: 'reconciled',
      errorMessage: 'no end was recorded (the worker was lost); a later attempt followed',
    },
    { nodeId: 'b', attempt: 2, outcome: 'failed', source: 'reconciled', errorMessage: 'disk full' },
    { nodeId: 'c', attempt: 1, outcome: 'cancelled', source: 'reconciled', errorMessage: null },
  ]);
  const b2 = (await listAttempts(t.db.pool, 'wf')).find((r) => r.nodeId === 'b' && r.attempt === 2);
  expect(b2).toMatchObject({ errorType: 'IOError', finishedAt: new Date(T9), activity: 'do-b' });

  const before = await listAttempts(t.db.pool, 'wf');
  expect(await reconcileAttempts(t.db.pool, 'wf', nodes)).toEqual({ added: 0, closed: 0 });
  expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
});

it('leaves a run whose worker recorded everything untouched', async () => {
  await upsertAttemptEnd(t.db.pool, { workflowId: 'wf', nodeId: 'a', attempt: 1, activity: 'do-a', outcome: 'completed' });
  const before = await listAttempts(t.db.pool, 'wf');
  expect(await reconcileAttempts(t.db.pool, 'wf', [node('a', 'completed', 1)])).toEqual({ added: 0, closed: 0 });
  expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
});

it("lets the worker's own record, arriving after the reconciliation, replace the reconciled row", async () => {
  await reconcileAttempts(t.db.pool, 'wf', [node('a', 'completed', 1)]);
  expect(await upsertAttemptEnd(t.db.pool, {
    workflowId: 'wf', nodeId: 'a', attempt: 1, activity: 'do-a', outcome: 'completed', output: { n: 1 }, startedAt: T0,
  })).toBe('updated');
  const [row] = await listAttempts(t.db.pool, 'wf');
  expect(row).toMatchObject({ outcome: 'completed', source: 'worker', output: { n: 1 }, startedAt: new Date(T0) });
  // ...and a duplicate of it changes nothing more.
  expect(await upsertAttemptEnd(t.db.pool, {
    workflowId: 'wf', nodeId: 'a', attempt: 1, activity: 'do-a', outcome: 'failed', errorMessage: 'late duplicate',
  })).toBe('unchanged');
});

it('does nothing for a run whose nodes made no attempt', async () => {
  expect(await reconcileAttempts(t.db.pool, 'wf', [node('a', 'skipped', 0), node('b', 'cancelled', 0)])).toEqual({
    added: 0,
    closed: 0,
  });
  expect(await rows()).toEqual([]);
});
