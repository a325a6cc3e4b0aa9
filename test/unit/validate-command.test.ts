/**
 * `tapflow validate`: the levels mark what changes whether or how often a node runs (its `when`,
 * a trigger that is not the default, a `repeat`); `--json` keeps its fields and adds those by
 * node id.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand } from '../../src/cli/validate';

const dir = mkdtempSync(join(tmpdir(), 'tapflow-validate-'));

const spec = {
  name: 'media',
  nodes: [
    { id: 'probe', activity: 'probe' },
    { id: 'video', activity: 'transcode', needs: ['probe'], when: 'upstream.probe.kind == "video"' },
    // A condition over two lines is put on one.
    { id: 'audio', activity: 'normalize', needs: ['probe'], when: 'upstream.probe.kind ==\n  "audio"' },
    { id: 'join', activity: 'publish', needs: ['video', 'audio'], trigger: 'none_failed' },
    {
      id: 'refine',
      kind: 'pipeline',
      needs: ['join'],
      pipeline: { name: 'inner', nodes: [{ id: 'x', activity: 'step' }] },
      repeat: { until: 'output.x.done', max: 5 },
      // The default trigger, named: not marked.
      trigger: 'all_success',
    },
  ],
};

/** What `validateCommand` prints on stdout, and its exit code. */
function validate(file: string, json: boolean): { code: number; out: string } {
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: validateCommand(file, { json } as Parameters<typeof validateCommand>[1]), out };
  } finally {
    write.mockRestore();
  }
}

test('the levels mark conditional nodes, non-default triggers and repeats', () => {
  const file = join(dir, 'media.json');
  writeFileSync(file, JSON.stringify(spec));
  const { code, out } = validate(file, false);
  expect(code).toBe(0);
  expect(out.trimEnd().split('\n')).toEqual([
    `${file}: valid pipeline "media", 5 nodes, 4 levels`,
    'level 0: probe',
    'level 1: video (when: upstream.probe.kind == "video"), audio (when: upstream.probe.kind == "audio")',
    'level 2: join (trigger: none_failed)',
    'level 3: refine (repeat until output.x.done, max 5)',
    'order: probe, video, audio, join, refine',
  ]);
});

test('--json keeps its fields and adds conditions, triggers and repeats by node id', () => {
  const file = join(dir, 'media.json');
  writeFileSync(file, JSON.stringify(spec));
  const { code, out } = validate(file, true);
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    valid: true,
    name: 'media',
    nodes: 5,
    order: ['probe', 'video', 'audio', 'join', 'refine'],
    levels: [['probe'], ['video', 'audio'], ['join'], ['refine']],
    leaves: ['refine'],
    conditions: { video: 'upstream.probe.kind == "video"', audio: 'upstream.probe.kind ==\n  "audio"' },
    triggers: { join: 'none_failed' },
    repeats: { refine: { until: 'output.x.done', max: 5 } },
  });
});

test('a spec without any prints its levels as before', () => {
  const file = join(dir, 'plain.json');
  writeFileSync(file, JSON.stringify({ name: 'plain', nodes: [{ id: 'a', activity: 'f' }, { id: 'b', activity: 'f', needs: ['a'] }] }));
  expect(validate(file, false).out).toBe(`${file}: valid pipeline "plain", 2 nodes, 2 levels\nlevel 0: a\nlevel 1: b\norder: a, b\n`);
  expect(JSON.parse(validate(file, true).out)).toMatchObject({ conditions: {}, triggers: {}, repeats: {} });
});
