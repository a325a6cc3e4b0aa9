/**
 * The status view's node rows say what the state alone does not: a held node, an event node
 * waiting, a map's items, a reused output, an edited input.
 */
import { renderStatus } from '../../src/cli/render';
import type { RunStatus } from '../../src/core/states';

const status: RunStatus = {
  workflowId: 'w',
  runId: 'r',
  pipeline: 'p',
  state: 'held',
  reason: 'node "check" is held: low score',
  startedAt: '2026-01-01T00:00:00.000Z',
  progress: { completed: 1, skipped: 0, total: 5, running: 1, failed: 1, percent: 20 },
  nodes: [
    { id: 'a', activity: 'x', needs: [], state: 'completed', attempts: 0, reused: true },
    { id: 'check', activity: 'x', needs: ['a'], state: 'failed', attempts: 2, held: true, error: 'low score' },
    { id: 'approve', kind: 'event', activity: 'event:publish', needs: ['a'], state: 'running', attempts: 0, waitingFor: 'publish' },
    { id: 'each', kind: 'map', activity: 'map:square', needs: ['a'], state: 'running', attempts: 0, items: { total: 10, done: 4 } },
    { id: 'last', activity: 'x', needs: ['check'], state: 'pending', attempts: 0, inputEdited: true },
  ],
};

test('each node row notes what its state does not say', () => {
  const lines = renderStatus(status, false, Date.parse('2026-01-01T00:01:00.000Z'));
  const row = (id: string): string => lines.find((l) => l.startsWith(`${id} `)) ?? '';
  expect(lines[2]).toBe('state     held  (node "check" is held: low score)');
  expect(row('a')).toMatch(/completed \(reused\)/);
  expect(row('check')).toMatch(/failed \(held\)\s+2/);
  expect(row('approve')).toMatch(/running \(waiting for publish\)/);
  expect(row('each')).toMatch(/running \(4\/10 items\)/);
  expect(row('last')).toMatch(/pending \(input edited\)/);
});
