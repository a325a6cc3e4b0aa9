/**
 * Node attempts and control actions: round trips, order, and duplicate delivery recording one
 * row that does not change.
 */
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertAttemptStart } from '../../src/store/sql/upsert-attempt-start';
import type { AttemptEnd, AttemptStart, ControlActionWrite } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();


const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:00:01.000Z');
const T2 = new Date('2025-03-01T10:00:02.000Z');
const T3 = new Date('2025-03-01T10:00:03.000Z');

const start: AttemptStart = { workflowId: 'wf', nodeId: 'resize', attempt: 1, activity: 'resize', startedAt: T0, worker: 'w1@host' };
const end: AttemptEnd = {
  workflowId: 'wf',
  nodeId: 'resize',
  attempt: 1,
  activity: 'resize',
  outcome: 'completed',
  finishedAt: T1,
  output: { width: 64, path: '/out/a.png' },
  worker: 'w1@host',
};

describe('node attempts', () => {
  it('records a start and then its end', async () => {
    expect(await upsertAttemptStart(t.db.pool, start)).toBe('inserted');
    const [running] = await listAttempts(t.db.pool, 'wf');
    expect(running).toMatchObject({ nodeId: 'resize', attempt: 1, activity: 'resize', outcome: 'running', startedAt: T0, finishedAt: null, worker: 'w1@host' });

    expect(await upsertAttemptEnd(t.db.pool, end)).toBe('updated');
    const attempts = await listAttempts(t.db.pool, 'wf');
    expect(attempts).toHaveLength(1);
    const { updatedAt, ...rest } = attempts[0]!;
    expect(updatedAt).toBeInstanceOf(Date);
    expect(rest).toEqual({
      workflowId: 'wf',
      nodeId: 'resize',
      attempt: 1,
      activity: 'resize',
      outcome: 'completed',
      startedAt: T0,
      finishedAt: T1,
      errorType: null,
      errorMessage: null,
      output: { width: 64, path: '/out/a.png' },
      outputRef: null,
      worker: 'w1@host',
      source: 'worker',
    });
  });

  it('records a failure with its error, and an output kept elsewhere by reference', async () => {
    await upsertAttemptStart(t.db.pool, start);
    await upsertAttemptEnd(t.db.pool, { ...end, outcome: 'failed', output: undefined, errorType: 'ImageTooLarge', errorMessage: 'image is 90000 px wide' });
    await upsertAttemptStart(t.db.pool, { ...start, attempt: 2, startedAt: T2 });
    await upsertAttemptEnd(t.db.pool, { ...end, attempt: 2, finishedAt: T3, output: undefined, outputRef: 's3://bucket/wf/resize/2.json' });
    const [first, second] = await listAttempts(t.db.pool, 'wf');
    expect(first).toMatchObject({ attempt: 1, outcome: 'failed', errorType: 'ImageTooLarge', errorMessage: 'image is 90000 px wide', output: null });
    expect(second).toMatchObject({ attempt: 2, outcome: 'completed', output: null, outputRef: 's3://bucket/wf/resize/2.json' });
  });

  it('keeps one unchanged row when the same start arrives twice', async () => {
    await upsertAttemptStart(t.db.pool, start);
    const before = await listAttempts(t.db.pool, 'wf');
    expect(await upsertAttemptStart(t.db.pool, { ...start, startedAt: T2, worker: 'w2@other' })).toBe('unchanged');
    expect(await upsertAttemptStart(t.db.pool, start)).toBe('unchanged');
    expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
  });

  it('keeps the first end when an end arrives twice, even with other contents', async () => {
    await upsertAttemptStart(t.db.pool, start);
    await upsertAttemptEnd(t.db.pool, end);
    const before = await listAttempts(t.db.pool, 'wf');
    expect(await upsertAttemptEnd(t.db.pool, end)).toBe('unchanged');
    expect(await upsertAttemptEnd(t.db.pool, { ...end, outcome: 'failed', finishedAt: T3, output: { other: true }, errorMessage: 'late' })).toBe('unchanged');
    expect(await listAttempts(t.db.pool, 'wf')).toEqual(before);
  });

  it('records an end that arrives before its start, and the start never makes it running again', async () => {
    expect(await upsertAttemptEnd(t.db.pool, end)).toBe('inserted');
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: null, finishedAt: T1 });
    expect(await upsertAttemptStart(t.db.pool, start)).toBe('updated');
    expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ outcome: 'completed', startedAt: T0, finishedAt: T1, output: end.output });
    expect(await upsertAttemptStart(t.db.pool, start)).toBe('unchanged');
  });

  it('keeps the output null apart from no output: an activity that returned null', async () => {
    await upsertAttemptEnd(t.db.pool, { ...end, output: null });
    const { rows } = await t.db.pool.query(`SELECT output IS NULL AS sql_null, jsonb_typeof(output) AS type FROM tapflow.node_attempts`);
    expect(rows).toEqual([{ sql_null: false, type: 'null' }]);
  });

  it('lists a run\'s attempts in the order they started, optionally for one node', async () => {
    await upsertAttemptStart(t.db.pool, { ...start, nodeId: 'report', activity: 'writeReport', startedAt: T3 });
    await upsertAttemptStart(t.db.pool, { ...start, nodeId: 'fetch', activity: 'fetchImage', startedAt: T0 });
    await upsertAttemptStart(t.db.pool, { ...start, nodeId: 'resize', attempt: 2, startedAt: T2 });
    await upsertAttemptStart(t.db.pool, { ...start, nodeId: 'resize', attempt: 1, startedAt: T1 });
    await upsertAttemptStart(t.db.pool, { ...start, workflowId: 'other-run', nodeId: 'fetch', startedAt: T0 });
    const all = await listAttempts(t.db.pool, 'wf');
    expect(all.map((a) => `${a.nodeId}#${a.attempt}`)).toEqual(['fetch#1', 'resize#1', 'resize#2', 'report#1']);
    const resize = await listAttempts(t.db.pool, 'wf', { nodeId: 'resize' });
    expect(resize.map((a) => a.attempt)).toEqual([1, 2]);
    expect(await listAttempts(t.db.pool, 'no-such-run')).toEqual([]);
  });

  it('refuses an outcome it does not know', async () => {
    await expect(upsertAttemptEnd(t.db.pool, { ...end, outcome: 'exploded' as never })).rejects.toThrow(/node_attempts_outcome_check/);
  });
});

describe('control actions', () => {
  const pause: ControlActionWrite = {
    workflowId: 'wf',
    requestId: 'update-7f3a',
    action: 'pause',
    requestedBy: 'alice',
    reason: 'maintenance window',
    requestedAt: T0,
    accepted: true,
  };

  it('records an action and returns it', async () => {
    const record = await insertControlAction(t.db.pool, pause);
    expect(record).toEqual({
      id: expect.any(Number),
      workflowId: 'wf',
      requestId: 'update-7f3a',
      action: 'pause',
      nodeId: null,
      requestedBy: 'alice',
      reason: 'maintenance window',
      requestedAt: T0,
      accepted: true,
      refusal: null,
      details: null,
    });
    expect(await listControlActions(t.db.pool, 'wf')).toEqual([record]);
  });

  it("keeps an operator action's node and particulars", async () => {
    const skip: ControlActionWrite = {
      workflowId: 'wf-skip',
      requestId: 'update-skip-1',
      action: 'skip',
      nodeId: 'caption',
      requestedBy: 'bob',
      accepted: true,
      details: { output: { caption: 'written by hand', score: null } },
    };
    const record = await insertControlAction(t.db.pool, skip);
    expect(record).toMatchObject({ action: 'skip', nodeId: 'caption', details: { output: { caption: 'written by hand', score: null } } });
  });

  it('records one unchanged row when the same request arrives twice', async () => {
    const first = await insertControlAction(t.db.pool, pause);
    expect(await insertControlAction(t.db.pool, pause)).toBeUndefined();
    expect(await insertControlAction(t.db.pool, { ...pause, reason: 'changed', requestedAt: T2, accepted: false })).toBeUndefined();
    expect(await listControlActions(t.db.pool, 'wf')).toEqual([first]);
  });

  it('scopes the request id to the run, as Temporal scopes update ids', async () => {
    await insertControlAction(t.db.pool, pause);
    expect(await insertControlAction(t.db.pool, { ...pause, workflowId: 'wf-2' })).toBeDefined();
    expect(await listControlActions(t.db.pool, 'wf-2')).toHaveLength(1);
  });

  it('lists a run\'s actions oldest first, with refusals and node-level actions', async () => {
    await insertControlAction(t.db.pool, { ...pause, requestId: 'c', action: 'cancel', requestedAt: T3, reason: 'bad input' });
    await insertControlAction(t.db.pool, { ...pause, requestId: 'r', action: 'resume', requestedAt: T1, reason: undefined });
    await insertControlAction(t.db.pool, pause);
    await insertControlAction(t.db.pool, { ...pause, requestId: 'p2', requestedAt: T2, accepted: false, refusal: 'cannot pause: the run is already paused' });
    await insertControlAction(t.db.pool, { ...pause, requestId: 's', action: 'skip', nodeId: 'report', requestedAt: T3 });
    const actions = await listControlActions(t.db.pool, 'wf');
    expect(actions.map((a) => a.action)).toEqual(['pause', 'resume', 'pause', 'cancel', 'skip']);
    expect(actions[2]).toMatchObject({ accepted: false, refusal: 'cannot pause: the run is already paused' });
    expect(actions[4]).toMatchObject({ nodeId: 'report' });
    // Same instant: insertion order.
    expect(actions[3]!.id).toBeLessThan(actions[4]!.id);
  });

  it('refuses an action name that is not a lower-case word', async () => {
    await expect(insertControlAction(t.db.pool, { ...pause, action: 'Pause!' })).rejects.toThrow(/control_actions_action_check/);
  });
});
