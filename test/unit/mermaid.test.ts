/**
 * `toMermaid`, which `tapflow graph` prints: a conditional node's edges are dotted and its box
 * says `when: ...`, a trigger that is not the default is said, and a skip's cause is drawn and
 * said, so a branch not taken does not look like a node lost to a failure. Exact text: the
 * output is deterministic.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphCommand } from '../../src/cli/graph';
import { toMermaid, type DrawableNode } from '../../src/core/mermaid';

test('a plain pipeline draws as before: boxes, solid edges, classes by state', () => {
  const nodes: DrawableNode[] = [
    { id: 'a', activity: 'fetch', state: 'completed' },
    { id: 'b', activity: 'parse', needs: ['a'], state: 'running' },
    { id: 'c', activity: 'parse', needs: ['a'], state: 'completed' },
  ];
  expect(toMermaid(nodes, 'demo')).toBe(
    [
      '---',
      'title: demo',
      '---',
      'flowchart TD',
      '  n0["a<br/>fetch<br/>completed"]',
      '  n1["b<br/>parse<br/>running"]',
      '  n2["c<br/>parse<br/>completed"]',
      '  n0 --> n1',
      '  n0 --> n2',
      '  classDef completed fill:#dcfce7,stroke:#16a34a,color:#14532d',
      '  class n0,n2 completed',
      '  classDef running fill:#dbeafe,stroke:#2563eb,color:#1e3a8a',
      '  class n1 running',
    ].join('\n'),
  );
});

test('a spec: edges into a conditional node are dotted, its box says the condition, a non-default trigger is said', () => {
  const nodes: DrawableNode[] = [
    { id: 'probe', activity: 'probe' },
    { id: 'video', activity: 'transcode', needs: ['probe'], when: 'upstream.probe.kind == "video"' },
    { id: 'audio', activity: 'normalize', needs: ['probe'], when: 'upstream.probe.kind == "audio"' },
    { id: 'join', activity: 'publish', needs: ['video', 'audio'], trigger: 'none_failed' },
    { id: 'tail', activity: 'log', needs: ['join'], trigger: 'all_success' },
  ];
  expect(toMermaid(nodes)).toBe(
    [
      'flowchart TD',
      '  n0["probe<br/>probe"]',
      '  n1["video<br/>transcode<br/>when: upstream.probe.kind == #quot;video#quot;"]',
      '  n2["audio<br/>normalize<br/>when: upstream.probe.kind == #quot;audio#quot;"]',
      '  n3["join<br/>publish<br/>trigger: none_failed"]',
      '  n4["tail<br/>log"]',
      '  n0 -.-> n1',
      '  n0 -.-> n2',
      '  n1 --> n3',
      '  n2 --> n3',
      '  n3 --> n4',
    ].join('\n'),
  );
});

test('a long or many-line condition is put on one line and shortened; what Mermaid would read is escaped', () => {
  const when = 'upstream.a.size > 10 &&\n  upstream.a.tag == "#1" && upstream.a.name.startsWith("<x>") && true';
  const out = toMermaid([{ id: 'a' }, { id: 'b', needs: ['a'], when }]);
  const box = out.split('\n').find((l) => l.startsWith('  n1['));
  // 48 characters of the flattened condition: 45 and "...".
  expect(box).toBe('  n1["b<br/>when: upstream.a.size #gt; 10 #amp;#amp; upstream.a.tag == #quot;#35;1..."]');
  expect(out).toContain('  n0 -.-> n1');
});

test('a run: skips are drawn and said by cause, a repeated node says its round', () => {
  const nodes: DrawableNode[] = [
    { id: 'probe', state: 'completed' },
    { id: 'video', needs: ['probe'], state: 'skipped', skipCause: 'condition' },
    { id: 'audio', needs: ['probe'], state: 'failed' },
    { id: 'mix', needs: ['audio'], state: 'skipped', skipCause: 'upstream' },
    { id: 'gate', needs: ['probe'], state: 'skipped', skipCause: 'operator' },
    { id: 'wait', needs: ['probe'], state: 'skipped', skipCause: 'timeout' },
    { id: 'old', needs: ['probe'], state: 'skipped' },
    { id: 'loop', needs: ['probe'], state: 'running', round: 3 },
  ];
  const out = toMermaid(nodes);
  expect(out.split('\n')).toEqual([
    'flowchart TD',
    '  n0["probe<br/>completed"]',
    '  n1["video<br/>skipped (condition)"]',
    '  n2["audio<br/>failed"]',
    '  n3["mix<br/>skipped (upstream)"]',
    '  n4["gate<br/>skipped (operator)"]',
    '  n5["wait<br/>skipped (timeout)"]',
    // A skip recorded before causes were kept: plain `skipped`.
    '  n6["old<br/>skipped"]',
    '  n7["loop<br/>round 3<br/>running"]',
    // A node its condition skipped had a `when`, though a run's status does not carry it.
    '  n0 -.-> n1',
    '  n0 --> n2',
    '  n2 --> n3',
    '  n0 --> n4',
    '  n0 --> n5',
    '  n0 --> n6',
    '  n0 --> n7',
    '  classDef completed fill:#dcfce7,stroke:#16a34a,color:#14532d',
    '  class n0 completed',
    '  classDef skipped_condition fill:#f4f4f5,stroke:#a1a1aa,color:#71717a,stroke-dasharray:4 3',
    '  class n1 skipped_condition',
    '  classDef failed fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
    '  class n2 failed',
    '  classDef skipped_upstream fill:#fef2f2,stroke:#dc2626,color:#7f1d1d,stroke-dasharray:4 3',
    '  class n3 skipped_upstream',
    '  classDef skipped_operator fill:#f0fdf4,stroke:#16a34a,color:#14532d,stroke-dasharray:4 3',
    '  class n4 skipped_operator',
    '  classDef skipped_timeout fill:#fffbeb,stroke:#d97706,color:#78350f,stroke-dasharray:4 3',
    '  class n5 skipped_timeout',
    '  classDef skipped fill:#f4f4f5,stroke:#a1a1aa,color:#71717a,stroke-dasharray:4 3',
    '  class n6 skipped',
    '  classDef running fill:#dbeafe,stroke:#2563eb,color:#1e3a8a',
    '  class n7 running',
  ]);
  // The same input, the same text.
  expect(toMermaid(nodes)).toBe(out);
});

test('a cause on a node that is not skipped, or a cause the drawing does not know, draws by state', () => {
  const out = toMermaid([
    { id: 'a', state: 'completed', skipCause: 'condition' },
    { id: 'b', state: 'skipped', skipCause: 'someday' },
  ]);
  expect(out).toContain('  n0["a<br/>completed"]');
  expect(out).toContain('  class n0 completed');
  expect(out).toContain('  n1["b<br/>skipped (someday)"]');
  expect(out).toContain('  class n1 skipped');
});

test('`tapflow graph SPEC` draws the spec\'s conditions and triggers', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tapflow-graph-')), 'media.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'media',
      nodes: [
        { id: 'probe', activity: 'probe' },
        { id: 'video', activity: 'transcode', needs: ['probe'], when: 'upstream.probe.kind == "video"' },
        { id: 'join', activity: 'publish', needs: ['video'], trigger: 'none_failed' },
      ],
    }),
  );
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    expect(await graphCommand(file, { json: true } as Parameters<typeof graphCommand>[1])).toBe(0);
  } finally {
    write.mockRestore();
  }
  const { mermaid } = JSON.parse(out) as { mermaid: string };
  expect(mermaid).toContain('  n1["video<br/>transcode<br/>when: upstream.probe.kind == #quot;video#quot;"]');
  expect(mermaid).toContain('  n2["join<br/>publish<br/>trigger: none_failed"]');
  expect(mermaid).toContain('  n0 -.-> n1');
  expect(mermaid).toContain('  n1 --> n2');
});
