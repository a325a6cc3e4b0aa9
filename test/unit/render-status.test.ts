/**
 * The status view's node rows say what the state alone does not: a held node, an event node
 * waiting, a map's items, a reused output, an edited input, a skip's cause and reason, a
 * repeated node's round.
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

test("a skipped node's row says its cause in the state and its reason where errors go; a repeated node its round", () => {
  const skips: RunStatus = {
    ...status,
    state: 'completed',
    reason: undefined,
    progress: { completed: 2, skipped: 4, total: 7, running: 0, failed: 1, percent: 85 },
    nodes: [
      { id: 'probe', activity: 'x', needs: [], state: 'completed', attempts: 1 },
      { id: 'video', activity: 'x', needs: ['probe'], state: 'skipped', attempts: 0, skipCause: 'condition', skipReason: 'condition false' },
      { id: 'audio', activity: 'x', needs: ['probe'], state: 'failed', attempts: 3, error: 'boom' },
      { id: 'mix', activity: 'x', needs: ['audio'], state: 'skipped', attempts: 0, skipCause: 'upstream', skipReason: 'need "audio" failed' },
      { id: 'gate', kind: 'event', activity: 'event:go', needs: [], state: 'skipped', attempts: 0, skipCause: 'operator', skipReason: 'not needed today', reused: true },
      // A skip recorded before causes were kept: no cause, no reason, as before.
      { id: 'old', activity: 'x', needs: [], state: 'skipped', attempts: 0 },
      { id: 'loop', kind: 'pipeline', activity: 'pipeline:refine', needs: ['probe'], state: 'completed', attempts: 1, round: 3 },
    ],
  };
  const lines = renderStatus(skips, false, Date.parse('2026-01-01T00:01:00.000Z'));
  const row = (id: string): string => lines.find((l) => l.startsWith(`${id} `)) ?? '';
  expect(lines[5]).toMatch(/^NODE\s+STATE\s+ATTEMPTS\s+STARTED\s+TOOK\s+ERROR \/ REASON$/);
  expect(row('video')).toMatch(/^video\s+skipped \(condition\)\s+0\s+condition false$/);
  expect(row('audio')).toMatch(/failed\s+3\s+boom$/);
  expect(row('mix')).toMatch(/skipped \(upstream\)\s+0\s+need "audio" failed$/);
  expect(row('gate')).toMatch(/skipped \(operator, reused\)\s+0\s+not needed today$/);
  expect(row('old')).toMatch(/^old\s+skipped\s+0$/);
  expect(row('loop')).toMatch(/completed \(round 3\)\s+1/);
});
