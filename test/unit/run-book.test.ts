import type { PipelineSpec } from '../../src/core/types';
import { RunBook, type RunBookSnapshot } from '../../src/workflows/run-book';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:01.000Z';
const T2 = '2024-01-01T00:00:02.000Z';
const T3 = '2024-01-01T00:00:03.000Z';

function spec(...nodes: Array<[id: string, needs?: string[]]>): PipelineSpec {
  return {
    name: 'test',
    nodes: nodes.map(([id, needs]) => ({ id, activity: `do_${id}`, ...(needs ? { needs } : {}) })),
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

function stateOf(book: RunBook, id: string): string | undefined {
  return book.nodeStatuses().find((s) => s.id === id)?.state;
}

/** A JSON round trip, as a snapshot crosses continue-as-new. */
function carried(snapshot: RunBookSnapshot): RunBookSnapshot {
  return JSON.parse(JSON.stringify(snapshot)) as RunBookSnapshot;
}

describe('RunBook: starting nodes', () => {
  test('a fresh book has every root ready and nothing running', () => {
    const book = new RunBook(diamond());
    expect(book.hasReady()).toBe(true);
    expect(book.inFlight).toBe(0);
    expect(book.allFinished()).toBe(false);
    expect(book.nodeStatuses().map((s) => [s.id, s.state, s.attempts])).toEqual([
      ['top', 'pending', 0],
      ['left', 'pending', 0],
      ['right', 'pending', 0],
      ['bottom', 'pending', 0],
    ]);
  });

  test('a chain starts one node at a time, each once its need completes', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']], ['c', ['b']]));
    expect(book.startNext(T0)).toBe('a');
    expect(book.startNext(T0)).toBeUndefined();
    expect(book.hasReady()).toBe(false);
    expect(book.inFlight).toBe(1);
    expect(book.runningIds()).toEqual(['a']);
    expect(stateOf(book, 'a')).toBe('running');

    book.complete('a', 'A', 1, T1);
    expect(book.inFlight).toBe(0);
    expect(book.hasReady()).toBe(true);
    expect(book.startNext(T1)).toBe('b');
    expect(book.upstreamOf('b')).toEqual({ a: 'A' });
    book.complete('b', 'B', 1, T2);
    expect(book.startNext(T2)).toBe('c');
    expect(book.upstreamOf('c')).toEqual({ b: 'B' });
    book.complete('c', 'C', 1, T3);
    expect(book.startNext(T3)).toBeUndefined();
    expect(book.allFinished()).toBe(true);
    expect(book.result()).toEqual({ c: 'C' });
  });

  test('independent roots start in spec order', () => {
    const book = new RunBook(spec(['z'], ['m'], ['a']));
    expect(startAll(book)).toEqual(['z', 'm', 'a']);
    expect(book.inFlight).toBe(3);
  });

  test('among ready nodes, the earliest declared starts first, not the first to become ready', () => {
    // q becomes ready before p, but p is declared first.
    const book = new RunBook(spec(['p', ['y']], ['x'], ['y'], ['q', ['x']]));
    expect(startAll(book)).toEqual(['x', 'y']);
    book.complete('x', 1, 1, T1);
    book.complete('y', 2, 1, T1);
    expect(startAll(book)).toEqual(['p', 'q']);
  });

  test('a node starts as soon as its own needs complete, not level by level', () => {
    // slow -> after; fast -> next: "next" must not wait for "slow".
    const book = new RunBook(spec(['slow'], ['fast'], ['after', ['slow']], ['next', ['fast']]));
    expect(startAll(book)).toEqual(['slow', 'fast']);
    book.complete('fast', 'F', 1, T1);
    expect(startAll(book, T1)).toEqual(['next']);
    expect(stateOf(book, 'after')).toBe('pending');
    expect(book.runningIds().sort()).toEqual(['next', 'slow']);
  });

  test('startNext records the start time, and complete the finish time and attempts', () => {
    const book = new RunBook(spec(['a']));
    book.startNext(T0);
    book.complete('a', null, 3, T1);
    expect(book.nodeStatuses()).toEqual([
      { id: 'a', activity: 'do_a', needs: [], state: 'completed', attempts: 3, startedAt: T0, finishedAt: T1 },
    ]);
  });

  test('spec() returns the node spec, and throws for an unknown node', () => {
    const book = new RunBook(diamond());
    expect(book.spec('left')).toEqual({ id: 'left', activity: 'do_left', needs: ['top'] });
    expect(() => book.spec('nope')).toThrow('unknown node nope');
    expect(() => book.complete('nope', 1, 1, T0)).toThrow('unknown node nope');
  });
});

describe('RunBook: diamond', () => {
  test('the join waits for both branches and sees both outputs', () => {
    const book = new RunBook(diamond());
    expect(startAll(book)).toEqual(['top']);
    book.complete('top', { img: 1 }, 1, T1);
    expect(startAll(book, T1)).toEqual(['left', 'right']);
    expect(book.upstreamOf('left')).toEqual({ top: { img: 1 } });

    book.complete('right', 'R', 1, T2);
    expect(book.hasReady()).toBe(false);
    expect(stateOf(book, 'bottom')).toBe('pending');
    book.complete('left', 'L', 2, T2);
    expect(startAll(book, T2)).toEqual(['bottom']);
    expect(book.upstreamOf('bottom')).toEqual({ left: 'L', right: 'R' });

    book.complete('bottom', 'done', 1, T3);
    expect(book.allFinished()).toBe(true);
    expect(book.result()).toEqual({ bottom: 'done' });
    expect(book.progress()).toEqual({ completed: 4, skipped: 0, total: 4, running: 0, failed: 0, percent: 100 });
  });

  test('progress counts running and completed nodes, percent rounded down', () => {
    const book = new RunBook(spec(['a'], ['b'], ['c']));
    expect(book.progress()).toEqual({ completed: 0, skipped: 0, total: 3, running: 0, failed: 0, percent: 0 });
    startAll(book);
    expect(book.progress()).toEqual({ completed: 0, skipped: 0, total: 3, running: 3, failed: 0, percent: 0 });
    book.complete('a', 1, 1, T1);
    expect(book.progress()).toEqual({ completed: 1, skipped: 0, total: 3, running: 2, failed: 0, percent: 33 });
    book.complete('b', 1, 1, T1);
    expect(book.progress().percent).toBe(66);
  });
});

describe('RunBook: failure and cancel', () => {
  test('a failed node records its error and skips its dependents at once (cause upstream)', () => {
    const book = new RunBook(diamond());
    startAll(book);
    book.complete('top', 'T', 1, T1);
    startAll(book, T1);
    book.fail('left', 'boom', 'BoomError', 3, T2);
    // bottom needs left, which failed: by the default trigger rule it can never run.
    expect(book.progress()).toEqual({ completed: 1, skipped: 1, total: 4, running: 1, failed: 1, percent: 50 });
    expect(book.hasReady()).toBe(false);
    expect(book.allFinished()).toBe(false);
    expect(book.pendingDownstream('left')).toBe(false);

    book.complete('right', 'R', 1, T2);
    expect(book.hasReady()).toBe(false);
    expect(book.allFinished()).toBe(true);

    book.endPending('skipped', T3);
    expect(book.allFinished()).toBe(true);
    expect(book.nodeStatuses()).toEqual([
      { id: 'top', activity: 'do_top', needs: [], state: 'completed', attempts: 1, startedAt: T0, finishedAt: T1 },
      {
        id: 'left',
        activity: 'do_left',
        needs: ['top'],
        state: 'failed',
        attempts: 3,
        startedAt: T1,
        finishedAt: T2,
        error: 'boom',
        errorType: 'BoomError',
      },
      {
        id: 'right',
        activity: 'do_right',
        needs: ['top'],
        state: 'completed',
        attempts: 1,
        startedAt: T1,
        finishedAt: T2,
      },
      {
        id: 'bottom',
        activity: 'do_bottom',
        needs: ['left', 'right'],
        state: 'skipped',
        attempts: 0,
        finishedAt: T2,
        skipCause: 'upstream',
        skipReason: 'need "left" failed',
      },
    ]);
    const p = book.progress();
    expect([p.total, p.running, p.failed]).toEqual([4, 0, 1]);
  });

  test('a failure without an error type records none', () => {
    const book = new RunBook(spec(['a']));
    book.startNext(T0);
    book.fail('a', 'bad', undefined, 1, T1);
    const status = book.nodeStatuses()[0];
    expect(status?.error).toBe('bad');
    expect(status).not.toHaveProperty('errorType');
    expect(book.allFinished()).toBe(true);
  });

  test('cancel: nodes in flight end cancelled, pending ones too, and nothing is ready any more', () => {
    const book = new RunBook(spec(['a'], ['b'], ['c', ['a']], ['d', ['c']]));
    expect(startAll(book)).toEqual(['a', 'b']);
    book.complete('a', 'A', 1, T1);
    expect(book.hasReady()).toBe(true); // c
    book.cancelled('b', 2, T2);
    expect(book.inFlight).toBe(0);
    book.endPending('cancelled', T2);

    expect(book.hasReady()).toBe(false);
    expect(book.startNext(T3)).toBeUndefined();
    expect(book.allFinished()).toBe(true);
    expect(book.nodeStatuses().map((s) => [s.id, s.state, s.attempts])).toEqual([
      ['a', 'completed', 1],
      ['b', 'cancelled', 2],
      ['c', 'cancelled', 0],
      ['d', 'cancelled', 0],
    ]);
    expect(book.progress()).toEqual({ completed: 1, skipped: 0, total: 4, running: 0, failed: 0, percent: 25 });
  });

  test('endPending leaves finished and running nodes alone', () => {
    const book = new RunBook(spec(['a'], ['b'], ['c', ['a', 'b']]));
    startAll(book);
    book.complete('a', 'A', 1, T1);
    book.endPending('skipped', T2);
    expect(stateOf(book, 'a')).toBe('completed');
    expect(stateOf(book, 'b')).toBe('running');
    expect(stateOf(book, 'c')).toBe('skipped');
    expect(book.allFinished()).toBe(false);
    book.fail('b', 'late', undefined, 1, T3);
    expect(book.allFinished()).toBe(true);
  });

  test('attempts never go down', () => {
    const book = new RunBook(spec(['a']));
    book.startNext(T0);
    book.complete('a', 1, 0, T1);
    expect(book.nodeStatuses()[0]?.attempts).toBe(0);
    const other = new RunBook(spec(['a']), {
      nodes: { a: { state: 'pending', attempts: 4 } },
      outputs: {},
    });
    other.startNext(T0);
    other.fail('a', 'x', undefined, 2, T1);
    expect(other.nodeStatuses()[0]?.attempts).toBe(4);
  });
});

describe('RunBook: result', () => {
  test('holds only the leaves, in spec order, each with its output', () => {
    const book = new RunBook(spec(['a'], ['lone'], ['b', ['a']], ['c', ['a']]));
    startAll(book);
    book.complete('a', 'A', 1, T1);
    book.complete('lone', 'L', 1, T1);
    startAll(book, T1);
    book.complete('b', 'B', 1, T2);
    book.complete('c', 'C', 1, T2);
    const result = book.result();
    expect(result).toEqual({ lone: 'L', b: 'B', c: 'C' });
    expect(Object.keys(result)).toEqual(['lone', 'b', 'c']);
    expect(result).not.toHaveProperty('a');
  });

  test('a leaf that has not completed has an undefined output', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']]));
    expect(book.result()).toEqual({ b: undefined });
    expect(Object.keys(book.result())).toEqual(['b']);
  });
});

describe('RunBook: snapshot and rebuild', () => {
  test('the snapshot drops outputs no node will read again and keeps leaves', () => {
    const book = new RunBook(diamond());
    startAll(book);
    book.complete('top', 'T', 1, T1);
    startAll(book, T1);
    book.complete('left', 'L', 1, T2);
    // right still runs: it reads top; bottom will read left.
    expect(book.snapshot().outputs).toEqual({ top: 'T', left: 'L' });

    book.complete('right', 'R', 1, T2);
    // Every dependent of top has completed: nobody reads top again.
    expect(book.snapshot().outputs).toEqual({ left: 'L', right: 'R' });

    startAll(book, T2);
    book.complete('bottom', 'B', 1, T3);
    expect(book.snapshot().outputs).toEqual({ bottom: 'B' });
  });

  test('the snapshot keeps an output whose dependent failed, since that node may run again', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']]));
    startAll(book);
    book.complete('a', 'A', 1, T1);
    startAll(book, T1);
    book.fail('b', 'x', undefined, 1, T2);
    expect(book.snapshot().outputs).toEqual({ a: 'A' });
  });

  test('the snapshot is a copy: later changes to the book do not reach it', () => {
    const book = new RunBook(spec(['a'], ['b', ['a']]));
    const snap = book.snapshot();
    startAll(book);
    book.complete('a', 'A', 1, T1);
    expect(snap.nodes.a).toEqual({ state: 'pending', attempts: 0 });
    expect(snap.outputs).toEqual({});
  });

  test('a book rebuilt from a snapshot restores the ready set and continues correctly', () => {
    const s = diamond();
    const book = new RunBook(s);
    startAll(book);
    book.complete('top', 'T', 1, T1);
    expect(book.startNext(T1)).toBe('left');
    book.complete('left', 'L', 2, T2);
    // right is ready but not started.

    const rebuilt = new RunBook(s, carried(book.snapshot()));
    expect(rebuilt.nodeStatuses()).toEqual(book.nodeStatuses());
    expect(rebuilt.progress()).toEqual(book.progress());
    expect(rebuilt.hasReady()).toBe(true);
    expect(rebuilt.inFlight).toBe(0);
    expect(startAll(rebuilt, T2)).toEqual(['right']);
    expect(rebuilt.upstreamOf('right')).toEqual({ top: 'T' });

    rebuilt.complete('right', 'R', 1, T2);
    expect(startAll(rebuilt, T2)).toEqual(['bottom']);
    expect(rebuilt.upstreamOf('bottom')).toEqual({ left: 'L', right: 'R' });
    rebuilt.complete('bottom', 'B', 1, T3);
    expect(rebuilt.allFinished()).toBe(true);
    expect(rebuilt.result()).toEqual({ bottom: 'B' });
    expect(rebuilt.progress()).toEqual({ completed: 4, skipped: 0, total: 4, running: 0, failed: 0, percent: 100 });
  });

  test('a node that was running in the snapshot is pending again, keeps its first start time and restarts', () => {
    const s = spec(['a'], ['b', ['a']]);
    const book = new RunBook(s);
    book.startNext(T0);
    const snap = carried(book.snapshot());
    expect(snap.nodes.a?.state).toBe('running');

    const rebuilt = new RunBook(s, snap);
    expect(stateOf(rebuilt, 'a')).toBe('pending');
    expect(rebuilt.inFlight).toBe(0);
    expect(rebuilt.allFinished()).toBe(false);
    expect(rebuilt.startNext(T2)).toBe('a');
    rebuilt.complete('a', 'A', 1, T3);
    expect(rebuilt.nodeStatuses()[0]).toMatchObject({ state: 'completed', startedAt: T0, finishedAt: T3 });
    expect(rebuilt.startNext(T3)).toBe('b');
  });

  test('a rebuilt book that had finished everything stays finished', () => {
    const s = spec(['a'], ['b', ['a']]);
    const book = new RunBook(s);
    startAll(book);
    book.complete('a', 'A', 1, T1);
    startAll(book, T1);
    book.complete('b', 'B', 1, T2);
    const rebuilt = new RunBook(s, carried(book.snapshot()));
    expect(rebuilt.allFinished()).toBe(true);
    expect(rebuilt.hasReady()).toBe(false);
    expect(rebuilt.result()).toEqual({ b: 'B' });
    expect(rebuilt.progress()).toEqual(book.progress());
  });

  test('a rebuilt book keeps failed nodes failed and their dependents skipped', () => {
    const s = spec(['a'], ['b'], ['c', ['a']]);
    const book = new RunBook(s);
    startAll(book);
    book.fail('a', 'boom', 'E', 3, T1);
    const rebuilt = new RunBook(s, carried(book.snapshot()));
    // b was in flight when the snapshot was taken, so it no longer counts as running.
    expect(rebuilt.progress()).toEqual({ completed: 0, skipped: 1, total: 3, running: 0, failed: 1, percent: 33 });
    expect(rebuilt.nodeStatuses()[2]).toMatchObject({ state: 'skipped', skipCause: 'upstream' });
    expect(stateOf(rebuilt, 'a')).toBe('failed');
    expect(rebuilt.nodeStatuses()[0]).toMatchObject({ error: 'boom', errorType: 'E', attempts: 3 });
    // b was running, so it is pending and ready again; c stays skipped behind a.
    expect(startAll(rebuilt, T2)).toEqual(['b']);
  });

  // Progress counts completed nodes only, the same before and after a rebuild from a snapshot.
  test('progress is the same before and after a rebuild when nodes were skipped', () => {
    const s = spec(['a'], ['b', ['a']], ['c']);
    const book = new RunBook(s);
    startAll(book);
    book.fail('a', 'boom', undefined, 1, T1);
    book.complete('c', 'C', 1, T1);
    book.endPending('skipped', T2);
    const rebuilt = new RunBook(s, carried(book.snapshot()));
    expect(rebuilt.progress()).toEqual(book.progress());
  });

  test('a random DAG run with rebuilds along the way starts every node once, after all its needs', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const nodes: Array<[string, string[]]> = [];
    for (let i = 0; i < 200; i++) {
      const needs: string[] = [];
      for (let j = Math.max(0, i - 20); j < i; j++) if (random() < 0.1) needs.push(`n${j}`);
      nodes.push([`n${i}`, needs]);
    }
    const s = spec(...nodes);
    const needsOf = new Map(nodes);
    let book = new RunBook(s);
    const completed = new Set<string>();
    const started: string[] = [];
    let step = 0;
    let rebuilds = 0;
    while (!book.allFinished()) {
      while (book.inFlight < 4) {
        const id = book.startNext(T0);
        if (id === undefined) break;
        for (const need of needsOf.get(id) ?? []) expect(completed.has(need)).toBe(true);
        expect(book.upstreamOf(id)).toEqual(Object.fromEntries((needsOf.get(id) ?? []).map((n) => [n, `out:${n}`])));
        started.push(id);
      }
      const running = book.runningIds();
      expect(running.length).toBeGreaterThan(0);
      const done = running[Math.floor(random() * running.length)] as string;
      book.complete(done, `out:${done}`, 1, T1);
      completed.add(done);
      if (++step % 25 === 0) {
        // Continue-as-new: the workflow drains the nodes in flight, then carries a snapshot.
        for (const id of book.runningIds()) {
          book.complete(id, `out:${id}`, 1, T1);
          completed.add(id);
        }
        book = new RunBook(s, carried(book.snapshot()));
        rebuilds++;
      }
    }
    expect(rebuilds).toBeGreaterThan(2);
    expect(started).toHaveLength(200);
    expect(new Set(started).size).toBe(200);
    expect(book.progress()).toEqual({ completed: 200, skipped: 0, total: 200, running: 0, failed: 0, percent: 100 });
  });
});

describe('takeChanged: the nodes whose status may have changed since it was last asked', () => {
  test('every node at first; then the nodes a start, an end and what it passes on touched, and no reads', () => {
    const book = new RunBook(diamond());
    expect(book.takeChanged().sort()).toEqual(['bottom', 'left', 'right', 'top']);
    expect(book.takeChanged()).toEqual([]);
    expect(book.startNext(T0)).toBe('top');
    expect(book.takeChanged()).toEqual(['top']);
    // Reads change nothing: status, progress, the ready queue.
    book.nodeStatuses();
    book.recordOf('left');
    book.progress();
    book.hasReady();
    book.heldIds();
    book.failedIds();
    expect(book.takeChanged()).toEqual([]);
    book.complete('top', 1, 1, T1);
    // `top` ended, and its dependents were decided (they may start now).
    expect(book.takeChanged().sort()).toEqual(['left', 'right', 'top']);
    book.startNext(T1);
    book.waitFor('left', 'concurrency gpu');
    expect(book.takeChanged()).toEqual(['left']);
  });

  test('a status built from the changed nodes matches the whole list', () => {
    const book = new RunBook(diamond());
    book.takeChanged();
    const whole = new Map(book.nodeStatuses().map((n) => [n.id, n]));
    startAll(book);
    book.complete('top', 1, 1, T1);
    book.fail('left', 'boom', 'Error', 3, T2);
    for (const id of book.takeChanged()) whole.set(id, book.nodeStatus(id));
    expect([...whole.values()]).toEqual(book.nodeStatuses());
  });
});
