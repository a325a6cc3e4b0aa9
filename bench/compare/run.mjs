#!/usr/bin/env node
// The side-by-side comparison: the same chain on tapflow (activity steps), on tapflow with local
// steps (the same spec with `defaults: { local: true }`), on BullMQ (Redis) and on Celery (Redis),
// in one run on this machine. It only prints figures; nothing passes or fails
// on time. The last line printed is one JSON object with every figure.
//
//   npm run bench:compare            (setup, setup-compare, then this)
//   node bench/compare/run.mjs [--steps 1000] [--rounds 3] [--celery-rounds 1] [--pauses 3]
//        [--pause-hold-ms 1000] [--kill-steps 400] [--kill-at 300] [--step-ms 150] [--short-step-ms 10]
//        [--stall-s 120]
//        [--hardened 1] [--tapflow 1] [--tapflow-local 1] [--bullmq 1] [--celery 1]
//
// What it starts: its own redis-server (free port, throwaway dir), a Temporal dev server (as
// bench/common.mjs's startDevServer, like `tapflow dev`), and for each system a worker process
// (the two tapflow sides each their own, on their own task queue); for Celery also a Python
// driver. Three figures per system:
//   1. the chain: `--steps` steps that do nothing but their unit of work; total time (start call
//      to the end seen here, median of `--rounds`, `--celery-rounds` for Celery) and per hop (step
//      i's end to step i+1's start, from the step log), checked to have run every step once, in
//      order, to the right total; for tapflow also what the run's history holds (events and
//      markers per step);
//   2. pause: `--pauses` pause requests spread over one chain, each held `--pause-hold-ms`, then
//      resumed: time to acknowledge and to stop, steps started after the request, and the chain
//      checked to finish right;
//   3. worker kill: a `--kill-steps` chain whose steps take `--step-ms`; the worker's process
//      group is SIGKILLed in the middle of step `--kill-at` and a fresh worker started at once;
//      what happens next is watched until the chain ends or nothing has moved for `--stall-s`.
//      Each system's default settings, and with `--hardened 1` the settings a team adds after
//      losing work (BullMQ and Celery). tapflow local has one more row, its default settings with
//      steps of `--short-step-ms` (0: no such row): how many finished steps a kill runs again
//      depends on how many fit in the work a run does between two of its workflow tasks.
// BENCHMARKS.md, "Against BullMQ and Celery", describes each implementation and reads the figures.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { latencySummary, median, parseArgs, printMachine, round, table } from '../common.mjs';
import { dist, require, startTapflowDevServer } from '../tapflow-dist.mjs';
import { CELERY_PACKAGES, PYTHON_COMPARE_DIR, pythonWithPip, redisServerPath } from '../../scripts/setup-compare.mjs';
import { createBullmqSide } from './bullmq.mjs';
import { createCelerySide } from './celery.mjs';
import { signalGroup, stopAll, stopProcess } from './processes.mjs';
import { startRedis } from './redis-server.mjs';
import { analyseStepLog, expectedTotal, nowMs, readStepLog, StepLogTail, stepList, waitForStepStart } from './steplog.mjs';
import { createTapflowSide } from './tapflow.mjs';


const args = parseArgs(process.argv.slice(2), {
  steps: 1000,
  rounds: 3,
  // A Celery chain carries the rest of the chain in every message, so each 1,000-step round
  // takes minutes here (see BENCHMARKS.md); one round unless asked.
  'celery-rounds': 1,
  pauses: 3,
  'pause-hold-ms': 1000,
  'kill-steps': 400,
  'kill-at': 300,
  'step-ms': 150,
  'short-step-ms': 10,
  'stall-s': 120,
  hardened: 1,
  tapflow: 1,
  'tapflow-local': 1,
  bullmq: 1,
  celery: 1,
});
const CHAIN_TIMEOUT_MS = 30 * 60_000;
const SETTLE_MS = 1000;

function fail(message) {
  console.error(`bench:compare: ${message}`);
  process.exit(2);
}

const redisBinary = redisServerPath();
if (!redisBinary) fail('redis-server is missing; run "node scripts/setup-compare.mjs"');
const python = pythonWithPip();
if (args.celery && (!python || !existsSync(PYTHON_COMPARE_DIR))) fail('Celery is missing; run "node scripts/setup-compare.mjs"');

const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');

// ---------------------------------------------------------------------------------------------
// Machine and servers

const machine = printMachine('tapflow (activity and local steps) against BullMQ and Celery: the same chain, side by side', temporalCliPath());
const uptimeAtStart = uptime();
console.log(`  uptime    ${uptimeAtStart}`);
const versions = {
  redis: execFileSync(redisBinary, ['--version'], { encoding: 'utf8' }).trim(),
  bullmq: JSON.parse(readFileSync(require.resolve('bullmq/package.json'), 'utf8')).version,
  ioredis: JSON.parse(readFileSync(require.resolve('ioredis/package.json'), 'utf8')).version,
  celery: CELERY_PACKAGES.filter((p) => /^(celery|kombu|redis)==/.test(p)).join(', '),
  python: python ? execFileSync(python, ['--version'], { encoding: 'utf8' }).trim() : 'none',
};
console.log(`  redis     ${versions.redis}`);
console.log(`  bullmq    ${versions.bullmq} (ioredis ${versions.ioredis}); celery side: ${versions.celery} on ${versions.python}`);

const tmp = mkdtempSync(join(os.tmpdir(), 'tapflow-compare-'));
let env;
let redis;
const sides = [];
const workers = new Map();
let cleanedUp = false;

async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const w of workers.values()) await stopProcess(w.child);
  for (const side of sides) await side.close().catch((err) => console.error(`closing ${side.name}: ${err.message}`));
  await env?.teardown().catch(() => undefined);
  await redis?.stop();
  await stopAll();
}
process.once('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});

// ---------------------------------------------------------------------------------------------
// The measurements

async function measure() {
  for (const side of sides) await ensureWorker(side, 'default');
  console.log(`\nwarm-up: a 50-step chain on each`);
  for (const side of sides) await runChain(side, 50, 'warmup');

  const chains = Object.fromEntries(sides.map((s) => [s.name, []]));
  const maxRounds = Math.max(args.rounds, args['celery-rounds']);
  for (let r = 0; r < maxRounds; r++) {
    // Rotate who goes first, so no system always meets the machine in the same state.
    const order = sides.map((_, k) => sides[(k + r) % sides.length]);
    for (const side of order) {
      if (r >= (side.name === 'Celery' ? args['celery-rounds'] : args.rounds)) continue;
      await delay(SETTLE_MS);
      const c = await runChain(side, args.steps, `round${r}`);
      chains[side.name].push(c);
      console.log(`  ${side.name.padEnd(13)} round ${r + 1}: ${(c.totalMs / 1000).toFixed(2)} s, hop p50 ${c.hops.p50.toFixed(2)} ms`);
    }
  }

  console.log(`\npause: ${args.pauses} pauses over one ${args.steps}-step chain on each`);
  const pauses = {};
  for (const side of sides) {
    await delay(SETTLE_MS);
    pauses[side.name] = await runPauseChain(side);
  }

  console.log(`\nworker kill: SIGKILL mid-step ${args['kill-at']} of a ${args['kill-steps']}-step chain, steps of ${args['step-ms']} ms`);
  const kills = [];
  for (const side of sides) {
    for (const variant of Object.keys(side.variants)) {
      if (variant === 'hardened' && !args.hardened) continue;
      if (side.variants[variant].shortSteps && !args['short-step-ms']) continue;
      await delay(SETTLE_MS);
      const k = await runKill(side, variant);
      kills.push(k);
      console.log(`  ${killRow(k).padEnd(36)} ${k.finished ? 'finished' : `did not finish (${k.end})`}; a step started after ${fmtSeconds(k.movedAfterMs)}, the next step after ${fmtSeconds(k.nextStepAfterMs)}`);
    }
  }
  return { chains, pauses, kills };
}

/** How the report names a worker-kill row: system, settings, and the step time when not `--step-ms`. */
function killRow(k) {
  return `${k.system} (${k.variant}${k.stepMs === args['step-ms'] ? '' : `: ${k.stepMs} ms`})`;
}

/** Makes sure `side` has a worker of `variant` running (a worker of another variant is stopped first). */
async function ensureWorker(side, variant) {
  const current = workers.get(side.name);
  if (current?.variant === variant && current.child.exitCode === null && current.child.signalCode === null) return current;
  if (current) await stopProcess(current.child);
  const w = side.startWorker(variant);
  w.variant = variant;
  workers.set(side.name, w);
  if ((await w.ready) === undefined) throw new Error(`${side.name}'s worker did not get ready (logs in ${tmp})`);
  return w;
}

let opCount = 0;
const newOp = (side, label) => `${(side.key ?? side.name).toLowerCase()}-${label}-${process.pid}-${++opCount}`;

/** Waits for the chain's event of `type`; any other event (or none within `timeoutMs`) throws. */
async function waitFor(side, op, type, timeoutMs) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const ev = await side.waitEnd(op, Math.min(5000, Math.max(1, deadline - nowMs())));
    if (ev.type === type) return ev;
    if (ev.type !== 'timeout') throw new Error(`${side.name} ${op}: expected "${type}", got ${JSON.stringify(ev)}`);
    if (nowMs() >= deadline) throw new Error(`${side.name} ${op}: no "${type}" within ${timeoutMs} ms`);
  }
}

/** Throws unless the log shows every step once, in order, and the total is right. */
function checkChain(side, op, a, n, total) {
  const problems = [];
  if (!a.inOrder) problems.push('steps did not end exactly once each, in order');
  if (a.lost.length) problems.push(`steps never ended: ${stepList(a.lost)}`);
  if (a.ranTwice.length) problems.push(`steps ran twice: ${stepList(a.ranTwice)}`);
  if (total !== expectedTotal(n)) problems.push(`total ${total}, expected ${expectedTotal(n)}`);
  if (problems.length) throw new Error(`${side.name} ${op}: ${problems.join('; ')}`);
}

/** One n-step chain without pauses: total time, the hops, checked. */
async function runChain(side, n, label) {
  const op = newOp(side, label);
  const log = join(tmp, `${op}.steps`);
  const t0 = await side.start(op, { n, log, sleepMs: 0 });
  const done = await waitFor(side, op, 'done', CHAIN_TIMEOUT_MS);
  const a = analyseStepLog(readStepLog(log), n);
  checkChain(side, op, a, n, done.total);
  // A tenth of the hops at each end: whether a hop costs more while more of the chain is ahead.
  const tenth = Math.max(1, Math.floor(a.hops.length / 10));
  // What the run keeps (tapflow): asked after its time was taken.
  const history = side.history ? await side.history(op) : undefined;
  return {
    ...(history ? { history } : {}),
    totalMs: done.seenAt - t0,
    hops: latencySummary(a.hops),
    hopValues: a.hops,
    firstTenthP50: latencySummary(a.hops.slice(0, tenth)).p50,
    lastTenthP50: latencySummary(a.hops.slice(-tenth)).p50,
  };
}

/** One n-step chain paused `--pauses` times (each held, then resumed); what each pause did. */
async function runPauseChain(side) {
  const n = args.steps;
  const op = newOp(side, 'pause');
  const log = join(tmp, `${op}.steps`);
  const tail = new StepLogTail(log);
  const lines = [];
  const samples = [];
  const windows = [];
  await side.start(op, { n, log, sleepMs: 0 });
  for (let k = 1; k <= args.pauses; k++) {
    const at = Math.floor((k * n) / (args.pauses + 1));
    await waitForStepStart(tail, at, { seen: lines, timeoutMs: CHAIN_TIMEOUT_MS });
    const asked = await side.pause(op);
    const stoppedAt = asked.pausedAt ?? (await waitFor(side, op, 'paused', 120_000)).t;
    await delay(args['pause-hold-ms']);
    lines.push(...tail.poll());
    const resumedAt = await side.resume(op);
    const next = await waitForStepStart(tail, 0, { seen: lines, timeoutMs: 120_000 });
    const startedAfterRequest = lines.filter((l) => l.kind === 'S' && l.t > asked.t && l.t < resumedAt);
    const ackedAt = asked.t + asked.ackMs;
    samples.push({
      requestedAtStep: Math.max(...lines.filter((l) => l.kind === 'S' && l.t <= asked.t).map((l) => l.i)),
      ack: asked.ack,
      ackMs: asked.ackMs,
      stoppedMs: stoppedAt - asked.t,
      stepsStartedAfterRequest: startedAfterRequest.length,
      stepsStartedAfterAck: startedAfterRequest.filter((l) => l.t > ackedAt).length,
      stepsStartedWhilePaused: startedAfterRequest.filter((l) => l.t > stoppedAt).length,
      resumeToNextStepMs: next.t - resumedAt,
    });
    windows.push([asked.t, next.t]);
  }
  const done = await waitFor(side, op, 'done', CHAIN_TIMEOUT_MS);
  lines.push(...tail.poll());
  const a = analyseStepLog(lines, n, windows);
  checkChain(side, op, a, n, done.total);
  console.log(`  ${side.name.padEnd(13)} stopped after ${samples.map((s) => `${s.stoppedMs.toFixed(1)} ms`).join(', ')}; finished right (total ${done.total})`);
  return { samples, finishedRight: true, total: done.total, hops: latencySummary(a.hops), hopValues: a.hops };
}

/** The worker-kill figure for one system and settings variant. */
async function runKill(side, variant) {
  const n = args['kill-steps'];
  const stepMs = side.variants[variant].shortSteps ? args['short-step-ms'] : args['step-ms'];
  const worker = await ensureWorker(side, variant);
  const op = newOp(side, `kill-${variant}`);
  const log = join(tmp, `${op}.steps`);
  const tail = new StepLogTail(log);
  const lines = [];
  const t0 = await side.start(op, { n, log, sleepMs: stepMs, variant });
  const hit = await waitForStepStart(tail, args['kill-at'], { seen: lines, pollMs: 1, timeoutMs: CHAIN_TIMEOUT_MS });
  await delay(Math.max(0, hit.t + stepMs / 2 - nowMs()));
  const killedAt = nowMs();
  signalGroup(worker.child, 'SIGKILL');
  await worker.child.exited;
  const killedStep = Math.max(...[...lines, ...tail.poll()].filter((l) => l.kind === 'S' && l.t <= killedAt).map((l) => l.i));
  // A fresh worker at once, as an orchestrator restarting the crashed one would.
  const fresh = side.startWorker(variant);
  fresh.variant = variant;
  workers.set(side.name, fresh);
  let readyAt;
  void fresh.ready.then((t) => (readyAt = t));
  let lastProgress = nowMs();
  let movedAt;
  let end;
  for (;;) {
    const ev = await side.waitEnd(op, 200);
    const fresher = tail.poll();
    lines.push(...fresher);
    if (fresher.length) lastProgress = nowMs();
    movedAt ??= fresher.find((l) => l.kind === 'S' && l.t > killedAt)?.t;
    if (ev.type === 'done' || ev.type === 'failed') {
      end = ev;
      break;
    }
    if (nowMs() - lastProgress > args['stall-s'] * 1000) {
      end = { type: 'stalled' };
      break;
    }
  }
  lines.push(...tail.poll());
  if (end.type !== 'done') await side.abandon(op);
  const a = analyseStepLog(lines, n);
  // The chain's pace just before the kill (start to start, median of the last 20 steps), to tell
  // how late the step after the killed one started from when it would have started anyway.
  const firstStarts = new Map();
  for (const l of lines) if (l.kind === 'S' && !firstStarts.has(l.i)) firstStarts.set(l.i, l.t);
  const recent = [...Array(killedStep).keys()].filter((i) => i >= Math.max(1, killedStep - 20));
  const period = median(recent.map((i) => firstStarts.get(i) - firstStarts.get(i - 1)));
  const nextStep = lines.find((l) => l.kind === 'S' && l.i === killedStep + 1);
  const doneAfterKillMs = end.type === 'done' ? end.seenAt - killedAt : null;
  const timeouts = side.timeouts ? await side.timeouts(op, killedAt) : undefined;
  return {
    system: side.name,
    variant,
    settings: side.variants[variant].text,
    stepMs,
    killedStep,
    killedAfterStepStartMs: killedAt - hit.t,
    workerReadyMs: readyAt === undefined ? null : readyAt - killedAt,
    movedAfterMs: movedAt === undefined ? null : movedAt - killedAt,
    nextStepAfterMs: nextStep ? nextStep.t - killedAt : null,
    periodMs: period,
    finished: end.type === 'done',
    end: end.type === 'done' ? 'done' : end.type === 'failed' ? `failed: ${end.error}` : `nothing moved for ${args['stall-s']} s`,
    totalRight: end.type === 'done' && end.total === expectedTotal(n),
    doneAfterKillMs,
    // How much later than at the pace before the kill the step after the killed one started.
    lateMs: nextStep ? nextStep.t - (hit.t + period) : null,
    chainMs: end.type === 'done' ? end.seenAt - t0 : null,
    lost: a.lost,
    startedTwice: a.startedTwice,
    ranTwice: a.ranTwice,
    ...(timeouts ? { timeouts } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The report

function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

function fmtSeconds(ms) {
  return ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(2)} ms` : '-');

function printReport({ chains, pauses, kills }) {
  const names = sides.map((s) => s.name);
  const perSystem = {};
  for (const name of names) {
    const rounds = chains[name];
    const allHops = [...rounds.flatMap((c) => c.hopValues), ...pauses[name].hopValues];
    const hops = latencySummary(allHops);
    const s = pauses[name].samples;
    perSystem[name] = {
      chainSeconds: round(median(rounds.map((c) => c.totalMs)) / 1000, 3),
      chainRoundsSeconds: rounds.map((c) => round(c.totalMs / 1000, 3)),
      msPerStep: round(median(rounds.map((c) => c.totalMs)) / args.steps, 2),
      hopP50Ms: round(hops.p50, 2),
      hopP99Ms: round(hops.p99, 2),
      hopMaxMs: round(hops.max, 2),
      hopSamples: hops.n,
      hopFirstTenthP50Ms: round(median(rounds.map((c) => c.firstTenthP50)), 2),
      hopLastTenthP50Ms: round(median(rounds.map((c) => c.lastTenthP50)), 2),
      pauseAckMs: s.map((x) => round(x.ackMs, 2)),
      pauseAck: s.map((x) => x.ack),
      pauseStoppedMs: s.map((x) => round(x.stoppedMs, 2)),
      pauseStepsStartedAfterRequest: s.map((x) => x.stepsStartedAfterRequest),
      pauseStepsStartedAfterAck: s.map((x) => x.stepsStartedAfterAck),
      pauseStepsStartedWhilePaused: s.map((x) => x.stepsStartedWhilePaused),
      resumeToNextStepMs: s.map((x) => round(x.resumeToNextStepMs, 2)),
      pauseFinishedRight: pauses[name].finishedRight,
    };
    const histories = rounds.map((c) => c.history).filter(Boolean);
    if (histories.length) {
      // Every round of a chain keeps the same history, give or take a workflow task: the median.
      perSystem[name].historyEventsPerStep = round(median(histories.map((h) => h.events)) / args.steps, 2);
      perSystem[name].historyMarkersPerStep = round(median(histories.map((h) => h.markers)) / args.steps, 2);
      perSystem[name].historyExecutions = Math.max(...histories.map((h) => h.executions));
    }
  }

  console.log(`\nThe chain: ${args.steps} steps, each adds its index to the total (median of ${args.rounds} rounds; Celery ${args['celery-rounds']})`);
  const col = (f) => names.map((n) => f(perSystem[n]));
  table(
    ['', ...names],
    [
      ['total time (median)', ...col((p) => `${p.chainSeconds.toFixed(2)} s`)],
      ['rounds (s)', ...col((p) => p.chainRoundsSeconds.map((x) => x.toFixed(2)).join(', '))],
      ['per step (total / steps)', ...col((p) => `${p.msPerStep.toFixed(2)} ms`)],
      ['hop: step end -> next start, p50', ...col((p) => fmtMs(p.hopP50Ms))],
      ['hop p99', ...col((p) => fmtMs(p.hopP99Ms))],
      ['hop max', ...col((p) => fmtMs(p.hopMaxMs))],
      ['hop p50, first tenth of the chain', ...col((p) => fmtMs(p.hopFirstTenthP50Ms))],
      ['hop p50, last tenth of the chain', ...col((p) => fmtMs(p.hopLastTenthP50Ms))],
      ['every step once, in order, right total', ...col(() => 'yes')],
      ['history events per step (of them markers)', ...col((p) => (p.historyEventsPerStep === undefined ? '-' : `${p.historyEventsPerStep.toFixed(2)} (${p.historyMarkersPerStep.toFixed(2)})`))],
    ],
  );

  console.log(`\nPause between steps: ${args.pauses} pauses over one chain, each held ${args['pause-hold-ms']} ms, then resumed`);
  const list = (xs, f = (x) => x.toFixed(1)) => xs.map(f).join(', ');
  table(
    ['', ...names],
    [
      ['request -> acknowledged (ms)', ...col((p) => list(p.pauseAckMs))],
      ['acknowledged as', ...col((p) => [...new Set(p.pauseAck)].join('/'))],
      ['request -> chain stopped (ms)', ...col((p) => list(p.pauseStoppedMs))],
      ['steps started after the request', ...col((p) => p.pauseStepsStartedAfterRequest.join(', '))],
      ['steps started after the ack', ...col((p) => p.pauseStepsStartedAfterAck.join(', '))],
      ['steps started while paused', ...col((p) => p.pauseStepsStartedWhilePaused.join(', '))],
      ['resume -> next step starts (ms)', ...col((p) => list(p.resumeToNextStepMs))],
      ['finished, every step once, right total', ...col((p) => (p.pauseFinishedRight ? 'yes' : 'NO'))],
    ],
  );

  console.log(`\nWorker killed (SIGKILL to its process group) mid-step ${args['kill-at']} of ${args['kill-steps']}, steps of ${args['step-ms']} ms; a fresh worker started at once`);
  table(
    ['system (settings)', 'killed in step', 'new worker ready', 'a step starts', 'next step starts', 'finished', 'steps lost', 'started twice', 'ran twice', 'kill -> done', 'next step late by'],
    kills.map((k) => [
      killRow(k),
      k.killedStep,
      fmtSeconds(k.workerReadyMs),
      fmtSeconds(k.movedAfterMs),
      fmtSeconds(k.nextStepAfterMs),
      k.finished ? (k.totalRight ? 'yes, right total' : 'yes, WRONG total') : `no: ${k.end}`,
      stepList(k.lost),
      stepList(k.startedTwice),
      stepList(k.ranTwice),
      fmtSeconds(k.doneAfterKillMs),
      fmtSeconds(k.lateMs),
    ]),
  );
  console.log('  (times from the kill; "a step starts": any step, the killed one again included; "next step late by": how much');
  console.log('   later the step after the killed one started than it would have at the pace of the 20 steps before the kill)');
  for (const k of kills.filter((x) => x.timeouts)) {
    const list = k.timeouts.map((x) => `${x.kind} ${x.timeoutType} at +${(x.atMs / 1000).toFixed(2)} s`).join(', ');
    console.log(`  ${killRow(k)}: timeouts in the run's history, from the kill: ${list || 'none'}`);
  }
  console.log('  settings:');
  for (const k of kills) console.log(`    ${killRow(k)}: ${k.settings}`);

  const uptimeAtEnd = uptime();
  console.log(`\n  uptime at end: ${uptimeAtEnd}`);
  const json = {
    steps: args.steps,
    rounds: args.rounds,
    celeryRounds: args['celery-rounds'],
    pauses: args.pauses,
    pauseHoldMs: args['pause-hold-ms'],
    killSteps: args['kill-steps'],
    killAt: args['kill-at'],
    stepMs: args['step-ms'],
    shortStepMs: args['short-step-ms'],
    stallSeconds: args['stall-s'],
    // One key per system: tapflow, tapflowLocal, bullmq, celery.
    ...Object.fromEntries(sides.map((s) => [s.key ?? s.name.toLowerCase(), perSystem[s.name]])),
    kills: kills.map((k) => ({
      ...k,
      workerReadyMs: k.workerReadyMs === null ? null : round(k.workerReadyMs, 0),
      movedAfterMs: k.movedAfterMs === null ? null : round(k.movedAfterMs, 0),
      nextStepAfterMs: k.nextStepAfterMs === null ? null : round(k.nextStepAfterMs, 0),
      periodMs: round(k.periodMs, 1),
      lateMs: k.lateMs === null ? null : round(k.lateMs, 0),
      doneAfterKillMs: k.doneAfterKillMs === null ? null : round(k.doneAfterKillMs, 0),
      chainMs: k.chainMs === null ? null : round(k.chainMs, 0),
      killedAfterStepStartMs: round(k.killedAfterStepStartMs, 1),
      lost: k.lost.length,
      startedTwice: k.startedTwice,
      ranTwice: k.ranTwice,
    })),
    server: 'temporal server start-dev, in memory, log level warn, history.transferProcessorMaxPollRPS=10000',
    versions,
    machine,
    uptimeAtStart,
    uptimeAtEnd,
  };
  console.log(JSON.stringify(json));
}

// ---------------------------------------------------------------------------------------------
// Main

/** Starts the servers and sides, measures, cleans up, prints; exits 1 on an error (logs kept). */
async function main() {
  let report;
  try {
    redis = await startRedis(redisBinary, tmp);
    ({ env } = await startTapflowDevServer({ transferPollRps: 10_000 }));
    if (args.tapflow) sides.push(createTapflowSide({ env, dir: tmp }));
    if (args['tapflow-local']) sides.push(createTapflowSide({ env, dir: tmp, local: true }));
    if (args.bullmq) sides.push(await createBullmqSide({ redisUrl: redis.url, dir: tmp }));
    if (args.celery) sides.push(await createCelerySide({ redisUrl: redis.url, dir: tmp, python, pythonPath: PYTHON_COMPARE_DIR }));
    report = await measure();
  } catch (err) {
    console.error(`bench:compare: ${err.stack ?? err.message}`);
    console.error(`  worker and server logs kept in ${tmp}`);
    await cleanUp();
    process.exit(1);
  }
  await cleanUp();
  rmSync(tmp, { recursive: true, force: true });
  printReport(report);
}

await main();
