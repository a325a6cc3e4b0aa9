/**
 * A worker with a store writes one row per node attempt to a real PostgreSQL, and
 * the rows agree with Temporal's own view of the run (the status query's attempt counts).
 */
import { listAttempts } from '../../src/store/sql/list-attempts';
import type { PipelineSpec } from '../../src/core/types';
import { eventually } from '../helpers/poll';
import { timeSkippingEnv } from '../helpers/temporal';
import { storeRigPerFile } from '../helpers/store-rig';

const t = storeRigPerFile(timeSkippingEnv, 'store-attempts');

test('every attempt is a row, matching the status', async () => {
  const spec: PipelineSpec = {
    name: 'recorded',
    nodes: [
      { id: 'shaky', activity: 'flaky', input: { failures: 2 }, retry: { maximumAttempts: 5, initialInterval: '1s' } },
      { id: 'after', activity: 'noop', needs: ['shaky'], input: { done: true } },
    ],
  };
  const { workflowId } = await t.rig.tf.startRun(spec, { id: 'recorded-1' });
  expect(await t.rig.tf.result(workflowId, { wait: true })).toEqual({ after: { done: true } });
  const status = await t.rig.tf.getStatus(workflowId);

  const rows = await eventually('the rows to be written', async () => {
    const found = await listAttempts(t.db.pool, workflowId);
    return found.length === 4 && found.every((r) => r.outcome !== 'running') ? found : undefined;
  });
  const byNode = [...rows].sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.attempt - b.attempt);
  expect(byNode.map((r) => [r.nodeId, r.attempt, r.outcome, r.activity])).toEqual([
    ['after', 1, 'completed', 'noop'],
    ['shaky', 1, 'failed', 'flaky'],
    ['shaky', 2, 'failed', 'flaky'],
    ['shaky', 3, 'completed', 'flaky'],
  ]);
  expect(rows.find((r) => r.nodeId === 'shaky' && r.attempt === 1)?.errorMessage).toBe('flaky failure on attempt 1');
  expect(rows.find((r) => r.nodeId === 'after')?.output).toEqual({ done: true });
  // The store agrees with Temporal: as many attempts per node as the status reports.
  for (const node of status.nodes) {
    expect(rows.filter((r) => r.nodeId === node.id)).toHaveLength(node.attempts);
  }
});
