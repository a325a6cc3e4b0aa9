/**
 * The run book's operator side: holding a failed node, and an operator's retry, skip, edit and
 * rerun; ending a run with a node held; snapshots with held nodes and dropped outputs; outputs
 * reused from an earlier run; events kept for a node that has not started. No Temporal server:
 * the book is plain data, driven here the way the workflow drives it.
 */
import type { NodeSpec, PipelineSpec } from '../../src/core/types';
import type { NodeStatus } from '../../src/core/states';
import { RunBook, type RunBookSnapshot } from '../../src/workflows/run-book';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:01.000Z';
const T2 = '2024-01-01T00:00:02.000Z';
const T3 = '2024-01-01T00:00:03.000Z';

function spec(...nodes: Array<[id: string, needs?: string[], extra?: Partial<NodeSpec>]>): PipelineSpec {
  return {
    name: 'test',
    nodes: nodes.map(([id, needs, extra]) => ({ id, activity: `do_${id}`, ...(needs ? { needs } : {}), ...extra })),
  };
}

/** top -> left, right -> bottom */
const diamond = (): PipelineSpec => spec(['top'], ['left', ['top']], ['right', ['top']], ['bottom', ['left', 'right']]);

/** Starts every ready node, returning their ids in start order. */
function startAll(book: RunBook, now = T0): string[] {
  const started: string[] = [];
  for (let id = book.startNext(now); id !== undefined; id = book.startNext(now)) started.push(id);
  return started;
}

function status(book: RunBook, id: string): NodeStatus {
  const s = book.nodeStatuses().find((n) => n.id === id);
  if (!s) throw new Error(`no node ${id}`);
  return s;
}

function states(book: RunBook): Record<string, string> {
  return Object.fromEntries(book.nodeStatuses().map((s) => [s.id, s.held ? `${s.state}+held` : s.state]));
}

/** A JSON round trip, as a snapshot crosses continue-as-new. */
function carried(snapshot: RunBookSnapshot): RunBookSnapshot {
  return JSON.parse(JSON.stringify(snapshot)) as RunBookSnapshot;
}

/** A diamond whose `left` failed and is held, `right` still running. */
function heldDiamond(): RunBook {
  const book = new RunBook(diamond());
  expect(startAll(book)).toEqual(['top']);
  book.complete('top', 'T', 1, T1);
  expect(startAll(book, T1)).toEqual(['left', 'right']);
  book.hold('left', 'disk on fire', 'DiskError', 2, T2);
  return book;
}

describe('RunBook: hold', () => {
  test('a held node is failed and held; the run is not finished; its dependents wait', () => {
    const book = heldDiamond();
    expect(status(book, 'left')).toMatchObject({
      state: 'failed',
      held: true,
      attempts: 2,
      error: 'disk on fire',
      errorType: 'DiskError',
      finishedAt: T2,
    });
    expect(book.held).toBe(1);
    expect(book.heldIds()).toEqual(['left']);
    expect(book.inFlight).toBe(1);
    expect(book.runningIds()).toEqual(['right']);
    expect(book.allFinished()).toBe(false);
    expect(book.progress()).toEqual({ completed: 1, skipped: 0, total: 4, running: 1, failed: 1, percent: 25 });

    // The independent branch goes on; bottom waits for left.
    book.complete('right', 'R', 1, T3);
    expect(book.hasReady()).toBe(false);
    expect(book.startNext(T3)).toBeUndefined();
    expect(states(book)).toEqual({ top: 'completed', left: 'failed+held', right: 'completed', bottom: 'pending' });
    expect(book.allFinished()).toBe(false);
    expect(book.progress()).toEqual({ completed: 2, skipped: 0, total: 4, running: 0, failed: 1, percent: 50 });
  });

  test('a held node with no error type leaves none from an earlier failure', () => {
    const book = new RunBook(spec(['a']));
    book.startNext(T0);
    book.hold('a', 'first', 'TypeA', 1, T1);
    book.retry('a');
    book.startNext(T1);
    book.hold('a', 'second', undefined, 2, T2);
    expect(status(book, 'a')).toMatchObject({ state: 'failed', held: true, error: 'second' });
    expect(status(book, 'a').errorType).toBeUndefined();
  });

  test('independent nodes start while a node is held', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']], ['x'], ['y', ['x']]));
    expect(startAll(book)).toEqual(['a', 'x']);
    book.hold('a', 'no', undefined, 1, T1);
    book.complete('x', 'X', 1, T1);
    expect(startAll(book, T1)).toEqual(['y']);
    book.complete('y', 'Y', 1, T2);
    expect(states(book)).toEqual({ a: 'failed+held', b: 'pending', x: 'completed', y: 'completed' });
    expect(book.allFinished()).toBe(false);
  });
});

describe('RunBook: retry', () => {
  test('a retried node is pending again with earlierAttempts, starts again and counts on', () => {
    const book = heldDiamond();
    book.retry('left');
    expect(status(book, 'left')).toMatchObject({ state: 'pending', attempts: 2, earlierAttempts: 2 });
    const left = status(book, 'left');
    expect(left.held).toBeUndefined();
    expect(left.error).toBeUndefined();
    expect(left.errorType).toBeUndefined();
    expect(book.held).toBe(0);
    expect(book.heldIds()).toEqual([]);
    expect(book.progress().failed).toBe(0);
    expect(book.recordOf('left').earlierAttempts).toBe(2);

    expect(startAll(book, T3)).toEqual(['left']);
    expect(status(book, 'left').state).toBe('running');
    // The first start time is kept.
    expect(status(book, 'left').startedAt).toBe(T1);
    book.complete('left', 'L', 3, T3);
    expect(status(book, 'left')).toMatchObject({ state: 'completed', attempts: 3, earlierAttempts: 2 });
    book.complete('right', 'R', 1, T3);
    expect(startAll(book, T3)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: 'L', right: 'R' });
    book.complete('bottom', 'B', 1, T3);
    expect(book.allFinished()).toBe(true);
    expect(book.result()).toEqual({ bottom: 'B' });
  });

  test('retry with an input replaces the input the node is called with', () => {
    const s = spec(['a', undefined, { input: { n: 1 } }], ['b', ['a']]);
    const book = new RunBook(s);
    expect(book.inputOf('a')).toEqual({ n: 1 });
    book.startNext(T0);
    book.hold('a', 'bad n', undefined, 1, T1);
    book.retry('a', { value: { n: 2 } });
    expect(book.inputOf('a')).toEqual({ n: 2 });
    expect(status(book, 'a').inputEdited).toBe(true);
    // `null` is an input too.
    book.startNext(T1);
    book.hold('a', 'bad n', undefined, 2, T2);
    book.retry('a', { value: null });
    expect(book.inputOf('a')).toBeNull();
    // Without an input, the node keeps the one it had.
    book.startNext(T2);
    book.hold('a', 'bad n', undefined, 3, T2);
    book.retry('a');
    expect(book.inputOf('a')).toBeNull();
    // The spec is not changed.
    expect(s.nodes[0]?.input).toEqual({ n: 1 });
  });

  test('retrying a node that is not held throws', () => {
    const book = new RunBook(spec(['a']));
    expect(() => book.retry('a')).toThrow('node a is not held');
    book.startNext(T0);
    book.complete('a', 1, 1, T1);
    expect(() => book.retry('a')).toThrow('node a is not held');
  });
});

describe('RunBook: skip', () => {
  test('skipping a held node gives its dependents the output and lets the run finish', () => {
    const book = heldDiamond();
    book.skip('left', { by: 'hand' }, T3);
    expect(status(book, 'left')).toMatchObject({ state: 'skipped', finishedAt: T3, attempts: 2 });
    expect(status(book, 'left').held).toBeUndefined();
    expect(book.held).toBe(0);
    expect(book.progress().failed).toBe(0);
    book.complete('right', 'R', 1, T3);
    expect(startAll(book, T3)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: { by: 'hand' }, right: 'R' });
    book.complete('bottom', 'B', 1, T3);
    expect(book.allFinished()).toBe(true);
    expect(book.progress()).toEqual({ completed: 3, skipped: 1, total: 4, running: 0, failed: 0, percent: 100 });
  });

  test('skipping a pending node: it never starts, its dependents start once their other needs are met', () => {
    const book = new RunBook(diamond());
    book.skip('left', 'skipped-left', T0);
    expect(status(book, 'left').state).toBe('skipped');
    expect(startAll(book)).toEqual(['top']);
    book.complete('top', 'T', 1, T1);
    // left is skipped, so only right starts.
    expect(startAll(book, T1)).toEqual(['right']);
    book.complete('right', 'R', 1, T2);
    expect(startAll(book, T2)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: 'skipped-left', right: 'R' });
    book.complete('bottom', 'B', 1, T3);
    expect(book.allFinished()).toBe(true);
    expect(status(book, 'left')).toMatchObject({ state: 'skipped', attempts: 0 });
  });

  test('skipping a ready (queued) node takes it out of the queue', () => {
    const book = new RunBook(spec(['a'], ['b']));
    expect(book.hasReady()).toBe(true);
    book.skip('a', null, T0);
    expect(startAll(book)).toEqual(['b']);
  });

  test('a completed node cannot be skipped', () => {
    const book = new RunBook(spec(['a']));
    book.startNext(T0);
    book.complete('a', 1, 1, T1);
    expect(() => book.skip('a', null, T2)).toThrow('node a is completed');
  });
});

describe('RunBook: editInput', () => {
  test('an edited input replaces the spec input and is marked', () => {
    const book = new RunBook(spec(['a'], ['b', ['a'], { input: { width: 64 } }]));
    expect(book.inputOf('b')).toEqual({ width: 64 });
    expect(status(book, 'b').inputEdited).toBeUndefined();
    book.editInput('b', { width: 128 });
    expect(book.inputOf('b')).toEqual({ width: 128 });
    expect(status(book, 'b').inputEdited).toBe(true);
    expect(book.spec('b').input).toEqual({ width: 64 });
  });

  test('an input edited to undefined is still the edit, not the spec input', () => {
    const book = new RunBook(spec(['a', undefined, { input: 'spec' }]));
    book.editInput('a', undefined);
    expect(book.inputOf('a')).toBeUndefined();
  });
});

describe('RunBook: rerun', () => {
  /** A finished diamond: every node completed once, with outputs `T`, `L`, `R`, `B`. */
  function finishedDiamond(): RunBook {
    const book = new RunBook(diamond());
    startAll(book);
    book.complete('top', 'T', 1, T1);
    startAll(book, T1);
    book.complete('left', 'L', 2, T1);
    book.complete('right', 'R', 1, T1);
    startAll(book, T1);
    book.complete('bottom', 'B', 1, T2);
    expect(book.allFinished()).toBe(true);
    return book;
  }

  test('from a middle node: it and its downstream run again, the rest keep their outputs', () => {
    const book = finishedDiamond();
    expect(book.rerun('left')).toEqual(['left', 'bottom']);
    expect(states(book)).toEqual({ top: 'completed', left: 'pending', right: 'completed', bottom: 'pending' });
    expect(book.allFinished()).toBe(false);
    expect(book.outputOf('top')).toBe('T');
    expect(book.outputOf('right')).toBe('R');
    expect(book.outputOf('left')).toBeUndefined();
    expect(book.outputOf('bottom')).toBeUndefined();
    // Attempts are kept and become earlier attempts; times are cleared.
    expect(status(book, 'left')).toMatchObject({ attempts: 2, earlierAttempts: 2 });
    expect(status(book, 'bottom')).toMatchObject({ attempts: 1, earlierAttempts: 1 });
    expect(status(book, 'left').startedAt).toBeUndefined();
    expect(status(book, 'left').finishedAt).toBeUndefined();
    expect(status(book, 'top')).toMatchObject({ attempts: 1 });
    expect(status(book, 'top').earlierAttempts).toBeUndefined();
    expect(book.progress()).toEqual({ completed: 2, skipped: 0, total: 4, running: 0, failed: 0, percent: 50 });

    // Only left is ready; bottom waits for it, then sees the new output and right's old one.
    expect(startAll(book, T3)).toEqual(['left']);
    expect(book.upstreamOf('left')).toEqual({ top: 'T' });
    book.complete('left', 'L2', 3, T3);
    expect(startAll(book, T3)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: 'L2', right: 'R' });
    book.complete('bottom', 'B2', 2, T3);
    expect(book.allFinished()).toBe(true);
    expect(book.result()).toEqual({ bottom: 'B2' });
    expect(status(book, 'left')).toMatchObject({ state: 'completed', attempts: 3, earlierAttempts: 2 });
  });

  test('from the root: every node goes round again, in spec order', () => {
    const book = finishedDiamond();
    expect(book.rerun('top')).toEqual(['top', 'left', 'right', 'bottom']);
    expect(startAll(book, T3)).toEqual(['top']);
    book.complete('top', 'T2', 2, T3);
    expect(startAll(book, T3)).toEqual(['left', 'right']);
  });

  test('a rerun from a held run clears the held node in the set', () => {
    const book = heldDiamond();
    book.complete('right', 'R', 1, T2);
    expect(book.rerun('top')).toEqual(['top', 'left', 'right', 'bottom']);
    expect(book.held).toBe(0);
    expect(status(book, 'left')).toMatchObject({ state: 'pending', earlierAttempts: 2 });
    expect(status(book, 'left').held).toBeUndefined();
    expect(status(book, 'left').error).toBeUndefined();
    expect(book.progress()).toEqual({ completed: 0, skipped: 0, total: 4, running: 0, failed: 0, percent: 0 });
  });

  test('refused while a node of the set is running, and nothing changes', () => {
    const book = new RunBook(diamond());
    startAll(book);
    book.complete('top', 'T', 1, T1);
    startAll(book, T1); // left, right running
    book.complete('right', 'R', 1, T2);
    expect(() => book.rerun('top')).toThrow('node left is in flight');
    expect(() => book.rerun('left')).toThrow('node left is in flight');
    expect(states(book)).toEqual({ top: 'completed', left: 'running', right: 'completed', bottom: 'pending' });
    expect(book.outputOf('top')).toBe('T');
    // A set without the running node is fine.
    expect(book.rerun('right')).toEqual(['right', 'bottom']);
  });
});

describe('RunBook: endPending', () => {
  test('a held node stays failed, no longer held; pending nodes end; the run is finished', () => {
    const book = heldDiamond();
    book.complete('right', 'R', 1, T2);
    book.endPending('skipped', T3);
    expect(states(book)).toEqual({ top: 'completed', left: 'failed', right: 'completed', bottom: 'skipped' });
    expect(book.held).toBe(0);
    expect(book.allFinished()).toBe(true);
    expect(status(book, 'left')).toMatchObject({ error: 'disk on fire', attempts: 2, finishedAt: T2 });
    expect(status(book, 'bottom').finishedAt).toBe(T3);
    expect(book.progress()).toEqual({ completed: 2, skipped: 1, total: 4, running: 0, failed: 1, percent: 75 });
  });

  test('on cancel, pending nodes end cancelled and none starts', () => {
    const book = heldDiamond();
    book.cancelled('right', 1, T2);
    book.endPending('cancelled', T3);
    expect(states(book)).toEqual({ top: 'completed', left: 'failed', right: 'cancelled', bottom: 'cancelled' });
    expect(book.hasReady()).toBe(false);
    expect(book.allFinished()).toBe(true);
  });
});

describe('RunBook: snapshots', () => {
  test('a held node survives a JSON round trip, and can be retried after it', () => {
    const book = heldDiamond();
    book.editInput('bottom', { edited: true });
    const restored = new RunBook(diamond(), carried(book.snapshot()));
    expect(restored.nodeStatuses()).toEqual(book.nodeStatuses().map((s) => (s.id === 'right' ? { ...s, state: 'pending' } : s)));
    expect(restored.held).toBe(1);
    expect(restored.heldIds()).toEqual(['left']);
    expect(restored.allFinished()).toBe(false);
    expect(restored.inputOf('bottom')).toEqual({ edited: true });
    // right was in flight: it starts again in the next execution; left stays held.
    expect(startAll(restored, T3)).toEqual(['right']);
    restored.complete('right', 'R', 1, T3);
    expect(restored.hasReady()).toBe(false);
    restored.retry('left');
    expect(startAll(restored, T3)).toEqual(['left']);
    restored.complete('left', 'L', 3, T3);
    expect(startAll(restored, T3)).toEqual(['bottom']);
    expect(restored.upstreamOf('bottom')).toEqual({ left: 'L', right: 'R' });
  });

  test('an output nobody needs is dropped and marked outputDropped; the rest are kept', () => {
    // a -> b -> c, a -> d: after a, b and d complete, a's output is needed by nobody.
    const book = new RunBook(spec(['a'], ['b', ['a']], ['c', ['b']], ['d', ['a']]));
    startAll(book);
    book.complete('a', 'A', 1, T1);
    startAll(book, T1);
    book.complete('b', 'B', 1, T1);
    book.complete('d', 'D', 1, T1);
    const snapshot = carried(book.snapshot());
    expect(snapshot.outputs).toEqual({ b: 'B', d: 'D' });
    expect(snapshot.dropped).toEqual(['a']);
    // The book that took the snapshot still holds it.
    expect(status(book, 'a').outputDropped).toBeUndefined();

    const restored = new RunBook(spec(['a'], ['b', ['a']], ['c', ['b']], ['d', ['a']]), snapshot);
    expect(status(restored, 'a')).toMatchObject({ state: 'completed', outputDropped: true });
    expect(status(restored, 'b').outputDropped).toBeUndefined();
    expect(restored.outputOf('a')).toBeUndefined();
    expect(startAll(restored, T2)).toEqual(['c']);
    expect(restored.upstreamOf('c')).toEqual({ b: 'B' });
    restored.complete('c', 'C', 1, T2);
    expect(restored.result()).toEqual({ c: 'C', d: 'D' });

    // A dropped output stays dropped through a second continue-as-new ...
    const again = new RunBook(spec(['a'], ['b', ['a']], ['c', ['b']], ['d', ['a']]), carried(restored.snapshot()));
    expect(status(again, 'a').outputDropped).toBe(true);
    // ... until the node runs again.
    again.rerun('a');
    expect(status(again, 'a').outputDropped).toBeUndefined();
  });

  test('a held dependent keeps the output it needs', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']]));
    startAll(book);
    book.complete('a', 'A', 1, T1);
    startAll(book, T1);
    book.hold('b', 'no', undefined, 1, T2);
    const snapshot = carried(book.snapshot());
    expect(snapshot.outputs).toEqual({ a: 'A' });
    expect(snapshot.dropped).toBeUndefined();
    const restored = new RunBook(spec(['a'], ['b', ['a']]), snapshot);
    restored.retry('b');
    expect(startAll(restored, T2)).toEqual(['b']);
    expect(restored.upstreamOf('b')).toEqual({ a: 'A' });
  });

  test('a skipped node whose output was dropped still satisfies its dependents', () => {
    // a skipped (output "S") -> b -> z: once b completes, nobody needs a's output, so it is
    // dropped; a must still count as done after the round trip.
    const s = (): PipelineSpec => spec(['a'], ['b', ['a']], ['z', ['b']]);
    const book = new RunBook(s());
    book.skip('a', 'S', T0);
    startAll(book);
    book.complete('b', 'B', 1, T1);
    const snapshot = carried(book.snapshot());
    expect(snapshot.dropped).toEqual(['a']);
    const restored = new RunBook(s(), snapshot);
    expect(status(restored, 'a')).toMatchObject({ state: 'skipped', outputDropped: true });
    // b does not start again: its need is still met.
    expect(startAll(restored, T2)).toEqual(['z']);
    expect(restored.nodeStatuses().map((n) => n.state)).toEqual(['skipped', 'completed', 'running']);
  });
});

describe('RunBook: reused outputs', () => {
  test('reused nodes start completed (or skipped) with reused set and never start', () => {
    const book = new RunBook(diamond(), undefined, { outputs: { top: 'T', right: 'R' }, skipped: ['right'] });
    expect(status(book, 'top')).toMatchObject({ state: 'completed', reused: true, attempts: 0 });
    expect(status(book, 'right')).toMatchObject({ state: 'skipped', reused: true, attempts: 0 });
    expect(status(book, 'left')).toMatchObject({ state: 'pending' });
    expect(status(book, 'left').reused).toBeUndefined();
    expect(book.progress()).toEqual({ completed: 1, skipped: 1, total: 4, running: 0, failed: 0, percent: 50 });

    expect(startAll(book)).toEqual(['left']);
    expect(book.upstreamOf('left')).toEqual({ top: 'T' });
    book.complete('left', 'L', 1, T1);
    expect(startAll(book, T1)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: 'L', right: 'R' });
    book.complete('bottom', 'B', 1, T2);
    expect(book.allFinished()).toBe(true);
  });

  test('a reused output of null is an output', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']]), undefined, { outputs: { a: null } });
    expect(startAll(book)).toEqual(['b']);
    expect(book.upstreamOf('b')).toEqual({ a: null });
  });

  test('a carried snapshot wins over reused outputs', () => {
    const first = new RunBook(spec(['a'], ['b', ['a']]), undefined, { outputs: { a: 'A' } });
    startAll(first);
    const snapshot = carried(first.snapshot());
    const restored = new RunBook(spec(['a'], ['b', ['a']]), snapshot, { outputs: { a: 'other', b: 'other' } });
    expect(status(restored, 'b').state).toBe('pending');
    expect(restored.upstreamOf('b')).toEqual({ a: 'A' });
  });
});

describe('RunBook: events kept for a node', () => {
  test('deliver keeps the event; takeDelivered hands it over once', () => {
    const book = new RunBook(spec(['first'], ['ev', ['first'], { kind: 'event', event: 'approval', activity: undefined }]));
    expect(book.takeDelivered('ev')).toBeUndefined();
    book.deliver('ev', { ok: true });
    expect(book.takeDelivered('ev')).toEqual({ data: { ok: true } });
    expect(book.takeDelivered('ev')).toBeUndefined();
    // null data is data.
    book.deliver('ev', null);
    // The kept event survives continue-as-new.
    const restored = new RunBook(
      spec(['first'], ['ev', ['first'], { kind: 'event', event: 'approval', activity: undefined }]),
      carried(book.snapshot()),
    );
    expect(restored.takeDelivered('ev')).toEqual({ data: null });
    // The later event replaces the earlier one.
    restored.deliver('ev', 1);
    restored.deliver('ev', 2);
    expect(restored.takeDelivered('ev')).toEqual({ data: 2 });
  });

  test('a waiting event node shows what it waits for', () => {
    const book = new RunBook(spec(['ev', undefined, { kind: 'event', event: 'approval', activity: undefined }]));
    expect(status(book, 'ev')).toMatchObject({ kind: 'event', activity: 'event:approval', state: 'pending' });
    expect(status(book, 'ev').waitingFor).toBeUndefined();
    startAll(book);
    expect(status(book, 'ev').waitingFor).toBe('approval');
  });
});

describe("a held map's finished shards", () => {
  const shards = (): Map<number, unknown[]> => new Map([[0, [0, 1]], [2, [4, 9]]]);

  function heldMap(): RunBook {
    const book = new RunBook(spec(['list'], ['each', ['list']]));
    book.startNext(T0);
    book.complete('list', [1, 2], 1, T1);
    book.startNext(T1);
    book.hold('each', 'item 3 failed', 'BadItem', 1, T2);
    book.keepFinishedShards('each', shards());
    return book;
  }

  test('are handed once to the retry that asks for them', () => {
    const book = heldMap();
    book.retry('each');
    expect(book.takeFinishedShards('each')).toEqual(shards());
    expect(book.takeFinishedShards('each')).toBeUndefined();
  });

  test('are dropped when the retry changes the input, and by an edit, a skip or a rerun', () => {
    const retried = heldMap();
    retried.retry('each', { value: { strict: false } });
    expect(retried.takeFinishedShards('each')).toBeUndefined();

    const edited = heldMap();
    edited.editInput('each', { strict: false });
    expect(edited.takeFinishedShards('each')).toBeUndefined();

    const skipped = heldMap();
    skipped.skip('each', [], T3);
    expect(skipped.takeFinishedShards('each')).toBeUndefined();

    const rerun = heldMap();
    rerun.skip('each', [], T3);
    rerun.keepFinishedShards('each', shards());
    rerun.rerun('list');
    expect(rerun.takeFinishedShards('each')).toBeUndefined();
  });

  test('none are kept when no shard finished', () => {
    const book = heldMap();
    book.takeFinishedShards('each');
    book.keepFinishedShards('each', new Map());
    expect(book.takeFinishedShards('each')).toBeUndefined();
  });
});
