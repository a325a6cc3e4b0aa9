/**
 * Pipeline references, canonical JSON, and what changed between two versions of a pipeline:
 * nodes added, removed and changed (with their fields), and which nodes a run of one version
 * could reuse in a run of the other.
 */
import { diffPipelines, reusableNodes } from '../../src/core/pipeline-diff';
import { canonicalJson, parsePipelineRef } from '../../src/core/pipeline-registry';
import type { PipelineSpec } from '../../src/core/types';

const base: PipelineSpec = {
  name: 'media',
  nodes: [
    { id: 'probe', activity: 'probeFile' },
    { id: 'video', activity: 'transcode', needs: ['probe'], input: { codec: 'h264' } },
    { id: 'thumb', activity: 'thumbnail', needs: ['probe'] },
    { id: 'publish', activity: 'publish', needs: ['video', 'thumb'] },
  ],
};

describe('parsePipelineRef', () => {
  test.each([
    ['media', { name: 'media' }],
    ['media@latest', { name: 'media' }],
    ['media@3', { name: 'media', version: 3 }],
    ['my@team@2', { name: 'my@team', version: 2 }],
  ])('%s', (text, ref) => expect(parsePipelineRef(text)).toEqual(ref));

  test.each(['', '@3', 'media@0', 'media@-1', 'media@1.5', 'media@x', 'media@'])('%j is refused with one line', (text) => {
    expect(() => parsePipelineRef(text)).toThrow(/^"[^\n]*": /);
  });
});

test('canonical JSON sorts keys at every level and keeps array order', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
});

test('a diff lists nodes added, removed and changed, with their fields', () => {
  const next: PipelineSpec = {
    ...base,
    maxParallel: 2,
    nodes: [
      { id: 'probe', activity: 'probeFile' },
      { id: 'video', activity: 'transcode', needs: ['probe'], input: { codec: 'av1' }, when: 'upstream.probe.kind == "video"' },
      { id: 'publish', activity: 'publish', needs: ['video', 'caption'] },
      { id: 'caption', activity: 'caption', needs: ['probe'] },
    ],
  };
  expect(diffPipelines(base, next)).toEqual({
    added: ['caption'],
    removed: ['thumb'],
    changed: [
      { id: 'video', fields: ['input', 'when'] },
      { id: 'publish', fields: ['needs'] },
    ],
    unchanged: ['probe'],
    pipelineFields: ['maxParallel'],
  });
  expect(diffPipelines(base, base)).toEqual({ added: [], removed: [], changed: [], unchanged: base.nodes.map((n) => n.id), pipelineFields: [] });
});

test('a node is reusable when it and everything upstream of it are unchanged', () => {
  const next: PipelineSpec = {
    ...base,
    nodes: base.nodes.map((n) => (n.id === 'video' ? { ...n, input: { codec: 'av1' } } : n)),
  };
  // video changed; publish needs it; probe and thumb did not change.
  expect(reusableNodes(base, next)).toEqual(['probe', 'thumb']);
  // A pipeline-wide change (defaults reach every node) reuses nothing; a description is free text.
  expect(reusableNodes(base, { ...next, defaults: { timeout: '1m' } })).toEqual([]);
  expect(reusableNodes(base, { ...next, description: 'new words' })).toEqual(['probe', 'thumb']);
});
