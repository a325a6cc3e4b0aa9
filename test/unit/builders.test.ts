import { chain, dag, group, pipeline, step, type Fragment } from '../../src/core/builders';
import { buildGraph } from '../../src/core/graph';
import type { NodeSpec, PipelineSpec } from '../../src/core/types';
import { validateSpec } from '../../src/core/validate';

/** Each node's needs by id (`[]` when it has none), for compact assertions. */
function needsOf(f: Fragment | PipelineSpec): Record<string, string[]> {
  return Object.fromEntries(f.nodes.map((n) => [n.id, n.needs ?? []]));
}

function expectValid(spec: PipelineSpec): void {
  const result = validateSpec(spec);
  expect(result.ok ? [] : result.problems).toEqual([]);
}

describe('step', () => {
  test('is one node that is both entry and exit', () => {
    expect(step('a', 'doA')).toEqual({ nodes: [{ id: 'a', activity: 'doA' }], entries: ['a'], exits: ['a'] });
  });

  test('carries its options onto the node', () => {
    const f = step('a', 'doA', { input: { n: 1 }, timeout: '1m', retry: { maximumAttempts: 2 }, description: 'first' });
    expect(f.nodes).toEqual([
      { id: 'a', activity: 'doA', input: { n: 1 }, timeout: '1m', retry: { maximumAttempts: 2 }, description: 'first' },
    ]);
  });
});

describe('chain', () => {
  test('each step needs the one before it', () => {
    const f = chain(step('a', 'x'), step('b', 'x'), step('c', 'x'));
    expect(needsOf(f)).toEqual({ a: [], b: ['a'], c: ['b'] });
    expect(f.entries).toEqual(['a']);
    expect(f.exits).toEqual(['c']);
  });

  test('a group in a chain: members need the step before, the next step needs every member', () => {
    const f = chain(step('a', 'x'), group(step('b', 'x'), step('c', 'x')), step('d', 'x'));
    expect(needsOf(f)).toEqual({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
    expect(f.entries).toEqual(['a']);
    expect(f.exits).toEqual(['d']);
    const spec = pipeline('p', f);
    expectValid(spec);
    expect(buildGraph(spec.nodes).levels).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  test('chains nest: a chain of chains joins the exit of one to the entry of the next', () => {
    const f = chain(chain(step('a', 'x'), step('b', 'x')), chain(step('c', 'x'), step('d', 'x')));
    expect(needsOf(f)).toEqual({ a: [], b: ['a'], c: ['b'], d: ['c'] });
    expect(f.entries).toEqual(['a']);
    expect(f.exits).toEqual(['d']);
    expectValid(pipeline('p', f));
  });

  test('chains inside a group inside a chain', () => {
    const f = chain(
      step('split', 'x'),
      group(chain(step('b1', 'x'), step('b2', 'x')), chain(step('c1', 'x'), step('c2', 'x'))),
      step('merge', 'x'),
    );
    expect(needsOf(f)).toEqual({
      split: [],
      b1: ['split'],
      b2: ['b1'],
      c1: ['split'],
      c2: ['c1'],
      merge: ['b2', 'c2'],
    });
    expectValid(pipeline('p', f));
  });

  test('a group followed by a group: every member of the second needs every member of the first', () => {
    const f = chain(group(step('a', 'x'), step('b', 'x')), group(step('c', 'x'), step('d', 'x')));
    expect(needsOf(f)).toEqual({ a: [], b: [], c: ['a', 'b'], d: ['a', 'b'] });
    expect(f.entries).toEqual(['a', 'b']);
    expect(f.exits).toEqual(['c', 'd']);
  });

  test('keeps needs written on a step and adds the chain link once', () => {
    const f = chain(step('a', 'x'), step('side', 'x'), step('c', 'x', { needs: ['a', 'side'] }));
    expect(needsOf(f).c).toEqual(['a', 'side']);
    const g = chain(step('a', 'x'), step('b', 'x', { needs: ['z'] }));
    expect(needsOf(g).b).toEqual(['z', 'a']);
  });

  test('accepts plain node specs as parts', () => {
    const f = chain({ id: 'a', activity: 'x' }, { id: 'b', activity: 'x', input: 1 });
    expect(f.nodes).toEqual([
      { id: 'a', activity: 'x' },
      { id: 'b', activity: 'x', input: 1, needs: ['a'] },
    ]);
  });

  test('does not change the fragments it is given, so a fragment can be reused', () => {
    const b = step('b', 'x');
    const before = structuredClone(b);
    chain(step('a', 'x'), b);
    expect(b).toEqual(before);
    expect(needsOf(chain(step('z', 'x'), b)).b).toEqual(['z']);
  });

  test('a chain of one part is that part', () => {
    expect(chain(step('a', 'x'))).toEqual(step('a', 'x'));
  });

  test('an empty chain is an empty fragment', () => {
    expect(chain()).toEqual({ nodes: [], entries: [], exits: [] });
  });

  test('keeps the nodes in the order written', () => {
    const f = chain(step('a', 'x'), group(step('c', 'x'), step('b', 'x')), step('d', 'x'));
    expect(f.nodes.map((n) => n.id)).toEqual(['a', 'c', 'b', 'd']);
  });
});

describe('group', () => {
  test('puts parts side by side with no needs between them', () => {
    const f = group(step('a', 'x'), step('b', 'x'), step('c', 'x'));
    expect(needsOf(f)).toEqual({ a: [], b: [], c: [] });
    expect(f.entries).toEqual(['a', 'b', 'c']);
    expect(f.exits).toEqual(['a', 'b', 'c']);
  });

  test('a group of chains enters at each chain start and exits at each chain end', () => {
    const f = group(chain(step('a1', 'x'), step('a2', 'x')), chain(step('b1', 'x'), step('b2', 'x')));
    expect(f.entries).toEqual(['a1', 'b1']);
    expect(f.exits).toEqual(['a2', 'b2']);
    expect(needsOf(f)).toEqual({ a1: [], a2: ['a1'], b1: [], b2: ['b1'] });
  });
});

describe('dag', () => {
  const diamond = (): NodeSpec[] => [
    { id: 'top', activity: 'x' },
    { id: 'left', activity: 'x', needs: ['top'] },
    { id: 'right', activity: 'x', needs: ['top'] },
    { id: 'bottom', activity: 'x', needs: ['left', 'right'] },
  ];

  test('keeps hand-written needs; entries have no needs, exits are needed by nothing', () => {
    const f = dag(...diamond());
    expect(f.nodes).toEqual(diamond());
    expect(f.entries).toEqual(['top']);
    expect(f.exits).toEqual(['bottom']);
    expectValid(pipeline('diamond', f));
  });

  test('in a chain, only the dag entries gain the link to the part before', () => {
    const f = chain(step('start', 'x'), dag(...diamond()), step('end', 'x'));
    expect(needsOf(f)).toEqual({
      start: [],
      top: ['start'],
      left: ['top'],
      right: ['top'],
      bottom: ['left', 'right'],
      end: ['bottom'],
    });
    expectValid(pipeline('p', f));
  });

  test('a dag with two roots and two leaves', () => {
    const f = dag(
      { id: 'a', activity: 'x' },
      { id: 'b', activity: 'x' },
      { id: 'c', activity: 'x', needs: ['a'] },
      { id: 'd', activity: 'x', needs: ['a', 'b'] },
    );
    expect(f.entries).toEqual(['a', 'b']);
    expect(f.exits).toEqual(['c', 'd']);
  });
});

describe('pipeline', () => {
  test('wraps a fragment into a spec with its name and options', () => {
    const spec = pipeline('report', chain(step('a', 'x'), step('b', 'y')), {
      description: 'demo',
      maxParallel: 2,
      defaults: { timeout: '5m' },
    });
    expect(spec).toEqual({
      name: 'report',
      description: 'demo',
      maxParallel: 2,
      defaults: { timeout: '5m' },
      nodes: [
        { id: 'a', activity: 'x' },
        { id: 'b', activity: 'y', needs: ['a'] },
      ],
    });
    expectValid(spec);
  });

  test('takes a single node spec as the body', () => {
    const spec = pipeline('one', { id: 'only', activity: 'x' });
    expect(spec).toEqual({ name: 'one', nodes: [{ id: 'only', activity: 'x' }] });
    expectValid(spec);
  });

  test('the module example builds the documented graph', () => {
    const spec = pipeline(
      'report',
      chain(
        step('split', 'splitCorpus', { input: { path: 'examples/data/corpus.txt' } }),
        group(step('countA', 'countWords'), step('countB', 'countWords')),
        step('merge', 'mergeCounts'),
      ),
    );
    expectValid(spec);
    const g = buildGraph(spec.nodes);
    expect(g.levels).toEqual([['split'], ['countA', 'countB'], ['merge']]);
    expect(g.leaves).toEqual(['merge']);
    expect(spec.nodes[0]?.input).toEqual({ path: 'examples/data/corpus.txt' });
  });

  test('a large built chain stays valid', () => {
    const spec = pipeline('long', chain(...Array.from({ length: 1_000 }, (_, i) => step(`s${i}`, 'x'))));
    expectValid(spec);
    expect(spec.nodes[999]?.needs).toEqual(['s998']);
  });

  test('builders do not hide mistakes from validation', () => {
    const spec = pipeline('dup', chain(step('a', 'x'), step('a', 'y')));
    const result = validateSpec(spec);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.path)).toContain('nodes[1].id');
  });
});
