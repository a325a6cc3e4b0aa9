/**
 * Planning the rerun of an ended run on another registered version: what runs again (the node
 * rerun from, what is downstream of it in the new version, and every node the version changed or
 * put a change above), and what is reused.
 */
import { ActionRefusedError } from '../../src/core/errors';
import type { NodeStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { planEndedRerun, type EndedRun } from '../../src/control/rerun';
import type { RunRecord } from '../../src/store/types';

const v1: PipelineSpec = {
  name: 'media',
  nodes: [
    { id: 'probe', activity: 'probeFile' },
    { id: 'video', activity: 'transcode', needs: ['probe'], input: { codec: 'h264' } },
    { id: 'thumb', activity: 'thumbnail', needs: ['probe'] },
    { id: 'publish', activity: 'publish', needs: ['video', 'thumb'] },
  ],
};

function ended(): EndedRun {
  const nodes = v1.nodes.map((n): NodeStatus => ({ id: n.id, activity: n.activity ?? '', needs: n.needs ?? [], state: 'completed', attempts: 1 }));
  const run = { workflowId: 'm1', pipeline: 'media', state: 'completed', spec: v1, nodes, pipelineVersion: 1 } as unknown as RunRecord;
  return { run, outputs: new Map(v1.nodes.map((n) => [n.id, `${n.id} out`])) };
}

test('on its own spec, everything but the node and what is downstream of it is reused', () => {
  expect(planEndedRerun(ended(), 'publish')).toMatchObject({ rerun: ['publish'], reused: ['probe', 'video', 'thumb'] });
});

test('on a version that changed a node, that node and what it reaches run again too', () => {
  const v2: PipelineSpec = { ...v1, nodes: v1.nodes.map((n) => (n.id === 'video' ? { ...n, input: { codec: 'av1' } } : n)) };
  expect(planEndedRerun(ended(), 'thumb', { version: 2, spec: v2 })).toMatchObject({
    rerun: ['video', 'thumb', 'publish'],
    reused: ['probe'],
  });
});

test('a node the version added runs; one it removed is gone', () => {
  const v3: PipelineSpec = {
    ...v1,
    nodes: [...v1.nodes.filter((n) => n.id !== 'thumb').map((n) => (n.id === 'publish' ? { ...n, needs: ['video', 'caption'] } : n)), { id: 'caption', activity: 'caption', needs: ['probe'] }],
  };
  expect(planEndedRerun(ended(), 'publish', { version: 3, spec: v3 })).toMatchObject({
    rerun: ['publish', 'caption'],
    reused: ['probe', 'video'],
  });
});

test('a node rerun from must be in the version', () => {
  const v4: PipelineSpec = { ...v1, nodes: v1.nodes.filter((n) => n.id !== 'thumb').map((n) => (n.id === 'publish' ? { ...n, needs: ['video'] } : n)) };
  expect(() => planEndedRerun(ended(), 'thumb', { version: 4, spec: v4 })).toThrow(ActionRefusedError);
});
