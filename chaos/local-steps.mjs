// The chaos suite's scenarios for local steps (`local: true` on a node or in a pipeline's
// `defaults`: the activity runs as a Temporal local activity on the worker running the run,
// inside its workflow task; see src/workflows/local-steps.ts), on the same real processes as the
// rest of the suite. Every run is a chain of `ledgerStep` nodes with `defaults: { local: true }`.
// A local step goes through the same activity function as any node, so the workers' notes
// (chaos/worker-state.mjs: what is in flight, each execution's start and end) and the ledger's
// idempotent side effect hold for it as they do for an activity node.
//
//   kill     4 runs (the small form: 2) of 40 steps of 50 ms. Once every run is mid-chain (its
//            last step begun between the 8th and the 8th from the end) and at least half of them
//            have a step in flight, every worker running one of them is SIGKILLed, and a fresh
//            worker started for each. The steps done since the run's last completed workflow
//            task are not in its history yet, so they run again on another worker: at least
//            once. Every run must complete, every node's side effect be in the ledger exactly
//            once (and the run's balance equal its steps) with a completed attempt in the store,
//            at least one step must have run again, no run may run again more than one workflow
//            task's worth of steps (END_TASK_AFTER_STEPS, 50) plus those in flight at the kill,
//            and no step may run twice for another reason. Each completed run's history must
//            show it ended tasks with the end-task activity (`tapflowEndTask`), every one it
//            scheduled completed; the most steps one task held and the time of each end-task
//            activity, from scheduled to completed, are printed, never checked against a bound.
//   control  3 rounds (the small form: 1) of two runs of 40 steps of 50 ms: one is paused
//            mid-chain (once its status shows 10 steps done), must come to rest `paused` with
//            fewer steps done than the chain has and start nothing while paused, and completes
//            once resumed; the other is cancelled mid-chain and must end `cancelled`. Neither may
//            run a step twice. The time each status, pause, resume and cancel took to be
//            answered is printed, never checked against a bound.
//
// Each prints one line of outcome; `runLocalStepScenarios` resolves to their results.
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { latencySummary } from '../bench/common.mjs';
import { CHAOS_DEFAULTS } from './workload.mjs';
import { secs, startRuns, until } from './scenario-kit.mjs';
import { readEnds, readInFlight, readStarts } from './worker-state.mjs';

const require = createRequire(import.meta.url);
/**
 * Steps after which a run ends its workflow task whatever their time, and the time (ms) after
 * which it does: tapflow's own (src/workflows/local-steps.ts), read from dist/ when the scenarios
 * run (run.mjs checks that dist/ is there first).
 */
let END_TASK_AFTER_STEPS;
let END_TASK_AFTER_MS;
/** The activity a run ends its workflow task with (src/core/types.ts), read from dist/ likewise. */
let END_TASK_ACTIVITY;

/** The scenarios in the order they run, and the default set. */
export const LOCAL_STEP_SCENARIOS = ['kill', 'control'];

const FINAL = new Set(['completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'continued_as_new']);
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** Node id of step `i`: `s00`, `s01`, ... (sorts as the chain runs). */
const stepId = (i) => `s${String(i).padStart(2, '0')}`;
/** The step index of a node key `<run>/sNN`. */
const indexOf = (key) => Number(key.slice(key.lastIndexOf('/') + 2));

/** A chain of `n` local `ledgerStep` nodes, each working `stepMs`. */
function localChain(name, n, stepMs) {
  return {
    name,
    // A local step has no heartbeat: the chaos retry policy, and a timeout of its own.
    defaults: { local: true, timeout: '30s', retry: CHAOS_DEFAULTS.retry },
    nodes: Array.from({ length: n }, (_, i) => ({
      id: stepId(i),
      activity: 'ledgerStep',
      input: { ms: stepMs },
      ...(i > 0 ? { needs: [stepId(i - 1)] } : {}),
    })),
  };
}

/**
 * Runs the scenarios `names` one after the other. `ctx`: `tf` (a TapflowClient), `workers`,
 * `ledger`, `stateDir`, `taskQueue`, `seed`, `log`; `small` is the CI form (fewer runs and
 * rounds). Resolves to one result per scenario: `{ name, ok, problems, ... }`.
 */
export async function runLocalStepScenarios(names, ctx, { small = false } = {}) {
  ({ END_TASK_AFTER_STEPS, END_TASK_AFTER_MS } = require('../dist/workflows/local-steps.js'));
  ({ END_TASK_ACTIVITY } = require('../dist/core/types.js'));
  const results = [];
  for (const name of names) {
    const t = Date.now();
    let result;
    try {
      if (name === 'kill') result = await killScenario(ctx, small ? { runs: 2, steps: 40, stepMs: 50 } : { runs: 4, steps: 40, stepMs: 50 });
      else if (name === 'control') result = await controlScenario(ctx, small ? { rounds: 1, steps: 40, stepMs: 50 } : { rounds: 3, steps: 40, stepMs: 50 });
      else throw new Error(`no local-step scenario "${name}" (there are: ${LOCAL_STEP_SCENARIOS.join(', ')})`);
    } catch (err) {
      result = { problems: [`the scenario broke off: ${err.stack ?? err}`] };
    }
    result = { name, ok: result.problems.length === 0, seconds: Math.round((Date.now() - t) / 100) / 10, ...result };
    ctx.log(`local-steps ${name}: ${result.ok ? 'ok' : 'FAILED'}: ${result.outcome ?? ''}${result.ok ? '' : ` | ${result.problems.join('; ')}`}`);
    results.push(result);
  }
  return results;
}




/** A run's state as the server has it: Temporal's end, or `TapflowState` while it runs. */
async function serverState(ctx, id) {
  const d = await ctx.tf.client.workflow.getHandle(id).describe();
  const shown = d.typedSearchAttributes.get({ name: 'TapflowState', type: 'KEYWORD' });
  if (d.status.name === 'RUNNING') return shown ?? 'running';
  return ['completed', 'failed', 'cancelled'].includes(shown) ? shown : d.status.name.toLowerCase();
}

/** Waits up to `ms` for every run of `ids` to reach a final state; resolves to the states, and when each was first seen there. */
async function settle(ctx, ids, ms, every = 250) {
  const until = Date.now() + ms;
  const states = new Map();
  const endedAt = new Map();
  while (Date.now() < until) {
    await Promise.all(
      ids.map(async (id) => {
        if (FINAL.has(states.get(id))) return;
        const s = await serverState(ctx, id).catch(() => undefined);
        states.set(id, s);
        if (FINAL.has(s)) endedAt.set(id, Date.now());
      }),
    );
    if (ids.every((id) => FINAL.has(states.get(id)))) break;
    await delay(every);
  }
  return { states, endedAt };
}

/** Every execution start the workers noted of the steps of `ids`. */
function startsOf(stateDir, ids) {
  return readStarts(stateDir).filter((s) => ids.some((id) => s.key.startsWith(`${id}/`)));
}

/** Problems with the side effects of `ids` (chains of `n` steps): none twice, and every step of a completed run once, its balance `n`. */
async function effectProblems(ctx, ids, n, completed, doneNodes = new Map()) {
  const { rows } = await ctx.ledger.query('SELECT run_id, node_id, count(*)::int AS n FROM chaos.ledger WHERE run_id = ANY($1) GROUP BY 1, 2', [ids]);
  const { rows: balances } = await ctx.ledger.query('SELECT account, balance::int AS balance FROM chaos.accounts WHERE account = ANY($1)', [ids]);
  const problems = [];
  for (const id of ids) {
    const mine = rows.filter((r) => r.run_id === id);
    for (const r of mine) if (r.n > 1) problems.push(`${id}: side effect of ${r.node_id} applied ${r.n} times`);
    const want = completed.has(id) ? Array.from({ length: n }, (_, i) => stepId(i)) : (doneNodes.get(id) ?? []);
    const missing = want.filter((node) => !mine.some((r) => r.node_id === node));
    if (missing.length) problems.push(`${id}: ${completed.has(id) ? 'completed' : 'shows done'} without the side effect of ${missing.length} step(s), first ${missing[0]}`);
    const balance = balances.find((b) => b.account === id)?.balance ?? 0;
    const applied = mine.reduce((a, r) => a + r.n, 0);
    if (balance !== applied) problems.push(`${id}: balance ${balance}, but the ledger holds ${applied} side effects`);
  }
  return problems;
}

/**
 * Per run of `ids`, from its history: the most local steps one completed workflow task recorded,
 * its workflow tasks, and for each end-task activity (`tapflowEndTask`, END_TASK_ACTIVITY) the run
 * ended a task with, the time from its ActivityTaskScheduled to its ActivityTaskCompleted (ms).
 */
async function historyFigures(ctx, ids) {
  const out = new Map();
  const at = (e) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  for (const id of ids) {
    const history = await ctx.tf.client.workflow.getHandle(id).fetchHistory();
    let most = 0;
    let now = 0;
    let tasks = 0;
    const scheduled = new Map();
    const endTaskMs = [];
    for (const e of history.events ?? []) {
      if (e.workflowTaskCompletedEventAttributes) {
        tasks++;
        now = 0;
      } else if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
        now++;
        most = Math.max(most, now);
      } else if (e.activityTaskScheduledEventAttributes?.activityType?.name === END_TASK_ACTIVITY) {
        scheduled.set(String(e.eventId), at(e));
      } else if (e.activityTaskCompletedEventAttributes && scheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId))) {
        endTaskMs.push(at(e) - scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)));
      }
    }
    out.set(id, { most, tasks, endTasks: scheduled.size, endTaskMs });
  }
  return out;
}

/**
 * How many local steps of run `id` its history holds (one marker each): a step finished but not
 * counted there is in the run's open workflow task.
 */
async function stepsInHistory(ctx, id) {
  const history = await ctx.tf.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER).length;
}

/** The steps of completed runs `ids` (chains of `n`) with no completed attempt in the store, waiting up to 15 s for the workers' recorders. */
async function attemptsMissingOf(ctx, ids, n) {
  let missing = [];
  await until(async () => {
    const { rows } = await ctx.ledger.query("SELECT workflow_id, node_id FROM tapflow.node_attempts WHERE workflow_id = ANY($1) AND outcome = 'completed'", [ids]);
    const have = new Set(rows.map((r) => `${r.workflow_id}/${r.node_id}`));
    missing = ids.flatMap((id) => Array.from({ length: n }, (_, i) => `${id}/${stepId(i)}`)).filter((k) => !have.has(k));
    return missing.length === 0;
  }, 15_000, 500);
  return missing;
}

const msFig = (xs) => {
  const s = latencySummary(xs);
  return { n: s.n, p50: Math.round(s.p50), max: Math.round(s.max) };
};
const fmtFig = (f) => (f.n === 0 ? '-' : f.n === 1 ? `${f.max} ms` : `p50 ${f.p50} ms, max ${f.max} ms`);

async function killScenario(ctx, { runs, steps, stepMs }) {
  const ids = await startRuns(ctx, localChain('chaos-local-kill', steps, stepMs), `chaos-local-kill-${ctx.seed}`, runs);
  const problems = [];
  // Mid-chain: every run past its first steps and short of its last ones, and at least half of
  // them with a step in flight (inside an open workflow task). A run ends its task with the
  // end-task activity every few steps, and waits for it with no step in flight: such a run is on
  // the worker that began its last step (its workflow is cached there), and a kill then costs it
  // no step. For 20 s, the moment must also find a run with a step in flight that follows a
  // finished one in the same task, so the kill shows the steps finished in an open task running
  // again. Between two tasks, the end-task activity and the next task take some 10 to 100 ms,
  // about what the workflow's own work takes between two steps of one task on a loaded machine,
  // so the time between two steps cannot tell them apart; the run's history can: the finished
  // step is in the open task while its marker is not there yet.
  const margin = 8;
  const preferUntil = Date.now() + 20_000;
  const moment = await until(
    async () => {
      const live = ctx.workers.pids();
      const starts = startsOf(ctx.stateDir, ids).filter((s) => live.includes(s.pid));
      const ends = live.flatMap((pid) => readEnds(ctx.stateDir, pid).filter((e) => e.outcome === 'returned'));
      const inFlight = live.flatMap((pid) => readInFlight(ctx.stateDir, pid).filter((x) => ids.some((id) => x.key.startsWith(`${id}/`))).map((x) => ({ pid, ...x })));
      const holders = new Map();
      let flying = 0;
      const followers = [];
      for (const id of ids) {
        const mine = starts.filter((s) => s.key.startsWith(`${id}/`));
        if (mine.length === 0) return undefined;
        const last = mine.reduce((a, s) => (s.at > a.at ? s : a));
        if (indexOf(last.key) < margin || indexOf(last.key) >= steps - margin) return undefined;
        const flight = inFlight.find((x) => x.key.startsWith(`${id}/`));
        if (flight) {
          flying++;
          if (ends.some((e) => e.key === `${id}/${stepId(indexOf(flight.key) - 1)}`)) followers.push({ id, index: indexOf(flight.key) });
        }
        const pid = flight?.pid ?? last.pid;
        holders.set(pid, [...(holders.get(pid) ?? []), id]);
      }
      if (flying * 2 < ids.length) return undefined;
      if (Date.now() < preferUntil) {
        // Steps 0 to index - 1 are finished: fewer markers than that, and the step before the
        // one in flight is in the open task.
        const counted = await Promise.all(followers.map((f) => stepsInHistory(ctx, f.id).catch(() => Infinity)));
        if (!followers.some((f, i) => counted[i] < f.index)) return undefined;
      }
      return { holders, flying };
    },
    60_000,
    20,
  );
  let killAt;
  const killed = [];
  if (!moment) problems.push(`no moment came with every run mid-chain (between step ${margin} and step ${steps - margin}) and half of them with a step in flight: nothing was killed`);
  else {
    killAt = Date.now();
    const pids = [...moment.holders.keys()];
    await Promise.all(pids.map((pid) => ctx.workers.kill(pid)));
    // What the dead worker last wrote is what it had in flight when it died.
    for (const pid of pids) {
      killed.push({ pid, runs: moment.holders.get(pid), keys: readInFlight(ctx.stateDir, pid).map((x) => x.key).filter((k) => ids.some((id) => k.startsWith(`${id}/`))) });
    }
    await Promise.all(pids.map(() => ctx.workers.start()));
  }
  const { states: ends } = await settle(ctx, ids, 120_000);
  const completed = new Set(ids.filter((id) => ends.get(id) === 'completed'));

  // What ran again: a step a killed worker began that a later worker began again.
  const killedPids = new Set(killed.map((w) => w.pid));
  const starts = startsOf(ctx.stateDir, ids);
  const returnedOnKilled = new Map(); // key -> its execution's ms, for steps a killed worker finished
  for (const pid of killedPids) {
    const began = new Map(starts.filter((s) => s.pid === pid).map((s) => [s.key, s.at]));
    for (const e of readEnds(ctx.stateDir, pid)) if (e.outcome === 'returned' && began.has(e.key)) returnedOnKilled.set(e.key, e.at - began.get(e.key));
  }
  const perRun = ids.map((id) => {
    const mine = starts.filter((s) => s.key.startsWith(`${id}/`));
    const onKilled = new Set(mine.filter((s) => killedPids.has(s.pid)).map((s) => s.key));
    const afterward = mine.filter((s) => !killedPids.has(s.pid) && s.at > (killAt ?? Infinity));
    const again = [...onKilled].filter((k) => afterward.some((s) => s.key === k));
    const inFlight = killed.flatMap((w) => w.keys).filter((k) => k.startsWith(`${id}/`));
    const doneAgain = again.filter((k) => returnedOnKilled.has(k));
    // Steps begun more than once other than by the kill: none should be.
    const count = new Map();
    for (const s of mine) count.set(s.key, (count.get(s.key) ?? 0) + 1);
    const otherwise = [...count].filter(([k, c]) => c > 1 && !again.includes(k)).map(([k]) => k);
    const first = afterward.reduce((a, s) => Math.min(a, s.at), Infinity);
    return {
      id,
      inFlight: inFlight.length,
      ranAgain: again.length,
      doneRanAgain: doneAgain.length,
      // The work the kill cost: the steps the dead worker had finished, run again.
      doneRanAgainMs: doneAgain.reduce((a, k) => a + returnedOnKilled.get(k), 0),
      otherwise,
      again,
      executions: mine.length,
      againAfterMs: onKilled.size > 0 && Number.isFinite(first) ? first - killAt : undefined,
      killedMidChain: onKilled.size > 0,
    };
  });
  const history = await historyFigures(ctx, [...completed]).catch(() => new Map());

  const ranAgain = perRun.reduce((a, r) => a + r.ranAgain, 0);
  const doneRanAgain = perRun.reduce((a, r) => a + r.doneRanAgain, 0);
  const inFlight = perRun.reduce((a, r) => a + r.inFlight, 0);
  if (completed.size !== ids.length) problems.push(`${ids.length - completed.size} of ${ids.length} runs did not complete: ${ids.filter((id) => !completed.has(id)).map((id) => `${id}=${ends.get(id)}`).join(', ')}`);
  if (moment && ranAgain === 0) problems.push('the kill hit the runs mid-chain, yet no step ran again: the steps since the last workflow task would have been lost');
  for (const r of perRun) {
    if (moment && !r.killedMidChain) problems.push(`${r.id}: no step of it ran on a killed worker`);
    if (r.doneRanAgain > END_TASK_AFTER_STEPS) problems.push(`${r.id}: ${r.doneRanAgain} finished steps ran again, more than one workflow task holds (${END_TASK_AFTER_STEPS})`);
    if (r.ranAgain > END_TASK_AFTER_STEPS + r.inFlight) problems.push(`${r.id}: ${r.ranAgain} steps ran again, more than ${END_TASK_AFTER_STEPS} plus the ${r.inFlight} in flight`);
    if (r.otherwise.length) problems.push(`${r.id}: ${r.otherwise.length} step(s) ran more than once but not because of the kill, first ${r.otherwise[0]}`);
    if (r.killedMidChain && r.againAfterMs === undefined) problems.push(`${r.id}: it never went on after the kill`);
  }
  // Chains of 40 steps of 50 ms outlast the pacer's 200 ms many times over: a completed run
  // ended tasks with the end-task activity, and each one it scheduled completed.
  for (const [id, h] of history) {
    if (steps * stepMs > END_TASK_AFTER_MS && h.endTasks === 0) problems.push(`${id}: completed without ending a workflow task with ${END_TASK_ACTIVITY}`);
    if (h.endTaskMs.length !== h.endTasks) problems.push(`${id}: ${h.endTasks} ${END_TASK_ACTIVITY} activities scheduled, ${h.endTaskMs.length} completed`);
  }
  problems.push(...(await effectProblems(ctx, ids, steps, completed)));
  // A local step goes through the worker's activity interceptors: the store has its attempts too.
  const attemptsMissing = await attemptsMissingOf(ctx, [...completed], steps);
  if (attemptsMissing.length) problems.push(`${attemptsMissing.length} completed step(s) with no completed attempt in the store, first ${attemptsMissing[0]}`);
  // A step run again on another worker starts over at attempt 1 there (a local activity's
  // attempts are the worker's own): the store's attempt rows of the steps that ran again.
  const againKeys = perRun.flatMap((r) => r.again);
  const { rows: againRows } = await ctx.ledger.query(
    "SELECT workflow_id || '/' || node_id AS key, max(attempt)::int AS attempt FROM tapflow.node_attempts WHERE workflow_id = ANY($1) GROUP BY 1",
    [ids],
  );
  const storeAttemptsOfRanAgain = againKeys.map((k) => againRows.find((r) => r.key === k)?.attempt ?? 0);
  // The executions that found their key in the ledger: a step that had applied its effect ran again.
  const { rows: found } = await ctx.ledger.query("SELECT count(*)::int AS n FROM chaos.executions WHERE run_id = ANY($1) AND outcome = 'already-applied'", [ids]);
  const alreadyApplied = found[0]?.n ?? 0;
  const againMs = perRun.map((r) => r.againAfterMs).filter((x) => x !== undefined);
  const mostPerTask = Math.max(0, ...[...history.values()].map((t) => t.most));
  const endTaskMs = msFig([...history.values()].flatMap((t) => t.endTaskMs));
  const endTasks = [...history.values()].map((t) => t.endTasks);
  return {
    problems,
    runs: ids.length,
    steps,
    stepMs,
    completed: completed.size,
    workersKilled: killed.length,
    inFlightAtKill: inFlight,
    ranAgain,
    doneRanAgain,
    bound: { steps: END_TASK_AFTER_STEPS, ms: END_TASK_AFTER_MS },
    storeAttemptsOfRanAgain,
    alreadyApplied,
    mostStepsInOneTask: mostPerTask,
    workflowTasks: [...history.values()].map((t) => t.tasks),
    endTasks,
    endTaskMs,
    perRun: perRun.map((r) => ({ id: r.id, inFlight: r.inFlight, ranAgain: r.ranAgain, doneRanAgain: r.doneRanAgain, doneRanAgainMs: r.doneRanAgainMs, executions: r.executions, againAfterMs: r.againAfterMs ?? null })),
    againAfterMs: againMs,
    outcome:
      `${completed.size}/${ids.length} runs of ${steps} local steps of ${stepMs} ms completed; ${killed.length} worker(s) SIGKILLed mid-chain with ${inFlight} step(s) in flight ` +
      `(${moment?.flying ?? 0} of ${ids.length} runs inside a workflow task); ` +
      `${ranAgain} step(s) ran again (${doneRanAgain} finished before the kill, ${alreadyApplied} found their effect applied, per run ${perRun.map((r) => r.doneRanAgain).join('/')}, ` +
      `at most ${Math.max(0, ...perRun.map((r) => r.doneRanAgainMs))} ms of work, where a task ends after ${END_TASK_AFTER_MS} ms; bound ${END_TASK_AFTER_STEPS} per run plus those in flight); ` +
      `the runs went on after ${againMs.map(secs).join(', ')}; most steps in one workflow task ${mostPerTask}; ${endTasks.join('/')} task(s) per run ended by the end-task activity, scheduled to completed in ${fmtFig(endTaskMs)}`,
  };
}

async function controlScenario(ctx, { rounds, steps, stepMs }) {
  const spec = localChain('chaos-local-control', steps, stepMs);
  const problems = [];
  const fig = { statusMs: [], pauseAckMs: [], pausedMs: [], resumeAckMs: [], cancelAckMs: [], cancelledMs: [], completedAtPause: [], completedAtCancel: [] };
  const ids = [];
  for (let r = 0; r < rounds; r++) {
    const [pauseId, cancelId] = await startRuns(ctx, spec, `chaos-local-control-${ctx.seed}-${r}`, 2);
    ids.push(pauseId, cancelId);
    await Promise.all([pauseOne(ctx, pauseId, steps, fig, problems), cancelOne(ctx, cancelId, steps, fig, problems)]);
  }
  const pausedIds = ids.filter((_, i) => i % 2 === 0);
  const cancelledIds = ids.filter((_, i) => i % 2 === 1);
  const { states } = await settle(ctx, ids, 5_000);
  const completed = new Set(pausedIds.filter((id) => states.get(id) === 'completed'));
  const cancelled = new Set(cancelledIds.filter((id) => states.get(id) === 'cancelled'));
  // No step ran twice: a pause or a cancel runs nothing again.
  const starts = startsOf(ctx.stateDir, ids);
  const twice = new Set(starts.map((s) => s.key).filter((k, i, all) => all.indexOf(k) !== i));
  if (twice.size) problems.push(`${twice.size} step(s) ran more than once, first ${[...twice][0]}`);
  const done = new Map();
  for (const id of cancelledIds) {
    const status = await ctx.tf.getStatus(id).catch(() => undefined);
    done.set(id, (status?.nodes ?? []).filter((n) => n.state === 'completed').map((n) => n.id));
  }
  problems.push(...(await effectProblems(ctx, ids, steps, completed, done)));
  const f = Object.fromEntries(['statusMs', 'pauseAckMs', 'pausedMs', 'resumeAckMs', 'cancelAckMs', 'cancelledMs'].map((k) => [k, msFig(fig[k].filter((x) => x !== undefined))]));
  return {
    problems,
    runs: ids.length,
    steps,
    stepMs,
    paused: pausedIds.length,
    completed: completed.size,
    cancelled: cancelled.size,
    completedAtPause: fig.completedAtPause,
    completedAtCancel: fig.completedAtCancel,
    ...f,
    outcome:
      `${rounds} round(s) of chains of ${steps} local steps of ${stepMs} ms: status answered in ${fmtFig(f.statusMs)} (${f.statusMs.n} asked mid-chain); ` +
      `pause taken in ${fmtFig(f.pauseAckMs)}, at rest paused after ${fmtFig(f.pausedMs)} with ${fig.completedAtPause.join('/')} of ${steps} done, resumed in ${fmtFig(f.resumeAckMs)}, ${completed.size}/${pausedIds.length} completed; ` +
      `cancel taken in ${fmtFig(f.cancelAckMs)}, ended after ${fmtFig(f.cancelledMs)} with ${fig.completedAtCancel.join('/')} done, ${cancelled.size}/${cancelledIds.length} cancelled`,
  };
}

/** Waits for run `id`'s status to show it under way (10 steps done, not all), timing each status asked. */
async function underWay(ctx, id, steps, fig) {
  return until(
    async () => {
      const t = Date.now();
      const st = await ctx.tf.getStatus(id).catch(() => undefined);
      if (!st) return undefined;
      fig.statusMs.push(Date.now() - t);
      return st.state === 'running' && st.progress.completed >= 10 && st.progress.completed < steps ? st : undefined;
    },
    60_000,
    50,
  );
}

/** Steps of run `id` the workers began. */
const begun = (ctx, id) => readStarts(ctx.stateDir).filter((s) => s.key.startsWith(`${id}/`)).length;

async function pauseOne(ctx, id, steps, fig, problems) {
  if (!(await underWay(ctx, id, steps, fig))) {
    problems.push(`${id}: its status never showed the chain under way`);
    return;
  }
  const t = Date.now();
  await ctx.tf.pause(id, { reason: 'chaos: mid-chain', by: 'chaos' });
  fig.pauseAckMs.push(Date.now() - t);
  const rest = await until(async () => {
    const st = await ctx.tf.getStatus(id).catch(() => undefined);
    return st?.state === 'paused' ? st : undefined;
  }, 30_000, 50);
  if (!rest) {
    problems.push(`${id}: never came to rest paused (last: ${await serverState(ctx, id).catch(() => '?')})`);
    return;
  }
  fig.pausedMs.push(Date.now() - t);
  fig.completedAtPause.push(rest.progress.completed);
  if (rest.progress.completed >= steps) problems.push(`${id}: paused with ${rest.progress.completed} of ${steps} steps done: the pause was not taken mid-chain`);
  if (rest.progress.running !== 0) problems.push(`${id}: paused with ${rest.progress.running} step(s) running`);
  // At rest: nothing starts while paused.
  const before = begun(ctx, id);
  await delay(1000);
  const still = await ctx.tf.getStatus(id).catch(() => undefined);
  if (begun(ctx, id) !== before) problems.push(`${id}: ${begun(ctx, id) - before} step(s) began while it was paused`);
  if (still?.state !== 'paused' || still.progress.completed !== rest.progress.completed) problems.push(`${id}: moved while paused (${still?.state}, ${still?.progress.completed} done)`);
  const r = Date.now();
  await ctx.tf.resume(id, { reason: 'chaos', by: 'chaos' });
  fig.resumeAckMs.push(Date.now() - r);
  const { states } = await settle(ctx, [id], 60_000, 100);
  if (states.get(id) !== 'completed') problems.push(`${id}: resumed, but ended ${states.get(id)}, not completed`);
  else {
    const st = await ctx.tf.getStatus(id);
    if (st.progress.completed !== steps) problems.push(`${id}: completed with ${st.progress.completed} of ${steps} steps done`);
  }
}

async function cancelOne(ctx, id, steps, fig, problems) {
  if (!(await underWay(ctx, id, steps, fig))) {
    problems.push(`${id}: its status never showed the chain under way`);
    return;
  }
  const t = Date.now();
  await ctx.tf.cancel(id, { reason: 'chaos: mid-chain', by: 'chaos' });
  fig.cancelAckMs.push(Date.now() - t);
  const { states, endedAt } = await settle(ctx, [id], 60_000, 50);
  if (states.get(id) !== 'cancelled') {
    problems.push(`${id}: cancelled mid-chain, but ended ${states.get(id)}`);
    return;
  }
  fig.cancelledMs.push(endedAt.get(id) - t);
  const st = await ctx.tf.getStatus(id).catch(() => undefined);
  if (st) {
    fig.completedAtCancel.push(st.progress.completed);
    if (st.progress.completed >= steps) problems.push(`${id}: cancelled with all ${steps} steps done: the cancel was not taken mid-chain`);
  }
}
