/**
 * Control actions racing each other on live runs: fired at once through TapflowClient at a real
 * dev server, with a real worker and the store. Whatever the order the run takes them in, the
 * outcome must be one the state table (src/pipeline/states.ts, operator-rules.ts) allows.
 *
 * Races checked (each pair sent together, together in reverse, and each side leading by a few
 * milliseconds: four runs at once):
 *
 * | fired together            | run before                        | accepted                                  | ends or settles            |
 * | ------------------------- | --------------------------------- | ----------------------------------------- | -------------------------- |
 * | pause + cancel            | running, a node in flight         | cancel; pause only if taken first         | cancelled                  |
 * | pause + resume            | running, a node in flight         | pause; resume only if taken after it      | paused, or completed when both |
 * | resume + resume           | paused                            | exactly one                               | completed                  |
 * | pause + pause             | running, a node in flight         | exactly one                               | paused                     |
 * | cancel + cancel           | running, a node in flight         | exactly one (its reason is the run's)     | cancelled                  |
 * | retry(held) + cancel      | held                              | cancel; retry only if taken first         | cancelled                  |
 * | skip(held) + cancel       | held                              | cancel; skip only if taken first          | cancelled                  |
 * | rerun(done) + pause       | running, another branch in flight | both                                      | paused, then completed on resume |
 * | edit(pending) + resume    | paused                            | resume; edit only if taken first          | completed, the node run with the edited input exactly when the edit was taken |
 * | N random (seeded) of pause, resume, cancel, retry, skip, edit, rerun | held (sometimes pausing) | as the rules say in the order taken | cancelled if a cancel was taken; else, with a pause in force, paused (completed when the pause left nothing to start); else held if a node is held, else completed |
 * | pause, cancel, resume spread across the run's end | last node in flight | cancel only before the end; pause, resume as above | cancelled if the cancel was taken, else completed (a pause taken while the last node ran lets it finish) |
 *
 * For every race: each action is acknowledged or refused with ActionRefusedError, nothing else,
 * and every answer comes (a bounded wait); the history accepts exactly the acknowledged ones, in
 * an order the state table allows, with nothing scheduled while a pause is in force (see
 * `judgeRace`); the store's run row, the status query, TapflowState and Temporal's own status
 * agree on the final state; control_actions has one accepted row for each acknowledged action and
 * no accepted row for a refused one; after an accepted cancel no node is scheduled, and the worker
 * starts no node that was not scheduled before it.
 *
 * TAPFLOW_RACE_SEED replays a random race; TAPFLOW_RACE_RUNS and TAPFLOW_RACE_ACTIONS make it
 * bigger (default 6 runs of 6 actions); TAPFLOW_RACE_DEBUG=1 prints every race's answers.
 */
import type { PipelineSpec } from '../../src/core/types';
import { isFinal, type RunState, type RunStatus } from '../../src/core/states';
import { getRun } from '../../src/store/sql/get-run';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { STATE_SEARCH_ATTRIBUTE } from '../../src/workflows/definitions';
import {
  cancelReason,
  describeAction,
  fireTogether,
  judgeRace,
  timelineOf,
  type RaceAction,
  type RaceOutcome,
  type RaceVerdict,
} from '../helpers/control-race';
import { eventually, nodeOf } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const t = storeRigPerFile(devServerEnv, 'control-races');

/** Temporal's status of a run that ended in each final state (a raced cancel is an update followed by Temporal's cancel). */
const TEMPORAL_STATUS: Record<string, string> = { completed: 'COMPLETED', cancelled: 'CANCELLED', failed: 'FAILED' };

/** `first` works `firstMs` (heartbeating), then `second` and `third`, one after another. */
function chainSpec(name: string, firstMs: number): PipelineSpec {
  return {
    name,
    defaults: { retry: { maximumAttempts: 1 } },
    nodes: [
      { id: 'first', activity: 'step', input: { sleepMs: firstMs }, heartbeatTimeout: '2s' },
      { id: 'second', activity: 'step', needs: ['first'], input: { width: 64 } },
      { id: 'third', activity: 'step', needs: ['second'] },
    ],
  };
}

/**
 * `bad` asks for review (held) once `ok` is done; `slow` works `slowMs` beside it; `after` needs
 * both and works `afterMs`; `last` needs `after`. Retrying `bad` with input `{}` lets it complete.
 */
function heldSpec(name: string, slowMs: number, afterMs: number): PipelineSpec {
  return {
    name,
    defaults: { retry: { maximumAttempts: 1 } },
    nodes: [
      { id: 'ok', activity: 'step' },
      { id: 'bad', activity: 'review', needs: ['ok'], input: { review: 'check it by hand' } },
      { id: 'slow', activity: 'step', input: { sleepMs: slowMs }, heartbeatTimeout: '2s' },
      { id: 'after', activity: 'step', needs: ['bad', 'slow'], input: { sleepMs: afterMs }, heartbeatTimeout: '2s' },
      { id: 'last', activity: 'step', needs: ['after'] },
    ],
  };
}

/** Waits until the status satisfies `ok`, and returns it. */
function statusWhere(id: string, what: string, ok: (s: RunStatus) => boolean): Promise<RunStatus> {
  return eventually(`${id}: ${what}`, async () => {
    const status = await t.rig.tf.getStatus(id);
    return ok(status) ? status : undefined;
  }, { timeoutMs: 30_000 });
}

/** Waits until the worker has started `nodeId` of run `id`. */
function nodeStarted(id: string, nodeId: string): Promise<true> {
  return eventually(`${id}/${nodeId} to start`, () => (t.rig.recorder.startsOf(id, nodeId).length > 0 ? true : undefined));
}

/** Waits until the run has ended, or rests paused or held with nothing in flight; returns its status. */
function settled(id: string): Promise<RunStatus> {
  return statusWhere(
    id,
    'to end or settle',
    (s) => isFinal(s.state) || ((s.state === 'paused' || s.state === 'held') && s.progress.running === 0),
  );
}

/**
 * Checks a race after the run settled: the verdict has no problems; Temporal, TapflowState, the
 * status query and the store's row all say `state` (and, cancelled, the accepted cancel's reason);
 * control_actions matches the outcomes; after a cancel the worker started nothing new.
 */
async function expectRaceSettled(id: string, outcomes: RaceOutcome[], verdict: RaceVerdict, state: RunState): Promise<void> {
  const story = outcomes.map((o) => `${describeAction(o.action)}: ${o.accepted ? 'accepted' : `refused (${o.refusal})`}`).join('; ');
  expect({ id, story, problems: verdict.problems }).toEqual({ id, story, problems: [] });

  const handle = t.env.client.workflow.getHandle(id);
  await eventually(`Temporal, TapflowState, the status query and the store to agree that ${id} is ${state}`, async () => {
    const description = await handle.describe();
    const row = await getRun(t.db.pool, id);
    const seen = {
      temporal: description.status.name,
      attribute: description.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE),
      query: (await t.rig.tf.getStatus(id)).state,
      store: row?.state,
    };
    const want = { temporal: TEMPORAL_STATUS[state] ?? 'RUNNING', attribute: state, query: state, store: state };
    if (JSON.stringify(seen) !== JSON.stringify(want)) throw new Error(`${story}: saw ${JSON.stringify(seen)}`);
    return true;
  }, { timeoutMs: 30_000 });

  if (verdict.cancel) {
    const reason = cancelReason(verdict.cancel.requestId);
    expect((await t.rig.tf.getStatus(id)).reason).toBe(reason);
    expect((await getRun(t.db.pool, id))?.reason).toBe(reason);
    // Nothing scheduled after the cancel (judged from history), and the worker started no more
    // attempts of a node than were scheduled before it (every node here has one attempt).
    const started = new Set(t.rig.recorder.startsOf(id).map((s) => s.nodeId));
    const overStarted = [...started].flatMap((node) => {
      const starts = t.rig.recorder.startsOf(id, node).length;
      const scheduled = verdict.scheduledBeforeCancel.get(node) ?? 0;
      return starts > scheduled ? [`${node}: ${starts} starts, ${scheduled} scheduled before the cancel`] : [];
    });
    expect({ story, overStarted }).toEqual({ story, overStarted: [] });
  }

  const accepted = outcomes.filter((o) => o.accepted);
  const rows = await eventually(`${id}: a control_actions row for each of ${accepted.length} accepted actions`, async () => {
    const found = await listControlActions(t.db.pool, id);
    const ids = new Set(found.map((r) => r.requestId));
    return accepted.every((o) => ids.has(o.requestId)) ? found : undefined;
  });
  for (const o of outcomes) {
    const mine = rows.filter((r) => r.requestId === o.requestId).map((r) => ({ action: r.action, accepted: r.accepted, by: r.requestedBy }));
    if (o.accepted) expect({ request: o.requestId, rows: mine }).toEqual({ request: o.requestId, rows: [{ action: o.action.kind, accepted: true, by: 'racer' }] });
    else expect({ request: o.requestId, acceptedRows: mine.filter((r) => r.accepted !== false) }).toEqual({ request: o.requestId, acceptedRows: [] });
  }
}

/** Fires `actions` at `id`, waits for it to settle, judges the race and returns what happened. */
async function race(
  id: string,
  actions: RaceAction[],
  options: { pendingOnly?: string[]; staggerMs?: number[] } = {},
): Promise<{ outcomes: RaceOutcome[]; verdict: RaceVerdict; status: RunStatus }> {
  const outcomes = await fireTogether(t.rig.tf, id, actions, { staggerMs: options.staggerMs ?? [] });
  const status = await settled(id);
  if (isFinal(status.state)) await t.env.client.workflow.getHandle(id).result().catch(() => undefined);
  const verdict = judgeRace(outcomes, await timelineOf(t.env.client, id), options);
  if (process.env.TAPFLOW_RACE_DEBUG) {
    const answers = outcomes.map((o) => `${describeAction(o.action)}=${o.accepted ? 'ok' : o.refusal}`).join(' | ');
    process.stderr.write(`RACE ${id} ${status.state} :: ${answers} :: taken ${verdict.acceptedInOrder.map((o) => describeAction(o.action)).join(',')}\n`);
  }
  return { outcomes, verdict, status };
}

/** The outcome of the action of `kind` (the first, or the `n`th). */
function outcomeOf(outcomes: RaceOutcome[], kind: RaceAction['kind'], n = 0): RaceOutcome {
  const found = outcomes.filter((o) => o.action.kind === kind)[n];
  if (!found) throw new Error(`no ${kind} among the outcomes`);
  return found;
}

/**
 * Runs `scenario` on four runs at once: `actions` sent together, sent together in reverse, the
 * first leading by a few milliseconds, and the second leading (so each side of the race is seen
 * taken first, and taken in one workflow task with the other).
 */
async function inEveryOrder(
  name: string,
  actions: [RaceAction, RaceAction],
  scenario: (id: string, actions: RaceAction[], staggerMs: number[]) => Promise<void>,
): Promise<void> {
  const reversed = [...actions].reverse();
  await Promise.all([
    scenario(`${name}-together`, actions, [0, 0]),
    scenario(`${name}-together-rev`, reversed, [0, 0]),
    scenario(`${name}-first-leads`, actions, [0, LEAD_MS]),
    scenario(`${name}-second-leads`, reversed, [0, LEAD_MS]),
  ]);
}

/** How far one action leads the other in the staggered orders. */
const LEAD_MS = 30;

describe('pause, resume and cancel racing each other', () => {
  test('pause and cancel at once: the cancel is always taken and the run ends cancelled', async () => {
    await inEveryOrder('pause-cancel', [{ kind: 'pause' }, { kind: 'cancel' }], async (id, actions, staggerMs) => {
      await t.rig.tf.startRun(chainSpec('race-pause-cancel', 60_000), { id });
      await nodeStarted(id, 'first');
      const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
      expect(outcomeOf(outcomes, 'cancel').accepted).toBe(true);
      const pause = outcomeOf(outcomes, 'pause');
      // The pause is taken exactly when it came first; the history says which came first.
      expect(pause.accepted).toBe(verdict.acceptedInOrder[0]?.action.kind === 'pause');
      expect(status.state).toBe('cancelled');
      expect(status.nodes.map((n) => n.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      await expectRaceSettled(id, outcomes, verdict, 'cancelled');
      expect(t.rig.recorder.startsOf(id, 'second')).toHaveLength(0);
    });
  });

  test('pause and resume at once: paused when the resume came first, completed when it came after', async () => {
    await inEveryOrder('pause-resume', [{ kind: 'pause' }, { kind: 'resume' }], async (id, actions, staggerMs) => {
      await t.rig.tf.startRun(chainSpec('race-pause-resume', 1500), { id });
      await nodeStarted(id, 'first');
      const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
      expect(outcomeOf(outcomes, 'pause').accepted).toBe(true);
      const resumed = outcomeOf(outcomes, 'resume').accepted;
      expect(status.state).toBe(resumed ? 'completed' : 'paused');
      expect(verdict.pausedAfter).toBe(!resumed);
      await expectRaceSettled(id, outcomes, verdict, resumed ? 'completed' : 'paused');
      if (!resumed) {
        expect(outcomeOf(outcomes, 'resume').refusal).toBe('cannot resume: the run is running, not paused');
        expect(t.rig.recorder.startsOf(id, 'second')).toHaveLength(0);
      }
    });
  });

  test('resume twice on a paused run: one is taken, the other refused; the run completes', async () => {
    const id = 'resume-twice';
    await t.rig.tf.startRun(chainSpec('race-resume-twice', 300), { id });
    await nodeStarted(id, 'first');
    await t.rig.tf.pause(id);
    await statusWhere(id, 'paused', (s) => s.state === 'paused');
    const { outcomes, verdict, status } = await race(id, [{ kind: 'resume' }, { kind: 'resume' }]);
    expect(outcomes.filter((o) => o.accepted)).toHaveLength(1);
    expect(outcomes.find((o) => !o.accepted)?.refusal).toMatch(/^cannot resume: the run (is running, not paused|has already ended \(completed\))$/);
    expect(status.state).toBe('completed');
    await expectRaceSettled(id, outcomes, verdict, 'completed');
    expect(t.rig.recorder.startsOf(id).map((s) => s.nodeId)).toEqual(['first', 'second', 'third']);
  });

  test('pause twice: one is taken, the other refused; the run rests paused', async () => {
    const id = 'pause-twice';
    await t.rig.tf.startRun(chainSpec('race-pause-twice', 1000), { id });
    await nodeStarted(id, 'first');
    const { outcomes, verdict, status } = await race(id, [{ kind: 'pause' }, { kind: 'pause' }]);
    expect(outcomes.filter((o) => o.accepted)).toHaveLength(1);
    expect(outcomes.find((o) => !o.accepted)?.refusal).toMatch(/^cannot pause: the run is already paus(ing|ed)$/);
    expect(status.state).toBe('paused');
    expect(status.nodes.map((n) => n.state)).toEqual(['completed', 'pending', 'pending']);
    await expectRaceSettled(id, outcomes, verdict, 'paused');
    expect(t.rig.recorder.startsOf(id, 'second')).toHaveLength(0);
  });

  test("cancel twice: one is taken, the other refused; the run ends cancelled with the taken one's reason", async () => {
    const id = 'cancel-twice';
    await t.rig.tf.startRun(chainSpec('race-cancel-twice', 60_000), { id });
    await nodeStarted(id, 'first');
    const { outcomes, verdict, status } = await race(id, [{ kind: 'cancel' }, { kind: 'cancel' }]);
    expect(outcomes.filter((o) => o.accepted)).toHaveLength(1);
    expect(outcomes.find((o) => !o.accepted)?.refusal).toMatch(
      /^cannot cancel: the run (is already being cancelled|has already ended \(cancelled\))$/,
    );
    expect(status.state).toBe('cancelled');
    await expectRaceSettled(id, outcomes, verdict, 'cancelled');
    expect(t.rig.recorder.cancelled).toContain(`${id}/first`);
  });
});

describe('node actions racing a cancel or a pause', () => {
  test('retry of a held node during a cancel: the cancel is always taken; nothing starts after it', async () => {
    await inEveryOrder('retry-cancel', [{ kind: 'retry', node: 'bad', input: {} }, { kind: 'cancel' }], async (id, actions, staggerMs) => {
      await t.rig.tf.startRun(heldSpec('race-retry-cancel', 0, 60_000), { id });
      await statusWhere(id, 'held, nothing in flight', (s) => s.state === 'held' && s.progress.running === 0);
      const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
      expect(outcomeOf(outcomes, 'cancel').accepted).toBe(true);
      const retried = outcomeOf(outcomes, 'retry').accepted;
      expect(retried).toBe(verdict.acceptedInOrder[0]?.action.kind === 'retry');
      if (!retried) expect(outcomeOf(outcomes, 'retry').refusal).toMatch(/^cannot retry: the run (is being cancelled|has already ended \(cancelled\).*)$/);
      expect(status.state).toBe('cancelled');
      expect(nodeOf(status, 'last').state).toBe('cancelled');
      await expectRaceSettled(id, outcomes, verdict, 'cancelled');
      if (!retried) expect(t.rig.recorder.startsOf(id, 'bad')).toHaveLength(1);
    });
  });

  test('skip of a held node during a cancel: the cancel is always taken; nothing starts after it', async () => {
    await inEveryOrder('skip-cancel', [{ kind: 'skip', node: 'bad', output: 'by hand' }, { kind: 'cancel' }], async (id, actions, staggerMs) => {
      await t.rig.tf.startRun(heldSpec('race-skip-cancel', 0, 60_000), { id });
      await statusWhere(id, 'held, nothing in flight', (s) => s.state === 'held' && s.progress.running === 0);
      const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
      expect(outcomeOf(outcomes, 'cancel').accepted).toBe(true);
      const skipped = outcomeOf(outcomes, 'skip').accepted;
      expect(skipped).toBe(verdict.acceptedInOrder[0]?.action.kind === 'skip');
      expect(status.state).toBe('cancelled');
      expect(nodeOf(status, 'bad').state).toBe(skipped ? 'skipped' : 'failed');
      expect(nodeOf(status, 'bad').held ?? false).toBe(false);
      await expectRaceSettled(id, outcomes, verdict, 'cancelled');
      if (!skipped) expect(t.rig.recorder.startsOf(id, 'after')).toHaveLength(0);
    });
  });

  test('rerun during a pause: both are taken; the run rests paused, and completes on resume', async () => {
    await inEveryOrder('rerun-pause', [{ kind: 'rerun', from: 'a' }, { kind: 'pause' }], async (id, actions, staggerMs) => {
      const spec: PipelineSpec = {
        name: 'race-rerun-pause',
        defaults: { retry: { maximumAttempts: 1 } },
        nodes: [
          { id: 'a', activity: 'step' },
          { id: 'slow', activity: 'step', input: { sleepMs: 1500 }, heartbeatTimeout: '2s' },
          { id: 'b', activity: 'step', needs: ['a', 'slow'] },
        ],
      };
      await t.rig.tf.startRun(spec, { id });
      await statusWhere(id, 'a done, slow in flight', (s) => nodeOf(s, 'a').state === 'completed' && nodeOf(s, 'slow').state === 'running');
      const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
      expect(outcomes.map((o) => [o.action.kind, o.accepted])).toEqual(actions.map((a) => [a.kind, true]));
      expect(outcomeOf(outcomes, 'rerun').ack).toMatchObject({ rerun: ['a', 'b'], reused: [] });
      expect(status.state).toBe('paused');
      expect(nodeOf(status, 'b').state).toBe('pending');
      await expectRaceSettled(id, outcomes, verdict, 'paused');
      expect(t.rig.recorder.startsOf(id, 'b')).toHaveLength(0);

      await t.rig.tf.resume(id);
      await t.rig.tf.result(id, { wait: true });
      const done = await t.rig.tf.getStatus(id);
      expect(nodeOf(done, 'a')).toMatchObject({ state: 'completed', attempts: 2, earlierAttempts: 1 });
      expect(t.rig.recorder.startsOf(id).map((s) => s.nodeId).sort()).toEqual(['a', 'a', 'b', 'slow']);
    });
  });

  test('edit during a resume: the resume is always taken; the node runs with the edited input exactly when the edit was taken', async () => {
    await inEveryOrder('edit-resume', [{ kind: 'edit', node: 'second', input: { width: 128 } }, { kind: 'resume' }], async (id, actions, staggerMs) => {
      await t.rig.tf.startRun(chainSpec('race-edit-resume', 300), { id });
      await nodeStarted(id, 'first');
      await t.rig.tf.pause(id);
      await statusWhere(id, 'paused', (s) => s.state === 'paused');
      const { outcomes, verdict, status } = await race(id, actions, { pendingOnly: ['second'], staggerMs });
      expect(outcomeOf(outcomes, 'resume').accepted).toBe(true);
      const edited = outcomeOf(outcomes, 'edit');
      expect(edited.accepted).toBe(verdict.acceptedInOrder[0]?.action.kind === 'edit');
      if (!edited.accepted) {
        expect(edited.refusal).toMatch(
          /^cannot edit: (the run is running; pause it first.*|node "second" is (running|completed); only a pending or held node's input can change|the run has already ended \(completed\).*)$/,
        );
      }
      expect(status.state).toBe('completed');
      const result = await t.rig.tf.result(id, { wait: true });
      expect(result).toEqual({
        third: expect.objectContaining({
          upstream: { second: expect.objectContaining({ input: edited.accepted ? { width: 128 } : { width: 64 } }) },
        }),
      });
      expect(nodeOf(status, 'second').inputEdited).toBe(edited.accepted ? true : undefined);
      await expectRaceSettled(id, outcomes, verdict, 'completed');
    });
  });
});

/** A small seeded generator (mulberry32): the same seed draws the same races. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.TAPFLOW_RACE_SEED ?? Date.now() % 2 ** 31);
const RANDOM_RUNS = Number(process.env.TAPFLOW_RACE_RUNS ?? 6);
const ACTIONS_PER_RUN = Number(process.env.TAPFLOW_RACE_ACTIONS ?? 6);

/** The actions a random race draws from, on {@link heldSpec}. */
const POOL: Array<(k: number) => RaceAction> = [
  () => ({ kind: 'pause' }),
  () => ({ kind: 'resume' }),
  () => ({ kind: 'cancel' }),
  () => ({ kind: 'retry', node: 'bad' }),
  () => ({ kind: 'retry', node: 'bad', input: {} }),
  (k) => ({ kind: 'skip', node: 'bad', output: { k } }),
  (k) => ({ kind: 'skip', node: 'last', output: { k } }),
  (k) => ({ kind: 'edit', node: 'last', input: { k } }),
  () => ({ kind: 'edit', node: 'bad', input: {} }),
  () => ({ kind: 'rerun', from: 'ok' }),
];

describe('random races', () => {
  test(`${RANDOM_RUNS} runs, ${ACTIONS_PER_RUN} actions each fired at once (seed ${SEED}; rerun with TAPFLOW_RACE_SEED=${SEED})`, async () => {
    const random = seeded(SEED);
    const draws = Array.from({ length: RANDOM_RUNS }, () => {
      const pausedBefore = random() < 0.3;
      const actions = Array.from({ length: ACTIONS_PER_RUN }, (_, k) => (POOL[Math.floor(random() * POOL.length)] as (k: number) => RaceAction)(k));
      const staggerMs = actions.map(() => Math.floor(random() * 40));
      return { pausedBefore, actions, staggerMs };
    });
    await Promise.all(
      draws.map(async ({ pausedBefore, actions, staggerMs }, r) => {
        const id = `random-${SEED}-${r}`;
        const context = `seed ${SEED}, run ${id}${pausedBefore ? ' (paused first)' : ''}: ${actions.map(describeAction).join(', ')}`;
        try {
          await t.rig.tf.startRun(heldSpec('race-random', 2500, 300), { id });
          // Held, with slow in flight unless the machine is slow today.
          await statusWhere(id, 'held', (s) => s.state === 'held');
          if (pausedBefore) expect(await t.rig.tf.pause(id)).toEqual({ state: expect.stringMatching(/^paus(ing|ed)$/) });
          const { outcomes, verdict, status } = await race(id, actions, { pendingOnly: ['last'], staggerMs });
          // A pause taken while the last nodes to run were in flight leaves nothing to start: the
          // run completes (judgeRace checks that nothing was scheduled while the pause was in force).
          const allDone = status.nodes.every((n) => n.state === 'completed' || n.state === 'skipped');
          const expected: RunState = verdict.cancel
            ? 'cancelled'
            : verdict.pausedAfter
              ? allDone
                ? 'completed'
                : 'paused'
              : status.nodes.some((n) => n.held)
                ? 'held'
                : 'completed';
          expect(status.state).toBe(expected);
          await expectRaceSettled(id, outcomes, verdict, expected);
          if (expected === 'paused') expect(t.rig.recorder.startsOf(id, 'last')).toHaveLength(0);
        } catch (err) {
          throw new Error(`${context}\n${(err as Error).message}`);
        }
      }),
    );
  });

  test(`pause, resume and cancel spread across the moment a run ends (seed ${SEED})`, async () => {
    // The last node finishes while the actions arrive: a cancel taken before the end ends the run
    // cancelled, one after it is refused as ended; a pause taken while the last node is in flight
    // lets it finish, and with nothing left to start the run completes.
    const random = seeded(SEED + 1);
    await Promise.all(
      Array.from({ length: 4 }, async (_, r) => {
        const id = `at-the-end-${SEED}-${r}`;
        const actions: RaceAction[] = [{ kind: 'pause' }, { kind: 'cancel' }, { kind: 'resume' }];
        const staggerMs = actions.map(() => Math.floor(random() * 800));
        const context = `seed ${SEED}, run ${id}: ${actions.map((a, i) => `${a.kind}@${staggerMs[i]}ms`).join(', ')}`;
        try {
          const spec: PipelineSpec = {
            name: 'race-at-the-end',
            defaults: { retry: { maximumAttempts: 1 } },
            nodes: [{ id: 'only', activity: 'step', input: { sleepMs: 400 }, heartbeatTimeout: '2s' }],
          };
          await t.rig.tf.startRun(spec, { id });
          await nodeStarted(id, 'only');
          const { outcomes, verdict, status } = await race(id, actions, { staggerMs });
          const expected: RunState = verdict.cancel ? 'cancelled' : 'completed';
          expect(status.state).toBe(expected);
          if (!verdict.cancel) expect(outcomeOf(outcomes, 'cancel').refusal).toBe('cannot cancel: the run has already ended (completed)');
          await expectRaceSettled(id, outcomes, verdict, expected);
        } catch (err) {
          throw new Error(`${context}\n${(err as Error).message}`);
        }
      }),
    );
  });
});
