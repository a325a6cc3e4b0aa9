import { LiveNodeStatuses } from '../../src/store/live-node-statuses';
import type { NodeStatus } from '../../src/core/states';
import type { LiveRunWrite } from '../../src/core/record-writes';

const node = (id: string, state: NodeStatus['state'] = 'pending'): NodeStatus => ({ id, activity: 'a', needs: [], state, attempts: state === 'pending' ? 0 : 1 });
const write = (workflowId: string, extra: Partial<LiveRunWrite>): LiveRunWrite => ({ workflowId, pipeline: 'p', state: 'running', ...extra });

test('a whole list passes on and is kept; changes are laid over it and the write carries every node', () => {
  const live = new LiveNodeStatuses();
  expect(live.resolve(write('r', { nodes: [node('a'), node('b'), node('c')], seq: 1 }))).toEqual(write('r', { nodes: [node('a'), node('b'), node('c')], seq: 1 }));
  const second = live.resolve(write('r', { nodeChanges: [node('b', 'completed')], seq: 2 }));
  expect(second).toEqual(write('r', { nodes: [node('a'), node('b', 'completed'), node('c')], seq: 2 }));
  expect(second).not.toHaveProperty('nodeChanges');
  const third = live.resolve(write('r', { nodeChanges: [node('c', 'running')], seq: 3 }));
  expect(third.nodes).toEqual([node('a'), node('b', 'completed'), node('c', 'running')]);
  // The earlier write's list is its own: a write still queued is not changed under it.
  expect(second.nodes).toEqual([node('a'), node('b', 'completed'), node('c')]);
});

test('changes for a run whose list is not kept are left out; the rest of the write passes on', () => {
  const live = new LiveNodeStatuses();
  const out = live.resolve(write('unknown', { nodeChanges: [node('a', 'completed')], progressCompleted: 1 }));
  expect(out).toEqual(write('unknown', { progressCompleted: 1 }));
});

test('the lists are bounded by nodes in all, the least recently written dropped first; a final record forgets a run', () => {
  const live = new LiveNodeStatuses(5);
  live.resolve(write('r1', { nodes: [node('a'), node('b')] }));
  live.resolve(write('r2', { nodes: [node('a'), node('b')] }));
  // r1 written again: r2 is now the oldest.
  live.resolve(write('r1', { nodeChanges: [node('a', 'running')] }));
  live.resolve(write('r3', { nodes: [node('a'), node('b')] }));
  expect(live.size).toBe(2);
  expect(live.resolve(write('r2', { nodeChanges: [node('a', 'running')] })).nodes).toBeUndefined();
  expect(live.resolve(write('r1', { nodeChanges: [node('b', 'running')] })).nodes).toEqual([node('a', 'running'), node('b', 'running')]);
  live.forget('r1');
  expect(live.size).toBe(1);
  expect(live.resolve(write('r1', { nodeChanges: [node('b', 'completed')] })).nodes).toBeUndefined();
});
