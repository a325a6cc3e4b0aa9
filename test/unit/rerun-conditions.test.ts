/**
 * A rerun's dry run judges the conditions it meets on the outputs it reuses: which branch would
 * run, which is decided only once its needs have run again, and which would fail.
 */
import { rerunConditions } from '../../src/core/rerun-conditions';
import { step, pipeline, dag } from '../../src/core/builders';
import { assertValidSpec } from '../../src/core/validate';

const spec = assertValidSpec(
  pipeline(
    'media',
    dag(
      { id: 'probe', activity: 'probeFile' },
      ...step('video', 'transcode', { needs: ['probe'], when: 'upstream.probe.kind == "video"' }).nodes,
      ...step('image', 'thumbnail', { needs: ['probe'], when: 'upstream.probe.kind == "image"' }).nodes,
      ...step('size', 'measure', { needs: ['probe'], when: 'upstream.probe.bytes > params.limit' }).nodes,
      ...step('publish', 'publish', { needs: ['video', 'image'], trigger: 'none_failed' }).nodes,
    ),
  ),
);

test('the builders carry when and trigger into a spec that validates', () => {
  expect(spec.nodes.find((n) => n.id === 'publish')).toMatchObject({ trigger: 'none_failed', needs: ['video', 'image'] });
  expect(spec.nodes.find((n) => n.id === 'video')?.when).toBe('upstream.probe.kind == "video"');
});

test('on reused outputs, each condition says whether its node would run', () => {
  const reused = new Map<string, unknown>([['probe', { kind: 'video', bytes: 10 }]]);
  expect(rerunConditions(spec, ['video', 'image', 'size', 'publish'], reused, { limit: 5 })).toEqual([
    { node: 'video', when: 'upstream.probe.kind == "video"', verdict: 'run' },
    { node: 'image', when: 'upstream.probe.kind == "image"', verdict: 'skip' },
    { node: 'size', when: 'upstream.probe.bytes > params.limit', verdict: 'run' },
  ]);
});

test('a condition whose need runs again is decided later; one that fails on the data says why', () => {
  expect(rerunConditions(spec, ['probe', 'video'], new Map(), {})).toEqual([
    { node: 'video', when: 'upstream.probe.kind == "video"', verdict: 'later', detail: 'probe' },
  ]);
  const [size] = rerunConditions(spec, ['size'], new Map([['probe', { kind: 'video' }]]), { limit: 5 });
  expect(size).toMatchObject({ node: 'size', verdict: 'error' });
  expect(size?.detail).toContain('bytes');
});
