/**
 * When an operator's node action applies: every refusal of `operator-rules.ts`, word for word
 * (the workflow's update validators throw these, and the client shows them), and what a rerun
 * plans, on hand-made run views.
 */
import {
  editRefusal,
  eventTakers,
  MAX_OPERATOR_PAYLOAD_BYTES,
  payloadRefusal,
  planRerun,
  rerunRefusal,
  retryRefusal,
  sendRefusal,
  skipRefusal,
  type RunView,
} from '../../src/core/operator-rules';
import type { NodeState, NodeStatus, RunState } from '../../src/core/states';

/** A node of a view: an activity node unless `extra` says otherwise. */
function node(id: string, state: NodeState, needs: string[] = [], extra: Partial<NodeStatus> = {}): NodeStatus {
  return { id, activity: `do_${id}`, needs, state, attempts: state === 'pending' ? 0 : 1, ...extra };
}

function view(state: RunState, ...nodes: NodeStatus[]): RunView {
  return { state, nodes };
}

/** top -> left, right -> bottom, with the given states. */
function diamond(state: RunState, top: NodeState, left: NodeState, right: NodeState, bottom: NodeState): RunView {
  return view(
    state,
    node('top', top),
    node('left', left, ['top']),
    node('right', right, ['top']),
    node('bottom', bottom, ['left', 'right']),
  );
}

const held = (id: string, needs: string[] = [], extra: Partial<NodeStatus> = {}): NodeStatus =>
  node(id, 'failed', needs, { held: true, error: 'no', ...extra });

/** A string whose JSON is `bytes` long (the quotes included). */
function jsonOfLength(bytes: number): string {
  return 'x'.repeat(bytes - 2);
}

describe('refusals common to every node action', () => {
  test.each<[RunState]>([['completed'], ['failed'], ['cancelled']])('an ended run (%s) refuses every action', (state) => {
    const run = view(state, held('a'), node('b', 'pending'));
    const hint = '; use "tapflow rerun ID --from NODE" to run it again as a new run';
    expect(retryRefusal(run, 'a')).toBe(`cannot retry: the run has already ended (${state})${hint}`);
    expect(skipRefusal(run, 'a', null)).toBe(`cannot skip: the run has already ended (${state})${hint}`);
    expect(editRefusal(run, 'b', 1)).toBe(`cannot edit: the run has already ended (${state})${hint}`);
    expect(sendRefusal(run, 'approval', null)).toBe(`cannot send an event: the run has already ended (${state})${hint}`);
    // A rerun of an ended run is itself the hint's answer: no hint.
    expect(rerunRefusal(run, 'a')).toBe(`cannot rerun: the run has already ended (${state})`);
  });

  test('a cancelling run refuses every action', () => {
    const run = view('cancelling', held('a'), node('b', 'pending'));
    expect(retryRefusal(run, 'a')).toBe('cannot retry: the run is being cancelled');
    expect(skipRefusal(run, 'a', null)).toBe('cannot skip: the run is being cancelled');
    expect(editRefusal(run, 'b', 1)).toBe('cannot edit: the run is being cancelled');
    expect(rerunRefusal(run, 'a')).toBe('cannot rerun: the run is being cancelled');
    expect(sendRefusal(run, 'approval', null)).toBe('cannot send an event: the run is being cancelled');
  });

  test('an unknown node is named, with the run nodes listed', () => {
    const run = diamond('held', 'completed', 'failed', 'completed', 'pending');
    const nodes = '(nodes: top, left, right, bottom)';
    expect(retryRefusal(run, 'lft')).toBe(`cannot retry: the run has no node "lft" ${nodes}`);
    expect(skipRefusal(run, 'lft', null)).toBe(`cannot skip: the run has no node "lft" ${nodes}`);
    expect(editRefusal(run, 'lft', null)).toBe(`cannot edit: the run has no node "lft" ${nodes}`);
    expect(rerunRefusal(run, 'lft')).toBe(`cannot rerun: the run has no node "lft" ${nodes}`);
    expect(planRerun(run, 'lft')).toBe(`cannot rerun: the run has no node "lft" ${nodes}`);
  });

  test('the node list stops after eight nodes', () => {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];
    const run = view('running', ...ids.map((id) => node(id, 'pending')));
    expect(retryRefusal(run, 'zz')).toBe('cannot retry: the run has no node "zz" (nodes: n1, n2, n3, n4, n5, n6, n7, n8, ...)');
    const eight = view('running', ...ids.slice(0, 8).map((id) => node(id, 'pending')));
    expect(retryRefusal(eight, 'zz')).toBe('cannot retry: the run has no node "zz" (nodes: n1, n2, n3, n4, n5, n6, n7, n8)');
  });
});

describe('payloadRefusal', () => {
  test('JSON up to the limit is taken; one byte more is refused', () => {
    expect(MAX_OPERATOR_PAYLOAD_BYTES).toBe(512 * 1024);
    expect(payloadRefusal('the input', jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES))).toBeUndefined();
    expect(payloadRefusal('the input', jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES + 1))).toBe(
      'the input is 524289 bytes of JSON; at most 524288 are taken (pass a reference to larger data)',
    );
  });

  test('the limit counts bytes of JSON, not characters', () => {
    // 200,000 euro signs: 200,002 characters of JSON, but 600,002 bytes in UTF-8.
    const euros = '\u20ac'.repeat(200_000);
    expect(Buffer.byteLength(JSON.stringify(euros), 'utf8')).toBeGreaterThan(MAX_OPERATOR_PAYLOAD_BYTES);
    expect(payloadRefusal('the output', euros)).toBe(
      'the output is 600002 bytes of JSON; at most 524288 are taken (pass a reference to larger data)',
    );
  });

  test('values that are not JSON are refused; absent values and null are taken', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(payloadRefusal('the event data', circular)).toBe('the event data is not JSON');
    expect(payloadRefusal('the input', 10n)).toBe('the input is not JSON');
    expect(payloadRefusal('the input', undefined)).toBeUndefined();
    expect(payloadRefusal('the input', null)).toBeUndefined();
    expect(payloadRefusal('the input', { a: [1, 'two'] })).toBeUndefined();
  });
});

describe('retryRefusal', () => {
  test('a held node may be retried, with or without an input, in a held or paused run', () => {
    expect(retryRefusal(view('held', held('a')), 'a')).toBeUndefined();
    expect(retryRefusal(view('held', held('a')), 'a', { value: { n: 2 } })).toBeUndefined();
    expect(retryRefusal(view('held', held('a')), 'a', { value: null })).toBeUndefined();
    expect(retryRefusal(view('paused', held('a')), 'a')).toBeUndefined();
    expect(retryRefusal(view('pausing', held('a')), 'a')).toBeUndefined();
  });

  test('a node that is not held is refused; a finished one points to rerun', () => {
    const run = view('held', node('done', 'completed'), node('skip', 'skipped'), node('wait', 'pending'), node('busy', 'running'), held('h'));
    expect(retryRefusal(run, 'done')).toBe('cannot retry: node "done" is completed, not held; use "tapflow rerun ID --from done"');
    expect(retryRefusal(run, 'skip')).toBe('cannot retry: node "skip" is skipped, not held; use "tapflow rerun ID --from skip"');
    expect(retryRefusal(run, 'wait')).toBe('cannot retry: node "wait" is pending, not held');
    expect(retryRefusal(run, 'busy')).toBe('cannot retry: node "busy" is running, not held');
    // Failed but not held (a run that failed has ended, so only the node's own state speaks).
    expect(retryRefusal(view('running', node('f', 'failed')), 'f')).toBe('cannot retry: node "f" is failed, not held');
  });

  test('an input is refused for nodes that take none, and over the size limit', () => {
    expect(retryRefusal(view('held', held('s', [], { kind: 'sleep' })), 's', { value: 1 })).toBe(
      'cannot retry with an input: node "s" is a sleep node and takes none',
    );
    // Without an input, those kinds may be retried.
    expect(retryRefusal(view('held', held('s', [], { kind: 'sleep' })), 's')).toBeUndefined();
    // Pipeline and map nodes take an input.
    expect(retryRefusal(view('held', held('p', [], { kind: 'pipeline' })), 'p', { value: 1 })).toBeUndefined();
    expect(retryRefusal(view('held', held('m', [], { kind: 'map' })), 'm', { value: 1 })).toBeUndefined();
    expect(retryRefusal(view('held', held('a')), 'a', { value: jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES + 10) })).toBe(
      'the input is 524298 bytes of JSON; at most 524288 are taken (pass a reference to larger data)',
    );
  });

  test('an event node with an input is refused, in English ("an event node")', () => {
    expect(retryRefusal(view('held', held('e', [], { kind: 'event' })), 'e', { value: 1 })).toBe(
      'cannot retry with an input: node "e" is an event node and takes none',
    );
  });
});

describe('skipRefusal', () => {
  test('a held or pending node may be skipped', () => {
    const run = view('held', held('a'), node('b', 'pending', ['a']));
    expect(skipRefusal(run, 'a', { ok: 1 })).toBeUndefined();
    expect(skipRefusal(run, 'b', null)).toBeUndefined();
    expect(skipRefusal(view('running', node('p', 'pending')), 'p', undefined)).toBeUndefined();
    expect(skipRefusal(view('paused', node('p', 'pending')), 'p', undefined)).toBeUndefined();
  });

  test.each<[NodeState]>([['completed'], ['running'], ['skipped'], ['cancelled'], ['failed']])(
    'a %s node that is not held is refused',
    (state) => {
      expect(skipRefusal(view('running', node('a', state)), 'a', null)).toBe(
        `cannot skip: node "a" is ${state}; skip applies to a held or pending node`,
      );
    },
  );

  test('an output over the size limit is refused', () => {
    expect(skipRefusal(view('held', held('a')), 'a', jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES + 1))).toBe(
      'the output is 524289 bytes of JSON; at most 524288 are taken (pass a reference to larger data)',
    );
  });
});

describe('editRefusal', () => {
  test('a pending node of a paused run, or a held node at any time, may be edited', () => {
    expect(editRefusal(view('paused', node('a', 'completed'), node('b', 'pending', ['a'])), 'b', { x: 1 })).toBeUndefined();
    expect(editRefusal(view('held', held('a')), 'a', { x: 1 })).toBeUndefined();
    expect(editRefusal(view('running', held('a'), node('x', 'running')), 'a', { x: 1 })).toBeUndefined();
    expect(editRefusal(view('paused', node('p', 'pending', [], { kind: 'pipeline' })), 'p', 1)).toBeUndefined();
    expect(editRefusal(view('paused', node('m', 'pending', [], { kind: 'map' })), 'm', 1)).toBeUndefined();
  });

  test.each<[RunState]>([['running'], ['pausing'], ['held']])('a pending node of a %s run is refused: pause first', (state) => {
    expect(editRefusal(view(state, held('h'), node('b', 'pending')), 'b', 1)).toBe(
      `cannot edit: the run is ${state}; pause it first (tapflow pause ID) so the node cannot start while you edit`,
    );
  });

  test.each<[NodeState]>([['running'], ['completed'], ['skipped'], ['cancelled'], ['failed']])(
    'a %s node (not held) is refused',
    (state) => {
      expect(editRefusal(view('paused', node('a', state)), 'a', 1)).toBe(
        `cannot edit: node "a" is ${state}; only a pending or held node's input can change`,
      );
    },
  );

  test('a sleep node takes no input', () => {
    expect(editRefusal(view('paused', node('s', 'pending', [], { kind: 'sleep' })), 's', 1)).toBe(
      'cannot edit: node "s" is a sleep node and takes no input',
    );
  });

  test('an event node takes no input, in English ("an event node")', () => {
    expect(editRefusal(view('paused', node('e', 'pending', [], { kind: 'event' })), 'e', 1)).toBe(
      'cannot edit: node "e" is an event node and takes no input',
    );
  });

  test('an input over the size limit is refused, for a held and for a pending node', () => {
    const big = jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES + 1);
    const why = 'the input is 524289 bytes of JSON; at most 524288 are taken (pass a reference to larger data)';
    expect(editRefusal(view('held', held('a')), 'a', big)).toBe(why);
    expect(editRefusal(view('paused', node('b', 'pending')), 'b', big)).toBe(why);
  });
});

describe('planRerun', () => {
  test('from a middle node of a diamond: it and its downstream rerun, the rest is reused', () => {
    const run = diamond('held', 'completed', 'completed', 'completed', 'failed');
    expect(planRerun(run, 'left')).toEqual({ from: 'left', rerun: ['left', 'bottom'], reused: ['top', 'right'], unaffected: [] });
  });

  test('from the root: everything reruns', () => {
    const run = diamond('paused', 'completed', 'completed', 'pending', 'pending');
    expect(planRerun(run, 'top')).toEqual({ from: 'top', rerun: ['top', 'left', 'right', 'bottom'], reused: [], unaffected: [] });
  });

  test('nodes outside the set that have not finished are unaffected; skipped ones are reused', () => {
    // a -> b -> c; x (skipped) ; y (running) ; z (held) ; w (pending, needs y)
    const run = view(
      'held',
      node('a', 'completed'),
      node('b', 'completed', ['a']),
      node('c', 'pending', ['b']),
      node('x', 'skipped'),
      node('y', 'running'),
      held('z'),
      node('w', 'pending', ['y']),
    );
    expect(planRerun(run, 'b')).toEqual({ from: 'b', rerun: ['b', 'c'], reused: ['a', 'x'], unaffected: ['y', 'z', 'w'] });
  });

  test('the rerun set is in spec order, whatever order the graph reaches it in', () => {
    // d is declared before c, though c is reached first from a.
    const run = view(
      'paused',
      node('a', 'completed'),
      node('d', 'completed', ['c']),
      node('b', 'completed'),
      node('c', 'completed', ['a', 'b']),
    );
    expect(planRerun(run, 'a')).toEqual({ from: 'a', rerun: ['a', 'd', 'c'], reused: ['b'], unaffected: [] });
  });

  test('a leaf reruns alone', () => {
    const run = diamond('held', 'completed', 'completed', 'completed', 'completed');
    expect(planRerun(run, 'bottom')).toEqual({ from: 'bottom', rerun: ['bottom'], reused: ['top', 'left', 'right'], unaffected: [] });
  });
});

describe('rerunRefusal', () => {
  test('a live run with nothing of the set in flight may rerun', () => {
    expect(rerunRefusal(diamond('held', 'completed', 'completed', 'completed', 'failed'), 'left')).toBeUndefined();
    expect(rerunRefusal(diamond('paused', 'completed', 'completed', 'pending', 'pending'), 'left')).toBeUndefined();
    // A running node outside the set does not matter.
    expect(rerunRefusal(diamond('running', 'completed', 'completed', 'running', 'pending'), 'left')).toBeUndefined();
  });

  test('a node of the set in flight is refused, naming it', () => {
    expect(rerunRefusal(diamond('running', 'completed', 'running', 'completed', 'pending'), 'top')).toBe(
      'cannot rerun from "top": "left" is in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
    expect(rerunRefusal(diamond('running', 'completed', 'running', 'running', 'pending'), 'top')).toBe(
      'cannot rerun from "top": "left", "right" are in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
    // A waiting sleep or event node is in flight too.
    expect(rerunRefusal(view('paused', node('a', 'completed'), node('ev', 'running', ['a'], { kind: 'event', waitingFor: 'go' })), 'a')).toBe(
      'cannot rerun from "a": "ev" is in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
  });

  test('more than five nodes in flight are counted, not all named', () => {
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
    const run = view('running', node('root', 'completed'), ...ids.map((id) => node(id, 'running', ['root'])));
    expect(rerunRefusal(run, 'root')).toBe(
      'cannot rerun from "root": "r1", "r2", "r3", "r4", "r5" and 2 more are in flight; pause the run (tapflow pause ID), wait until it is paused, then rerun',
    );
  });

  test('a need outside the set whose output was dropped is refused; from that need it is fine', () => {
    const run = view(
      'held',
      node('a', 'completed', [], { outputDropped: true }),
      node('b', 'completed', ['a'], { outputDropped: true }),
      held('c', ['b']),
    );
    expect(rerunRefusal(run, 'c')).toBe(
      'cannot rerun from "c": the run no longer holds the output of "b" (dropped when it continued as new); rerun from "b" or further up',
    );
    expect(rerunRefusal(run, 'b')).toBe(
      'cannot rerun from "b": the run no longer holds the output of "a" (dropped when it continued as new); rerun from "a" or further up',
    );
    expect(rerunRefusal(run, 'a')).toBeUndefined();
  });
});

describe('sendRefusal and eventTakers', () => {
  const ev = (id: string, event: string, state: NodeState, needs: string[] = []): NodeStatus =>
    node(id, state, needs, {
      kind: 'event',
      activity: `event:${event}`,
      ...(state === 'running' ? { waitingFor: event } : {}),
    });

  test('an event goes to the waiting nodes of its name, and is kept for pending ones', () => {
    const run = view(
      'running',
      ev('now', 'approval', 'running'),
      node('first', 'running'),
      ev('later', 'approval', 'pending', ['first']),
      ev('other', 'review', 'running'),
      ev('done', 'approval', 'completed'),
    );
    expect(eventTakers(run, 'approval')).toEqual({ waiting: ['now'], later: ['later'] });
    expect(eventTakers(run, 'review')).toEqual({ waiting: ['other'], later: [] });
    expect(sendRefusal(run, 'approval', { ok: true })).toBeUndefined();
    expect(sendRefusal(view('paused', ev('p', 'approval', 'pending')), 'approval', null)).toBeUndefined();
  });

  test('an event nobody waits for is refused, naming what the run waits for', () => {
    const run = view('running', ev('gate', 'approval', 'running'), ev('qa', 'review:legal', 'running'), ev('old', 'nope', 'completed'));
    expect(sendRefusal(run, 'nope', null)).toBe('no node of this run waits for event "nope"; waiting: gate (approval), qa (review:legal)');
    expect(sendRefusal(view('running', node('a', 'running')), 'approval', null)).toBe('no node of this run waits for event "approval"');
  });

  test('an activity node is not an event node, even if its activity looks like one', () => {
    const run = view('running', node('a', 'running', [], { activity: 'event:approval' }));
    expect(eventTakers(run, 'approval')).toEqual({ waiting: [], later: [] });
    expect(sendRefusal(run, 'approval', null)).toBe('no node of this run waits for event "approval"');
  });

  test('event data over the size limit is refused', () => {
    expect(sendRefusal(view('running', ev('gate', 'approval', 'running')), 'approval', jsonOfLength(MAX_OPERATOR_PAYLOAD_BYTES + 1))).toBe(
      'the event data is 524289 bytes of JSON; at most 524288 are taken (pass a reference to larger data)',
    );
  });
});
