/**
 * Trigger rules and skip causes in the run book, without a server: each rule's run, wait and
 * skip, skips passing on down a chain, a failure reaching a join, reruns deciding again, and a
 * rerun's reused skips keeping their cause.
 */
import type { NodeSpec, PipelineSpec, TriggerRule } from '../../src/core/types';
import { RunBook } from '../../src/workflows/run-book';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:01.000Z';

/** Two sources `a` and `b`, and `join` needing both by `trigger`, then `after` needing the join. */
function joinSpec(trigger?: TriggerRule): PipelineSpec {
  const join: NodeSpec = { id: 'join', activity: 'j', needs: ['a', 'b'], ...(trigger ? { trigger } : {}) };
  return {
    name: 'join',
    nodes: [{ id: 'a', activity: 'x' }, { id: 'b', activity: 'x' }, join, { id: 'after', activity: 'y', needs: ['join'] }],
  };
}

function startAll(book: RunBook): string[] {
  const started: string[] = [];
  for (let id = book.startNext(T0); id !== undefined; id = book.startNext(T0)) started.push(id);
  return started;
}

function view(book: RunBook, id: string): [string, string | undefined, string | undefined] {
  const s = book.nodeStatus(id);
  return [s.state, s.skipCause, s.skipReason];
}

type End = 'complete' | 'fail' | 'condition' | 'operator';

/** Starts a and b, ends them as told, and says what the join became. */
function judge(trigger: TriggerRule | undefined, a: End, b?: End): { started: string[]; join: ReturnType<typeof view>; book: RunBook } {
  const book = new RunBook(joinSpec(trigger));
  const end = (id: string, how: End): void => {
    if (how === 'complete') book.complete(id, id.toUpperCase(), 1, T1);
    else if (how === 'fail') book.fail(id, 'boom', 'E', 1, T1);
    else if (how === 'condition') book.skipForCondition(id, T1);
    else book.skip(id, 'given', T1, 'operator', 'by hand');
  };
  startAll(book);
  end('a', a);
  if (b) end('b', b);
  return { started: startAll(book), join: view(book, 'join'), book };
}

describe('trigger rules', () => {
  test.each<[TriggerRule | undefined, End, End | undefined, 'run' | 'wait' | string]>([
    // all_success (the default): every need completed or stands in by an operator's skip.
    [undefined, 'complete', 'complete', 'run'],
    [undefined, 'complete', 'operator', 'run'],
    [undefined, 'complete', undefined, 'wait'],
    [undefined, 'fail', undefined, 'need "a" failed'],
    [undefined, 'condition', undefined, 'need "a" was skipped'],
    ['all_success', 'complete', 'condition', 'need "b" was skipped'],
    // none_failed: the join after a branch.
    ['none_failed', 'complete', 'condition', 'run'],
    ['none_failed', 'condition', 'complete', 'run'],
    ['none_failed', 'condition', undefined, 'wait'],
    ['none_failed', 'condition', 'condition', 'no need completed'],
    ['none_failed', 'complete', 'fail', 'need "b" failed'],
    ['none_failed', 'fail', undefined, 'need "a" failed'],
    // one_success: the first completed need is enough.
    ['one_success', 'complete', undefined, 'run'],
    ['one_success', 'fail', undefined, 'wait'],
    ['one_success', 'fail', 'complete', 'run'],
    ['one_success', 'fail', 'condition', 'no need completed'],
    // all_done: once every need ended, however.
    ['all_done', 'fail', undefined, 'wait'],
    ['all_done', 'fail', 'condition', 'run'],
    ['all_done', 'complete', 'fail', 'run'],
  ])('%s: a %s, b %s -> join %s', (trigger, a, b, expected) => {
    const { started, join } = judge(trigger, a, b);
    if (expected === 'run') {
      expect(started).toEqual(['join']);
      expect(join[0]).toBe('running');
    } else if (expected === 'wait') {
      expect(started).toEqual([]);
      expect(join[0]).toBe('pending');
    } else {
      expect(started).toEqual([]);
      expect(join).toEqual(['skipped', 'upstream', expected]);
    }
  });

  test('a skip passes on down the chain after the join, and the book finishes', () => {
    const { book } = judge(undefined, 'fail');
    expect(view(book, 'after')).toEqual(['skipped', 'upstream', 'need "join" was skipped after a failure']);
    expect(book.pendingDownstream('a')).toBe(false);
    book.complete('b', 'B', 1, T1);
    expect(book.allFinished()).toBe(true);
    expect(book.failedIds()).toEqual(['a']);
    expect(book.progress()).toMatchObject({ completed: 1, skipped: 2, failed: 1, percent: 75 });
  });

  test('a skip after a failure counts as failed below it: none_failed is ruled out, as in Airflow', () => {
    const book = new RunBook({
      name: 'deep',
      nodes: [
        { id: 'a', activity: 'x' },
        { id: 'b', activity: 'x', needs: ['a'] },
        { id: 'c', activity: 'x' },
        { id: 'join', activity: 'x', needs: ['b', 'c'], trigger: 'none_failed' },
        { id: 'tidy', activity: 'x', needs: ['b', 'c'], trigger: 'all_done' },
      ],
    });
    startAll(book);
    book.fail('a', 'boom', 'E', 1, T1);
    expect(view(book, 'b')).toEqual(['skipped', 'upstream', 'need "a" failed']);
    expect(view(book, 'join')).toEqual(['skipped', 'upstream', 'need "b" was skipped after a failure']);
    expect(book.pendingDownstream('a')).toBe(true);
    book.complete('c', 'C', 1, T1);
    expect(startAll(book)).toEqual(['tidy']);
  });

  test('a failure that a join may still run past leaves it pending', () => {
    const { book } = judge('all_done', 'fail');
    expect(book.pendingDownstream('a')).toBe(true);
    book.complete('b', 'B', 1, T1);
    expect(startAll(book)).toEqual(['join']);
    expect(book.upstreamOf('join')).toEqual({ a: undefined, b: 'B' });
  });

  test('a condition skip gives output null to a join that runs', () => {
    const { book } = judge('none_failed', 'condition', 'complete');
    expect(book.upstreamOf('join')).toEqual({ a: null, b: 'B' });
    expect(view(book, 'a')).toEqual(['skipped', 'condition', 'condition false']);
  });

  test('a long chain of skips passes on without deepening the stack', () => {
    const n = 20_000;
    const nodes: NodeSpec[] = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, activity: 'x', ...(i > 0 ? { needs: [`n${i - 1}`] } : {}) }));
    const book = new RunBook({ name: 'long', nodes });
    book.startNext(T0);
    book.skipForCondition('n0', T1);
    expect(book.allFinished()).toBe(true);
    expect(book.progress().skipped).toBe(n);
  });
});

describe('reruns and reused skips', () => {
  test('a rerun decides the nodes again by their rules', () => {
    const { book } = judge('none_failed', 'condition', 'condition');
    expect(view(book, 'join')[0]).toBe('skipped');
    expect(book.rerun('a', T1)).toEqual(['a', 'join', 'after']);
    expect(startAll(book)).toEqual(['a']);
    book.complete('a', 'A', 1, T1);
    expect(startAll(book)).toEqual(['join']);
  });

  test('a reused condition skip stays a skip; a reused operator skip stands in', () => {
    const reused = { outputs: { a: null, b: 'B' }, skipped: ['a'], skipCauses: { a: 'condition' as const } };
    const book = new RunBook(joinSpec(), undefined, reused, T0);
    expect(view(book, 'a')).toEqual(['skipped', 'condition', undefined]);
    expect(view(book, 'join')).toEqual(['skipped', 'upstream', 'need "a" was skipped']);
    expect(view(book, 'after')[0]).toBe('skipped');

    const byHand = new RunBook(joinSpec(), undefined, { outputs: { a: 'given', b: 'B' }, skipped: ['a'] }, T0);
    expect(view(byHand, 'a')[1]).toBe('operator');
    expect(startAll(byHand)).toEqual(['join']);
  });
});
