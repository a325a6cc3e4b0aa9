/**
 * What a rerun of an ended run reuses: listReusableOutputs reads each completed node's last
 * completed attempt's output (inline or kept in attempt_outputs), and the outputs the run
 * recorded on its row for nodes no attempt holds (sleep, event, skip), which upsertRun merges in.
 */
import { foldAttemptWrites, type AttemptWrite } from '../../src/store/sql/attempt-rows';
import { listReusableOutputs } from '../../src/store/sql/list-reusable-outputs';
import { MAX_INLINE_OUTPUT_BYTES, upsertAttemptRows } from '../../src/store/sql/upsert-attempt-rows';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { AttemptEnd } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:00:01.000Z');

function attempt(nodeId: string, n: number, outcome: AttemptEnd['outcome'], output?: unknown): AttemptWrite[] {
  const key = { workflowId: 'wf', nodeId, attempt: n, activity: 'work' };
  return [
    { kind: 'start', record: { ...key, startedAt: T0, worker: 'w1' } },
    { kind: 'end', record: { ...key, outcome, finishedAt: T1, ...(output === undefined ? {} : { output }) } },
  ];
}

async function write(writes: AttemptWrite[]): Promise<void> {
  for (const rows of foldAttemptWrites(writes)) await upsertAttemptRows(t.db.pool, rows);
}

describe('listReusableOutputs', () => {
  it("takes each node's last completed attempt, inline or kept aside, and skips nodes with none", async () => {
    const big = { blob: 'y'.repeat(MAX_INLINE_OUTPUT_BYTES) };
    await write([
      ...attempt('a', 1, 'completed', { n: 1 }),
      ...attempt('a', 2, 'completed', { n: 2 }), // a rerun's later attempt wins
      ...attempt('b', 1, 'completed', big),
      ...attempt('c', 1, 'failed'),
      ...attempt('d', 1, 'completed', null), // a null output is an output
    ]);
    const outputs = await listReusableOutputs(t.db.pool, 'wf');
    expect([...outputs.keys()].sort()).toEqual(['a', 'b', 'd']);
    expect(outputs.get('a')).toEqual({ n: 2 });
    expect(outputs.get('b')).toEqual(big);
    expect(outputs.get('d')).toBeNull();
  });

  it("adds the outputs recorded on the run's row, merged across writes, over an attempt's", async () => {
    await write(attempt('e', 1, 'completed', 'from the activity'));
    await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'running', seq: 1, outputs: { wait: { wokeAt: 'x' } } });
    await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'held', seq: 2, outputs: { e: 'skipped by bob' } });
    const outputs = await listReusableOutputs(t.db.pool, 'wf');
    expect(Object.fromEntries(outputs)).toEqual({ wait: { wokeAt: 'x' }, e: 'skipped by bob' });
  });

  it('a stale write does not change the recorded outputs', async () => {
    await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'running', seq: 5, outputs: { s: 'new' } });
    await upsertRun(t.db.pool, { workflowId: 'wf', pipeline: 'p', state: 'running', seq: 4, outputs: { s: 'old' } });
    expect((await listReusableOutputs(t.db.pool, 'wf')).get('s')).toBe('new');
  });

  it('an unknown run has none', async () => {
    expect((await listReusableOutputs(t.db.pool, 'nobody')).size).toBe(0);
  });
});
