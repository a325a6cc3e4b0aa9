// The chaos suite's scenarios for concurrency limits (`concurrency: { key, limit }` on a spec, see
// docs/design/concurrency.md), on the same real processes as the rest of the suite. Each scenario
// starts runs of one key, injects its fault, samples every run's state all along (a `describe` per
// run, answered by the server, so a dead worker does not stop the sampling), and checks:
//
//   kill            8 runs, limit 2, each working 3 s: every worker running a slot holder's node
//                   is SIGKILLed while 2 runs hold the slots, and a fresh worker started. Every
//                   run completes, its side effects once each, and never more than 2 runs are
//                   past their start (a state neither `queued` nor final) at any sample, nor
//                   working at once by the workers' own notes.
//   terminate       limit 1: the holder is terminated through Temporal while 2 runs wait. The
//                   next run gets the slot within 20 s (the coordinator checks its holders every
//                   10 s) and every other run completes.
//   terminate-busy  the same, but new runs of the key keep arriving every 4 s for 28 s after the
//                   terminate, as on a busy key. The slot must come back within 20 s all the same.
//   restart         limit 1, 4 runs: the Temporal dev server is SIGKILLed and started again while
//                   one run holds the slot and 3 wait. Every run completes, limit never exceeded.
//
// Each prints one line of outcome; `runConcurrencyScenarios` resolves to their results.
import { setTimeout as delay } from 'node:timers/promises';
import { CHAOS_DEFAULTS } from './workload.mjs';
import { retrying, secs, startRuns, until } from './scenario-kit.mjs';
import { readEnds, readInFlight, readStarts } from './worker-state.mjs';

/** The scenarios in the order they run, and the default set. */
export const CONCURRENCY_SCENARIOS = ['kill', 'terminate', 'terminate-busy', 'restart'];

/** Most time a terminated holder's slot may take to come back: the 10 s check, plus its worst timing. */
export const SLOT_BACK_TARGET_MS = 20_000;

const FINAL = new Set(['completed', 'failed', 'cancelled', 'terminated']);
/** Past its start: admitted and not ended. `starting`: no workflow task of the run has completed yet. */
const pastStart = (state) => state !== undefined && state !== 'starting' && state !== 'queued' && !FINAL.has(state);

/**
 * A run's state as the server has it (no worker needed): Temporal's end, or `TapflowState`.
 * The client starts every run with `TapflowState = running`, and a limited run moves to `queued`
 * in its first workflow task: until one has completed (history shorter than 4 events: started,
 * task scheduled, started, completed), the run is `starting`, with `shownAs` what it shows.
 */
async function serverState(ctx, id) {
  const d = await ctx.tf.client.workflow.getHandle(id).describe();
  if (d.status.name !== 'RUNNING') return { state: d.status.name === 'COMPLETED' ? 'completed' : d.status.name === 'FAILED' ? 'failed' : d.status.name === 'CANCELLED' ? 'cancelled' : 'terminated' };
  const shown = d.typedSearchAttributes.get({ name: 'TapflowState', type: 'KEYWORD' });
  return d.historyLength < 4 ? { state: 'starting', shownAs: shown } : { state: shown };
}

/** A pipeline of key `key` (limit `limit`): `work` for `workMs` (heartbeating), then `after` for 300 ms. */
function limitedSpec(key, limit, workMs) {
  return {
    name: `chaos-limited-${key}`,
    concurrency: { key, limit },
    defaults: CHAOS_DEFAULTS,
    nodes: [
      { id: 'work', activity: 'ledgerStep', input: { ms: workMs } },
      { id: 'after', activity: 'ledgerStep', input: { ms: 300 }, needs: ['work'] },
    ],
  };
}
const NODES = ['work', 'after'];

/**
 * Runs the scenarios `names` one after the other. `ctx`: `tf` (a TapflowClient), `workers`,
 * `temporal`, `ledger`, `stateDir`, `taskQueue`, `seed`, `log`; `small` makes the kill scenario
 * 6 runs of 2 s (the CI form). Resolves to one result per scenario: `{ name, ok, problems, ... }`.
 */
export async function runConcurrencyScenarios(names, ctx, { small = false } = {}) {
  const results = [];
  for (const name of names) {
    const t = Date.now();
    let result;
    try {
      if (name === 'kill') result = await killScenario(ctx, small ? { runs: 6, workMs: 2000 } : { runs: 8, workMs: 3000 });
      else if (name === 'terminate') result = await terminateScenario(ctx, { busy: false });
      else if (name === 'terminate-busy') result = await terminateScenario(ctx, { busy: true });
      else if (name === 'restart') result = await restartScenario(ctx);
      else throw new Error(`no concurrency scenario "${name}" (there are: ${CONCURRENCY_SCENARIOS.join(', ')})`);
    } catch (err) {
      result = { problems: [`the scenario broke off: ${err.stack ?? err}`] };
    }
    result = { name, ok: result.problems.length === 0, seconds: Math.round((Date.now() - t) / 100) / 10, ...result };
    ctx.log(`concurrency ${name}: ${result.ok ? 'ok' : 'FAILED'}: ${result.outcome ?? ''}${result.ok ? '' : ` | ${result.problems.join('; ')}`}`);
    results.push(result);
  }
  return results;
}



/**
 * Samples the states of `ids()` every 100 ms until stopped. Keeps the most runs past their start
 * at one sample, the samples over `limit` (with the states seen), and when each run was first
 * seen past its start.
 */
function sampler(ctx, ids, limit) {
  // shownRunning: samples of a run not admitted yet that `getState` (and the Web UI) showed `running`.
  const out = { samples: 0, missed: 0, most: 0, over: [], firstPast: new Map(), states: new Map(), shownRunning: 0, shownRunningMs: new Map() };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const list = ids();
      const at = Date.now();
      try {
        const seen = await Promise.all(list.map((id) => serverState(ctx, id)));
        const states = seen.map((x) => x.state);
        out.samples++;
        seen.forEach((x, i) => {
          if (x.state !== 'starting' || x.shownAs !== 'running') return;
          out.shownRunning++;
          const since = out.shownRunningMs.get(list[i]);
          out.shownRunningMs.set(list[i], since === undefined ? [at, at] : [since[0], at]);
        });
        const past = list.filter((_, i) => pastStart(states[i]));
        out.most = Math.max(out.most, past.length);
        if (past.length > limit) out.over.push({ at, past: past.map((id) => `${id}=${states[list.indexOf(id)]}`) });
        list.forEach((id, i) => {
          out.states.set(id, states[i]);
          if (pastStart(states[i]) && !out.firstPast.has(id)) out.firstPast.set(id, at);
        });
      } catch {
        out.missed++; // the server is down
      }
      await delay(100);
    }
  })();
  out.stop = async () => {
    stopped = true;
    await loop;
    return out;
  };
  return out;
}

/** Waits up to `ms` for every run of `ids` to reach a final state; resolves to the states. */
async function settle(ctx, ids, ms) {
  const until = Date.now() + ms;
  let states = [];
  while (Date.now() < until) {
    states = await Promise.all(ids.map((id) => serverState(ctx, id).then((x) => x.state, () => undefined)));
    if (states.every((s) => FINAL.has(s))) break;
    await delay(500);
  }
  return new Map(ids.map((id, i) => [id, states[i]]));
}

/**
 * The most runs of `ids` working at once by the workers' own notes: a run works from its first
 * node execution's start to its last node's returned end (a killed attempt has no end; its retry
 * does).
 */
function mostWorkingAtOnce(stateDir, ids, pids) {
  const starts = readStarts(stateDir);
  const ends = pids.flatMap((pid) => readEnds(stateDir, pid));
  const edges = [];
  for (const id of ids) {
    const mine = (e) => e.key.startsWith(`${id}/`);
    const s = starts.filter(mine).map((e) => e.at);
    const e = ends.filter((x) => mine(x) && x.outcome === 'returned').map((x) => x.at);
    if (s.length === 0 || e.length === 0) continue;
    edges.push([Math.min(...s), 1], [Math.max(...e), -1]);
  }
  // An end at the same millisecond as a start comes first.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

/** Every pid that wrote worker-state files (workers since killed included). */
function allPids(stateDir) {
  return [...new Set(readStarts(stateDir).map((s) => s.pid))];
}

/** Problems with the side effects of `ids`: a completed run must hold each node's once, no run any twice. */
async function effectProblems(ctx, ids, completed) {
  const { rows } = await ctx.ledger.query('SELECT run_id, node_id, count(*)::int AS n FROM chaos.ledger WHERE run_id = ANY($1) GROUP BY 1, 2', [ids]);
  const problems = [];
  for (const id of ids) {
    for (const node of NODES) {
      const n = rows.find((r) => r.run_id === id && r.node_id === node)?.n ?? 0;
      if (n > 1) problems.push(`${id}: side effect of ${node} applied ${n} times`);
      if (n < 1 && completed.has(id)) problems.push(`${id}: completed without the side effect of ${node}`);
    }
  }
  return problems;
}


/** The nodes of runs `ids` in flight on each live worker: [{ pid, keys }]. */
function holdersInFlight(ctx, ids) {
  return ctx.workers
    .pids()
    .map((pid) => ({ pid, keys: readInFlight(ctx.stateDir, pid).map((n) => n.key).filter((k) => ids.some((id) => k.startsWith(`${id}/`))) }))
    .filter((w) => w.keys.length > 0);
}

/** How many runs showed `running` before their first workflow task, and for how long at most. */
function shownFigures(seen) {
  const spans = [...seen.shownRunningMs.values()].map(([a, b]) => b - a);
  return { runs: spans.length, samples: seen.shownRunning, longestMs: spans.length ? Math.max(...spans) : 0 };
}


async function killScenario(ctx, { runs, workMs }) {
  const limit = 2;
  const key = `chaos-${ctx.seed}-kill`;
  const ids = await startRuns(ctx, limitedSpec(key, limit, workMs), `chaos-conc-kill-${ctx.seed}`, runs);
  const samples = sampler(ctx, () => ids, limit);
  const problems = [];
  // Once the first holders have completed, kill while the next two hold the slots, mid-`work`.
  const moment = await until(async () => {
    const done = [...samples.states.values()].filter((s) => s === 'completed').length;
    if (done < 2) return undefined;
    const busy = holdersInFlight(ctx, ids);
    const working = new Set(busy.flatMap((w) => w.keys.filter((k) => k.endsWith('/work')).map((k) => k.split('/')[0])));
    return working.size === limit ? busy : undefined;
  }, 90_000);
  let killAt;
  let killed = [];
  if (!moment) problems.push('no moment came with 2 runs holding slots mid-node: nothing was killed');
  else {
    killAt = Date.now();
    killed = moment.map((w) => ({ pid: w.pid, keys: w.keys }));
    await Promise.all(moment.map((w) => ctx.workers.kill(w.pid)));
    await Promise.all(moment.map(() => ctx.workers.start()));
  }
  const ends = await settle(ctx, ids, 120_000);
  const seen = await samples.stop();
  const completed = new Set(ids.filter((id) => ends.get(id) === 'completed'));
  const killedKeys = killed.flatMap((w) => w.keys);
  // How long the killed holders' nodes took to run again, and when the next run was admitted.
  const starts = readStarts(ctx.stateDir);
  const againMs = killedKeys.map((k) => {
    const next = starts.filter((s) => s.key === k && s.at > killAt).reduce((a, s) => Math.min(a, s.at), Infinity);
    return Number.isFinite(next) ? next - killAt : undefined;
  });
  const holdersAtKill = new Set(killedKeys.map((k) => k.split('/')[0]));
  const nextAdmitted = [...seen.firstPast].filter(([id, at]) => !holdersAtKill.has(id) && at > (killAt ?? Infinity)).map(([, at]) => at);
  const nextAdmittedMs = nextAdmitted.length ? Math.min(...nextAdmitted) - killAt : undefined;
  const working = mostWorkingAtOnce(ctx.stateDir, ids, allPids(ctx.stateDir));

  problems.push(...limitProblems({ ids, completed, ends, seen, working, limit }));
  if (againMs.some((x) => x === undefined)) problems.push('a killed holder\'s node never ran again');
  problems.push(...(await effectProblems(ctx, ids, completed)));
  return {
    problems,
    runs: ids.length,
    limit,
    completed: completed.size,
    samples: seen.samples,
    mostPastStart: seen.most,
    shownRunning: shownFigures(seen),
    mostWorking: working,
    workersKilled: killed.length,
    holderNodesKilled: killedKeys.length,
    nodeAgainMs: againMs.map((x) => (x === undefined ? null : x)),
    nextAdmittedMs: nextAdmittedMs ?? null,
    outcome:
      `${completed.size}/${ids.length} runs completed; ${killed.length} worker(s) SIGKILLed with ${killedKeys.length} holder node(s) in flight, ` +
      `which ran again after ${againMs.map(secs).join(', ')}; next run admitted ${secs(nextAdmittedMs)} after the kill; ` +
      `most past their start ${seen.most} (limit ${limit}) over ${seen.samples} samples, most working at once ${working}`,
  };
}

async function terminateScenario(ctx, { busy }) {
  const name = busy ? 'terminate-busy' : 'terminate';
  const key = `chaos-${ctx.seed}-${name}`;
  const prefix = `chaos-conc-${name}-${ctx.seed}`;
  const holderSpec = limitedSpec(key, 1, 60_000);
  const spec = limitedSpec(key, 1, 1000);
  const problems = [];
  const [holder] = await startRuns(ctx, holderSpec, `${prefix}-holder`, 1);
  const ids = [holder];
  const samples = sampler(ctx, () => ids, 1);
  // The others start once the holder has the slot: a slot goes to whoever asks first while it is
  // free, and a holder whose first workflow task is slow (a worker the scenario before started
  // is still warming up) would otherwise ask after them.
  const holding = await until(async () => samples.states.get(holder) === 'running', 60_000);
  const waiting = await startRuns(ctx, spec, prefix, 2);
  ids.push(...waiting);
  // The server's view: the holder past its start (it has the slot), the others queued. The
  // workers' notes would also need the holder's node started, which a worker killed by the
  // scenario before may delay past the wait.
  const ready = holding && (await until(async () => samples.states.get(holder) === 'running' && waiting.every((id) => samples.states.get(id) === 'queued'), 60_000));
  if (!ready) problems.push(`the holder never ran with the others queued behind it (last seen: ${ids.map((id) => `${id}=${samples.states.get(id)}`).join(' ')})`);
  const at = Date.now();
  await retrying(() => ctx.tf.client.workflow.getHandle(holder).terminate('chaos: terminated while holding a concurrency slot'));
  // On a busy key, runs keep asking for the key's slot.
  const arrivals = [];
  let lastArrivalMs;
  const arriving = busy
    ? (async () => {
        for (let i = 0; i < 7; i++) {
          await delay(4000);
          arrivals.push(...(await startRuns(ctx, spec, prefix, 1, 2 + i)));
          ids.push(arrivals.at(-1));
          lastArrivalMs = Date.now() - at;
        }
      })()
    : Promise.resolve();
  const admitted = await until(() => {
    const firsts = waiting.map((id) => samples.firstPast.get(id)).filter((x) => x !== undefined && x > at);
    return firsts.length ? Math.min(...firsts) : undefined;
  }, 90_000, 50);
  const slotBackMs = admitted === undefined ? undefined : admitted - at;
  await arriving;
  const rest = ids.filter((id) => id !== holder);
  const ends = await settle(ctx, rest, 90_000);
  const seen = await samples.stop();
  const completed = new Set(rest.filter((id) => ends.get(id) === 'completed'));
  const holderEnd = await serverState(ctx, holder).then((x) => x.state, () => undefined);

  if (holderEnd !== 'terminated') problems.push(`the holder is ${holderEnd}, not terminated`);
  if (slotBackMs === undefined) problems.push('the slot never came back to a waiting run within 90 s');
  else if (slotBackMs > SLOT_BACK_TARGET_MS) problems.push(`the slot came back ${secs(slotBackMs)} after the terminate (target ${secs(SLOT_BACK_TARGET_MS)})`);
  if (completed.size !== rest.length) problems.push(`${rest.length - completed.size} of ${rest.length} other runs did not complete: ${rest.filter((id) => !completed.has(id)).map((id) => `${id}=${ends.get(id)}`).join(', ')}`);
  if (seen.most > 1) problems.push(`${seen.most} runs past their start at one sample (limit 1), first: ${seen.over[0].past.join(' ')}`);
  problems.push(...(await effectProblems(ctx, rest, completed)));
  return {
    problems,
    runs: ids.length,
    limit: 1,
    completed: completed.size,
    samples: seen.samples,
    mostPastStart: seen.most,
    shownRunning: shownFigures(seen),
    slotBackMs: slotBackMs ?? null,
    ...(busy ? { arrivals: arrivals.length, lastArrivalMs } : {}),
    outcome:
      `holder terminated; the next run had the slot ${secs(slotBackMs)} later (target ${secs(SLOT_BACK_TARGET_MS)})` +
      `${busy ? ` with ${arrivals.length} runs arriving every 4 s, the last ${secs(lastArrivalMs)} after the terminate` : ''}; ` +
      `${completed.size}/${rest.length} other runs completed; most past their start ${seen.most} (limit 1) over ${seen.samples} samples`,
  };
}

async function restartScenario(ctx) {
  const limit = 1;
  const key = `chaos-${ctx.seed}-restart`;
  const ids = await startRuns(ctx, limitedSpec(key, limit, 3000), `chaos-conc-restart-${ctx.seed}`, 4);
  const samples = sampler(ctx, () => ids, limit);
  const problems = [];
  const ready = await until(async () => {
    if (holdersInFlight(ctx, ids).length === 0) return false;
    return ids.filter((id) => samples.states.get(id) === 'queued').length === ids.length - 1;
  }, 60_000);
  if (!ready) problems.push('no moment came with one run holding the slot and the others queued');
  const { down, up } = await ctx.temporal.restart({ kill: true });
  const ends = await settle(ctx, ids, 120_000);
  const seen = await samples.stop();
  const completed = new Set(ids.filter((id) => ends.get(id) === 'completed'));
  const nextAdmitted = [...seen.firstPast.values()].filter((x) => x > up);
  const nextAdmittedMs = nextAdmitted.length ? Math.min(...nextAdmitted) - up : undefined;
  const working = mostWorkingAtOnce(ctx.stateDir, ids, allPids(ctx.stateDir));

  problems.push(...limitProblems({ ids, completed, ends, seen, working, limit }));
  problems.push(...(await effectProblems(ctx, ids, completed)));
  return {
    problems,
    runs: ids.length,
    limit,
    completed: completed.size,
    samples: seen.samples,
    samplesMissed: seen.missed,
    mostPastStart: seen.most,
    shownRunning: shownFigures(seen),
    mostWorking: working,
    serverDownMs: up - down,
    nextAdmittedMs: nextAdmittedMs ?? null,
    outcome:
      `dev server SIGKILLed with 1 run holding the slot and ${ids.length - 1} queued, back in ${secs(up - down)}; next run admitted ${secs(nextAdmittedMs)} after it was back; ` +
      `${completed.size}/${ids.length} completed; most past their start ${seen.most} (limit ${limit}) over ${seen.samples} samples, most working at once ${working}`,
  };
}

/** What every scenario checks of its runs: all completed, the limit held at every sample and by the workers' notes. */
function limitProblems({ ids, completed, ends, seen, working, limit }) {
  const problems = [];
  if (completed.size !== ids.length) problems.push(`${ids.length - completed.size} of ${ids.length} runs did not complete: ${ids.filter((id) => !completed.has(id)).map((id) => `${id}=${ends.get(id)}`).join(', ')}`);
  if (seen.most > limit) problems.push(`${seen.most} runs past their start at one sample (limit ${limit}), first: ${seen.over[0].past.join(' ')}`);
  if (working > limit) problems.push(`${working} runs working at once by the workers' notes (limit ${limit})`);
  return problems;
}
