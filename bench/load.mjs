#!/usr/bin/env node
// tapflow's load benchmark: many runs of a 10-node pipeline started at once, side by side with the
// same load of hand-written workflows, on one dev server (a SQLite file, as `tapflow dev` uses)
// and one in-process worker. Reports runs a second, each run's start-to-end latency, and how many
// runs completed or were lost; then one round with the run store on, checked row by row. With
// --sweep it also measures the engine under several dev server and worker settings. It only
// prints; it never passes or fails on time. The last line of output is one JSON object with every
// figure.
//
//   npm run build && node bench/load.mjs [--runs N] [--rounds N] [--start-concurrency N]
//                                        [--store-runs N] [--warmup-runs N] [--timeout-s N]
//                                        [--config NAME] [--sweep NAME,NAME,...|all] [--sweep-runs N]
//
// What runs and how is written up in BENCHMARKS.md, "1,000 concurrent runs".
import {
  fmtS,
  latencySummary,
  machineCpuTicks,
  mapLimited,
  median,
  parseArgs,
  printMachine,
  processTreeCpuSeconds,
  round,
  SETTLE_MS,
  table,
  WORKER_OPTIONS,
} from './common.mjs';
import { bundleBenchWorkflows, dist, require, startTapflowDevServer } from './tapflow-dist.mjs';
import { startThrowawayStore } from './throwaway-store.mjs';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const { WorkflowNotFoundError } = require('@temporalio/client');
const { createWorker } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');

// ---------------------------------------------------------------------------------------------
// Settings

/** The pragmas that put the dev server's SQLite file in WAL mode with fsync at checkpoints only. */
const WAL = ['journal_mode=wal', 'synchronous=normal'];
const pollers = (n) => ({
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: n },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: n },
});

/**
 * The settings the benchmark can run under: the dev server's persistence and
 * `history.transferProcessorMaxPollRPS` (`transferPollRps`, 0 for the server's own 20), and worker
 * options over WORKER_OPTIONS. `file-wal` is what `tapflow dev` uses.
 */
const CONFIGS = {
  memory: { what: 'in memory (the other benchmarks)', file: false },
  file: { what: 'file, SQLite defaults (rollback journal, synchronous=full)', file: true },
  'file-wal-full': { what: 'file, journal_mode=wal (synchronous=full)', file: true, pragmas: ['journal_mode=wal'] },
  'file-wal': { what: 'file, journal_mode=wal + synchronous=normal (tapflow dev)', file: true, pragmas: WAL },
  'file-sync-off': { what: 'file, synchronous=off (unsafe: reference only)', file: true, pragmas: ['synchronous=off'] },
  'wal-poll-20': { what: 'file-wal, transferProcessorMaxPollRPS 20 (server default)', file: true, pragmas: WAL, transferPollRps: 0 },
  'wal-wft-10': { what: 'file-wal, maxConcurrentWorkflowTaskExecutions 10', file: true, pragmas: WAL, worker: { maxConcurrentWorkflowTaskExecutions: 10 } },
  'wal-wft-100': { what: 'file-wal, maxConcurrentWorkflowTaskExecutions 100', file: true, pragmas: WAL, worker: { maxConcurrentWorkflowTaskExecutions: 100 } },
  'wal-cache-100': { what: 'file-wal, maxCachedWorkflows 100', file: true, pragmas: WAL, worker: { maxCachedWorkflows: 100 } },
  'wal-pollers-2': { what: 'file-wal, 2 workflow + 2 activity pollers', file: true, pragmas: WAL, worker: pollers(2) },
  'wal-pollers-40': { what: 'file-wal, 40 workflow + 40 activity pollers', file: true, pragmas: WAL, worker: pollers(40) },
};
const DEFAULT_TRANSFER_POLL_RPS = 10000;

const args = parseArgs(process.argv.slice(2), {
  runs: 1000, // runs per measured round, started at once
  // Measured rounds of engine and baseline. Two, so that each goes first once: the second of a
  // pair meets a bigger database and a warmer machine. Each round is already a mean over every run.
  rounds: 2,
  'start-concurrency': 100, // start calls in flight at once (each run's result is awaited as soon as it has started)
  'store-runs': -1, // runs of the store-on round; -1: as many as --runs, 0: no store round
  'warmup-runs': 50, // runs of each kind before anything is measured (not counted)
  // A round's runs not done by then count as lost (stuck). Past the 10-minute start-to-close
  // timeout of a node, so a run whose activity task went missing is retried and shows as slow.
  'timeout-s': 900,
  config: 'file-wal', // the settings of the side-by-side rounds (see CONFIGS)
  sweep: '', // settings to measure the engine under, one round each: a comma list or "all" (empty: none)
  'sweep-runs': 0, // runs per sweep round; 0: as many as --runs
});
const sweepNames = args.sweep === '' ? [] : args.sweep === 'all' ? Object.keys(CONFIGS) : args.sweep.split(',').map((s) => s.trim());
for (const name of [args.config, ...sweepNames]) {
  if (!(name in CONFIGS)) {
    console.error(`bench: unknown setting "${name}"; settings: ${Object.keys(CONFIGS).join(', ')}`);
    process.exit(2);
  }
}
const storeRuns = args['store-runs'] < 0 ? args.runs : args['store-runs'];
const sweepRuns = args['sweep-runs'] > 0 ? args['sweep-runs'] : args.runs;
const TASK_QUEUE = 'tapflow-bench-load';
const STORE_QUEUE = 'tapflow-bench-load-store';

/**
 * The pipeline: 10 `noop` nodes, a fan-out and a fan-in: a -> b, c, d, e -> f -> g, h -> i -> j.
 * Each stage needs the whole stage before it, so the baseline's stages run in the engine's order.
 */
const STAGES = [['a'], ['b', 'c', 'd', 'e'], ['f'], ['g', 'h'], ['i'], ['j']].map((stage, s, all) =>
  stage.map((id) => ({ id, needs: s === 0 ? [] : all[s - 1] })),
);
const SPEC = { name: 'bench-load', nodes: STAGES.flat().map(({ id, needs }) => (needs.length ? { id, activity: 'noop', needs } : { id, activity: 'noop' })) };
const LEAF = 'j';
/** Runs of each round whose histories are read for the events-by-type breakdown. */
const EVENT_SAMPLE = 20;
/** The slowest runs of each round whose histories are searched for their longest wait. */
const SLOW_SAMPLE = 5;
/** A wait in a history longer than this is printed (with the slowest runs). */
const SLOW_GAP_MS = 30_000;
const NODES = SPEC.nodes.length;

// ---------------------------------------------------------------------------------------------
// Helpers

let seq = 0;
const newId = (prefix) => `load-${prefix}-${process.pid}-${++seq}`;

/** The pid of the dev server listening on `address` (found by its command line); undefined without /proc. */
function devServerPid(address) {
  const port = address.split(':').pop();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmd;
      try {
        cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        continue;
      }
      const at = cmd.indexOf('--port');
      if (cmd.includes('start-dev') && at >= 0 && cmd[at + 1] === port) return Number(entry);
    }
  } catch {
    // no /proc
  }
  return undefined;
}

const fileBytes = (path) => (path && existsSync(path) ? statSync(path).size : 0);
const mib = (bytes) => round(bytes / 2 ** 20, 1);

/** CPU so far: the dev server's, this process's (worker and client), the machine's. */
function cpuNow(setup) {
  const u = process.cpuUsage();
  return { server: processTreeCpuSeconds(setup.serverPid), self: (u.user + u.system) / 1e6, machine: machineCpuTicks(), at: performance.now() };
}

/**
 * Waits SETTLE_MS, then until the dev server has used less than 0.1 of a core over one second
 * (its background queues have drained after the previous round), at most 30 s.
 */
async function settle(setup) {
  await delay(SETTLE_MS);
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const before = processTreeCpuSeconds(setup.serverPid);
    await delay(1000);
    const used = processTreeCpuSeconds(setup.serverPid) - before;
    if (!(used >= 0.1)) return; // NaN (no /proc) ends the wait too
  }
}

// ---------------------------------------------------------------------------------------------
// Server and worker

const m = printMachine('tapflow load benchmark', temporalCliPath());
const loadAtStart = os.loadavg()[0];
const { code } = await bundleBenchWorkflows();

/** Starts a dev server (a fresh database) and a worker for the named settings. */
async function openSetup(name) {
  const config = CONFIGS[name];
  const dir = mkdtempSync(join(os.tmpdir(), 'tapflow-load-'));
  const dbFilename = config.file ? join(dir, 'temporal.db') : undefined;
  const transferPollRps = config.transferPollRps ?? DEFAULT_TRANSFER_POLL_RPS;
  const { env, extraArgs } = await startTapflowDevServer({
    transferPollRps,
    dbFilename,
    sqlitePragmas: config.pragmas ?? [],
  });
  const workerOptions = { ...WORKER_OPTIONS, ...config.worker };
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workerOptions: { ...workerOptions, workflowBundle: { code }, workflowsPath: undefined },
  });
  const serverDesc =
    `temporal server start-dev, ${config.file ? 'SQLite file' : 'in memory'}` +
    `${config.pragmas?.length ? `, ${config.pragmas.join(', ')}` : ''}, log level warn, ` +
    `history.transferProcessorMaxPollRPS=${transferPollRps || '20 (default)'}`;
  const workerDesc =
    `maxConcurrentWorkflowTaskExecutions ${workerOptions.maxConcurrentWorkflowTaskExecutions}, ` +
    `maxConcurrentActivityTaskExecutions ${workerOptions.maxConcurrentActivityTaskExecutions}, maxCachedWorkflows ${workerOptions.maxCachedWorkflows}, ` +
    `workflow/activity pollers ${workerOptions.workflowTaskPollerBehavior.maximum}/${workerOptions.activityTaskPollerBehavior.maximum}`;
  return {
    name,
    config,
    dir,
    dbFilename,
    env,
    extraArgs,
    serverPid: devServerPid(env.address),
    worker,
    tf: new TapflowClient(env.client, { taskQueue: TASK_QUEUE }),
    serverDesc,
    workerDesc,
  };
}

/** Stops the dev server and removes its database; resolves to the database's size at the end (MiB). */
async function closeSetup(setup) {
  const db = { dbMiB: mib(fileBytes(setup.dbFilename)), walMiB: mib(fileBytes(setup.dbFilename && `${setup.dbFilename}-wal`)) };
  await setup.env.teardown();
  rmSync(setup.dir, { recursive: true, force: true });
  return db;
}

// ---------------------------------------------------------------------------------------------
// One round

/**
 * Starts `n` runs at once (`start-concurrency` start calls in flight), awaits each run's result
 * from the moment it has started, then asks Temporal about every run. `side` is `engine` (the
 * pipeline through `TapflowClient`) or `baseline` (`baselineStagesWorkflow`).
 */
async function loadRound(setup, side, n, { tf = setup.tf, taskQueue = TASK_QUEUE, label = side } = {}) {
  await settle(setup);
  const client = setup.env.client;
  const ids = Array.from({ length: n }, () => newId(label.replaceAll(' ', '-')));
  const startAt = new Array(n);
  const endAt = new Array(n);
  const outcome = new Array(n).fill('not started');
  // Waits still open at the deadline are aborted (their runs count as not done in time).
  const deadline = new AbortController();
  setMaxListeners(0, deadline.signal); // one listener per open wait
  const timer = setTimeout(() => deadline.abort(), args['timeout-s'] * 1000);
  const waitEnd = async (i) => {
    const result = client.withAbortSignal(deadline.signal, () =>
      side === 'engine' ? tf.result(ids[i], { wait: true }) : client.workflow.getHandle(ids[i]).result(),
    );
    const r = await result.then((value) => ({ value }), (error) => ({ error }));
    if (deadline.signal.aborted && r.error) {
      outcome[i] = 'not done in time';
      return;
    }
    endAt[i] = performance.now();
    if (r.error) outcome[i] = `failed: ${r.error.message}`;
    else outcome[i] = r.value && LEAF in r.value ? 'ok' : 'no result';
  };

  const before = cpuNow(setup);
  const t0 = performance.now();
  const waits = [];
  let lastStarted = t0;
  await mapLimited(ids, args['start-concurrency'], async (id, i) => {
    startAt[i] = performance.now();
    try {
      if (side === 'engine') await tf.startRun(SPEC, { id, taskQueue });
      else await client.workflow.start('baselineStagesWorkflow', { taskQueue, workflowId: id, args: [STAGES] });
    } catch (err) {
      outcome[i] = `start failed: ${err.message}`;
      return;
    }
    lastStarted = performance.now();
    outcome[i] = 'started';
    waits.push(waitEnd(i));
  });
  await Promise.all(waits);
  clearTimeout(timer);
  const after = cpuNow(setup);

  // What Temporal says about every run: its status, history length, start and close times.
  const described = await mapLimited(ids, 50, async (id) => {
    try {
      const d = await client.workflow.getHandle(id).describe();
      const r = { status: d.status.name, events: d.historyLength, start: d.startTime?.getTime(), close: d.closeTime?.getTime() };
      if (r.status === 'RUNNING') r.raw = d.raw;
      return r;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
      return { status: `DESCRIBE_FAILED: ${err.message}` };
    }
  });
  // Where the events go: the history of a sample of the runs, by event type (per run).
  const sample = ids.filter((_, i) => described[i].status === 'COMPLETED').slice(0, EVENT_SAMPLE);
  const eventsByType = {};
  await mapLimited(sample, 10, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    for (const e of events) {
      const type = String(e.attributes).replace(/EventAttributes$/, '');
      eventsByType[type] = (eventsByType[type] ?? 0) + 1 / sample.length;
    }
  });
  const lostBy = {};
  const latencies = [];
  let completed = 0;
  let lastEnd = t0;
  for (let i = 0; i < n; i++) {
    const ok = outcome[i] === 'ok' && described[i].status === 'COMPLETED';
    if (ok) {
      completed++;
      latencies.push(endAt[i] - startAt[i]);
      lastEnd = Math.max(lastEnd, endAt[i]);
    } else {
      const why = `${outcome[i]} / ${described[i].status}`;
      lostBy[why] = (lostBy[why] ?? 0) + 1;
    }
  }
  // Why runs are still running, for the first few: what they wait for.
  const stuck = described.map((d, i) => ({ id: ids[i], raw: d.raw })).filter((d) => d.raw).slice(0, 5);
  for (const { id, raw } of stuck) {
    const when = (t) => (t ? new Date(Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6)).toISOString() : '-');
    const acts = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityId} ${a.activityType?.name} state ${a.state} attempt ${a.attempt} scheduled ${when(a.scheduledTime)} started ${when(a.lastStartedTime)}`,
    );
    const wft = raw.pendingWorkflowTask ? `workflow task state ${raw.pendingWorkflowTask.state} attempt ${raw.pendingWorkflowTask.attempt} scheduled ${when(raw.pendingWorkflowTask.scheduledTime)}` : 'no workflow task';
    console.log(`    still running: ${id}, ${raw.workflowExecutionInfo?.historyLength} events; ${wft}; pending activities: ${acts.join('; ') || 'none'}`);
  }
  // The slowest runs: the longest wait in each one's history, and any activity attempt after the first.
  const slowest = ids
    .map((id, i) => ({ id, ms: outcome[i] === 'ok' ? endAt[i] - startAt[i] : Number.NaN }))
    .filter((x) => x.ms >= 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOW_SAMPLE);
  const slow = await mapLimited(slowest, 5, async ({ id, ms }) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    const t = (e) => Number(e.eventTime.seconds) * 1000 + (e.eventTime.nanos ?? 0) / 1e6;
    const type = (e) => (e ? String(e.attributes).replace(/EventAttributes$/, '') : '-');
    let gap = { ms: 0, after: '-', from: '-', to: '-' };
    for (let k = 1; k < events.length; k++) {
      const d = t(events[k]) - t(events[k - 1]);
      if (d > gap.ms) gap = { ms: d, after: type(events[k - 2]), from: type(events[k - 1]), to: type(events[k]) };
    }
    const retries = events
      .filter((e) => e.attributes === 'activityTaskStartedEventAttributes' && e.activityTaskStartedEventAttributes.attempt > 1)
      .map((e) => ({ attempt: e.activityTaskStartedEventAttributes.attempt, lastFailure: e.activityTaskStartedEventAttributes.lastFailure?.message ?? '' }));
    return { id, latencyMs: Math.round(ms), longestGapMs: Math.round(gap.ms), gapAfter: gap.after, gapFrom: gap.from, gapTo: gap.to, retries };
  });
  if (slow[0] && slow[0].longestGapMs > SLOW_GAP_MS) {
    for (const x of slow) {
      console.log(
        `    slow run ${x.id}: ${fmtS(x.latencyMs)}; longest wait ${fmtS(x.longestGapMs)} (${x.gapAfter}, ${x.gapFrom} -> ${x.gapTo})` +
          `${x.retries.length ? `; activity retries: ${x.retries.map((r) => `attempt ${r.attempt} after "${r.lastFailure}"`).join(', ')}` : ''}`,
      );
    }
  }
  const closed = described.filter((d) => d.status === 'COMPLETED');
  const serverSpanMs = closed.length ? Math.max(...closed.map((d) => d.close)) - Math.min(...closed.map((d) => d.start)) : Number.NaN;
  const wallMs = lastEnd - t0;
  const busy = after.machine && before.machine ? (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total) : Number.NaN;
  const r = {
    side: label,
    runs: n,
    completed,
    lost: n - completed,
    lostBy,
    wallMs,
    runsPerSecond: completed / (wallMs / 1000),
    startsMs: lastStarted - t0,
    latency: latencySummary(latencies),
    serverRunsPerSecond: closed.length / (serverSpanMs / 1000),
    serverLatency: latencySummary(closed.map((d) => d.close - d.start)),
    eventsPerRun: closed.reduce((a, d) => a + Number(d.events), 0) / Math.max(1, closed.length),
    eventsByType,
    slow,
    serverCpuMsPerRun: ((after.server - before.server) * 1000) / n,
    selfCpuMsPerRun: ((after.self - before.self) * 1000) / n,
    busyCores: busy * os.cpus().length,
    load: os.loadavg()[0],
    ids,
  };
  console.log(
    `  ${label.padEnd(9)} ${n} runs: ${r.runsPerSecond.toFixed(1)} runs/s (${(wallMs / 1000).toFixed(2)} s, starts ${(r.startsMs / 1000).toFixed(2)} s), ` +
      `latency p50 ${fmtS(r.latency.p50)} p99 ${fmtS(r.latency.p99)} max ${fmtS(r.latency.max)}, completed ${completed}, lost ${r.lost}` +
      `${r.lost ? ` ${JSON.stringify(lostBy)}` : ''}; server CPU ${r.serverCpuMsPerRun.toFixed(1)} ms/run, ` +
      `this process ${r.selfCpuMsPerRun.toFixed(1)} ms/run, ${r.busyCores.toFixed(2)} cores busy; load ${r.load.toFixed(2)}`,
  );
  return r;
}

// ---------------------------------------------------------------------------------------------
// The side-by-side rounds, and the store round

async function sideBySide() {
  const setup = await openSetup(args.config);
  console.log(`side by side, settings "${args.config}"`);
  console.log(`  server    ${setup.serverDesc}`);
  console.log(`  worker    in-process, task queue ${TASK_QUEUE}; ${setup.workerDesc}`);
  console.log(
    `  plan      ${args.runs} runs of the 10-node pipeline (a -> b,c,d,e -> f -> g,h -> i -> j), then ${args.runs} of baselineStagesWorkflow, ` +
      `${args.rounds} rounds, alternating which goes first; ${args['start-concurrency']} start calls in flight; then ${storeRuns || 'no'} runs with the run store on`,
  );
  const rounds = { engine: [], baseline: [] };
  let store;
  try {
    await setup.worker.runUntil(async () => {
      console.log(`warm-up: ${args['warmup-runs']} runs each, not counted`);
      await loadRound(setup, 'engine', args['warmup-runs']);
      await loadRound(setup, 'baseline', args['warmup-runs']);
      console.log('');
      for (let r = 0; r < args.rounds; r++) {
        console.log(`round ${r + 1}/${args.rounds}`);
        const order = r % 2 === 0 ? ['engine', 'baseline'] : ['baseline', 'engine'];
        for (const side of order) rounds[side].push(await loadRound(setup, side, args.runs));
      }
      console.log('');
      if (storeRuns > 0) store = await storeRound(setup);
    });
  } finally {
    setup.db = await closeSetup(setup);
  }
  return { setup, rounds, store };
}

/**
 * The engine on a second worker with the run store on (an embedded PostgreSQL, migrated, the
 * attempt recorder and the run rows, as a deployment records them); then every run's row and
 * attempt rows are checked against what the runs did.
 */
async function storeRound(setup) {
  console.log(`store: ${storeRuns} runs on a worker with the run store on (embedded PostgreSQL), then every run's rows checked`);
  const store = await startThrowawayStore();
  const { pg, pool, recorder } = store;
  try {
    const storeWorker = await createWorker({
      connection: setup.env.nativeConnection,
      taskQueue: STORE_QUEUE,
      store: { pool, recorder },
      workerOptions: { ...WORKER_OPTIONS, ...setup.config.worker, workflowBundle: { code }, workflowsPath: undefined },
    });
    const tfStore = new TapflowClient(setup.env.client, { taskQueue: STORE_QUEUE });
    const pgBefore = processTreeCpuSeconds(pg.pid);
    const result = await storeWorker.runUntil(async () => {
      await loadRound(setup, 'engine', args['warmup-runs'], { tf: tfStore, taskQueue: STORE_QUEUE, label: 'store-warm' });
      return loadRound(setup, 'engine', storeRuns, { tf: tfStore, taskQueue: STORE_QUEUE, label: 'store on' });
    });
    await recorder.drain();
    const pgCpuMsPerRun = ((processTreeCpuSeconds(pg.pid) - pgBefore) * 1000) / storeRuns;
    // The system of record: every run's row completed, with its 10 node attempts completed.
    const runRows = (
      await pool.query('SELECT state, count(*)::int AS n FROM tapflow.runs WHERE workflow_id = ANY($1) GROUP BY state', [result.ids])
    ).rows;
    const attemptRows = (
      await pool.query(
        `SELECT workflow_id, count(*)::int AS rows, count(*) FILTER (WHERE outcome = 'completed')::int AS completed
           FROM tapflow.node_attempts WHERE workflow_id = ANY($1) GROUP BY workflow_id`,
        [result.ids],
      )
    ).rows;
    const byState = Object.fromEntries(runRows.map((row) => [row.state, row.n]));
    const fullRuns = attemptRows.filter((row) => row.rows === NODES && row.completed === NODES).length;
    const check = {
      runRows: runRows.reduce((a, row) => a + row.n, 0),
      runRowsCompleted: byState.completed ?? 0,
      runRowsByState: byState,
      runsWithAllAttemptsCompleted: fullRuns,
      attemptRows: attemptRows.reduce((a, row) => a + row.rows, 0),
      pgCpuMsPerRun,
    };
    console.log(
      `  store rows: ${check.runRows} run rows (${JSON.stringify(byState)}), ${check.runsWithAllAttemptsCompleted} of ${storeRuns} runs with exactly ` +
        `${NODES} attempt rows, all completed (${check.attemptRows} attempt rows); PostgreSQL CPU ${pgCpuMsPerRun.toFixed(1)} ms/run`,
    );
    console.log('');
    return { ...result, check };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The settings sweep: the engine alone, a fresh server and worker per setting

async function sweep() {
  console.log(
    `settings sweep: ${sweepRuns} engine runs under each of ${sweepNames.join(', ')}; a fresh dev server and worker each, ` +
      `${args['warmup-runs']} warm-up runs first`,
  );
  const out = [];
  for (const name of sweepNames) {
    const setup = await openSetup(name);
    let r;
    let db;
    try {
      r = await setup.worker.runUntil(async () => {
        await loadRound(setup, 'engine', args['warmup-runs'], { label: 'warm-up' });
        return loadRound(setup, 'engine', sweepRuns, { label: name });
      });
    } finally {
      db = await closeSetup(setup);
    }
    out.push({ name, what: CONFIGS[name].what, ...r, db });
  }
  console.log('');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Run and report

const main = args.rounds > 0 ? await sideBySide() : undefined;
const swept = sweepNames.length ? await sweep() : [];

const pick = (rs, f) => median(rs.map(f));
const roundedTypes = (types) => Object.fromEntries(Object.entries(types).map(([t, n]) => [t, round(n, 1)]));
const summary = (rs) =>
  rs.length === 0
    ? undefined
    : {
        runsPerSecond: pick(rs, (r) => r.runsPerSecond),
        p50: pick(rs, (r) => r.latency.p50),
        p90: pick(rs, (r) => r.latency.p90),
        p99: pick(rs, (r) => r.latency.p99),
        max: Math.max(...rs.map((r) => r.latency.max)),
        completed: rs.map((r) => r.completed),
        lost: rs.reduce((a, r) => a + r.lost, 0),
        eventsPerRun: pick(rs, (r) => r.eventsPerRun),
        serverCpuMsPerRun: pick(rs, (r) => r.serverCpuMsPerRun),
        selfCpuMsPerRun: pick(rs, (r) => r.selfCpuMsPerRun),
        busyCores: pick(rs, (r) => r.busyCores),
      };

let json = {};
if (main) {
  const e = summary(main.rounds.engine);
  const b = summary(main.rounds.baseline);
  const s = main.store ? summary([main.store]) : undefined;
  console.log(`results: ${args.runs} runs at once, median of ${args.rounds} rounds (settings "${args.config}"); store on: one round of ${storeRuns}`);
  const col = (x, f) => (x ? f(x) : '');
  const rows = [
    ['runs / s (first start -> last completion)', (x) => x.runsPerSecond.toFixed(1), (x, y) => (x.runsPerSecond / y.runsPerSecond).toFixed(3)],
    ['latency p50 (start call -> result)', (x) => fmtS(x.p50), (x, y) => (x.p50 / y.p50).toFixed(3)],
    ['latency p90', (x) => fmtS(x.p90), (x, y) => (x.p90 / y.p90).toFixed(3)],
    ['latency p99', (x) => fmtS(x.p99), (x, y) => (x.p99 / y.p99).toFixed(3)],
    ['latency max (all rounds)', (x) => fmtS(x.max), (x, y) => (x.max / y.max).toFixed(3)],
    ['completed (each round)', (x) => x.completed.join(', '), () => ''],
    ['lost (all rounds)', (x) => String(x.lost), () => ''],
    ['history events / run', (x) => x.eventsPerRun.toFixed(1), (x, y) => (x.eventsPerRun / y.eventsPerRun).toFixed(3)],
    ['dev server CPU ms / run', (x) => x.serverCpuMsPerRun.toFixed(1), (x, y) => (x.serverCpuMsPerRun / y.serverCpuMsPerRun).toFixed(3)],
    ['worker + client CPU ms / run', (x) => x.selfCpuMsPerRun.toFixed(1), (x, y) => (x.selfCpuMsPerRun / y.selfCpuMsPerRun).toFixed(3)],
    ['cores busy (machine)', (x) => x.busyCores.toFixed(2), () => ''],
  ];
  table(
    ['figure', 'engine', 'baseline', 'engine / baseline', 'engine, store on'],
    rows.map(([label, f, ratio]) => [label, f(e), f(b), ratio(e, b), col(s, f)]),
  );
  if (main.store) {
    const c = main.store.check;
    console.log(
      `  store check: ${c.runRowsCompleted} of ${storeRuns} run rows completed, ${c.runsWithAllAttemptsCompleted} of ${storeRuns} runs with ${NODES} ` +
        `completed attempt rows; PostgreSQL CPU ${c.pgCpuMsPerRun.toFixed(1)} ms/run`,
    );
  }
  console.log(`  dev server database at the end: ${main.setup.db.dbMiB} MiB, WAL ${main.setup.db.walMiB} MiB`);
  console.log('');
  const lastE = main.rounds.engine.at(-1).eventsByType;
  const lastB = main.rounds.baseline.at(-1).eventsByType;
  const types = [...new Set([...Object.keys(lastE), ...Object.keys(lastB)])].sort((x, y) => (lastE[y] ?? 0) - (lastE[x] ?? 0));
  console.log(`history events per run by type (last round, ${EVENT_SAMPLE} runs each)`);
  table(
    ['event', 'engine', 'baseline'],
    types.map((t) => [t, (lastE[t] ?? 0).toFixed(1), (lastB[t] ?? 0).toFixed(1)]),
  );
  console.log('');
  const roundJson = (r) => ({
    runsPerSecond: round(r.runsPerSecond, 1),
    wallSeconds: round(r.wallMs / 1000, 3),
    startsSeconds: round(r.startsMs / 1000, 3),
    p50Ms: round(r.latency.p50, 0),
    p99Ms: round(r.latency.p99, 0),
    maxMs: round(r.latency.max, 0),
    longestWaitMs: r.slow[0]?.longestGapMs ?? 0,
    ...(r.slow[0]?.longestGapMs > SLOW_GAP_MS ? { slowest: r.slow } : {}),
    completed: r.completed,
    lost: r.lost,
    ...(r.lost ? { lostBy: r.lostBy } : {}),
    serverRunsPerSecond: round(r.serverRunsPerSecond, 1),
    serverP50Ms: round(r.serverLatency.p50, 0),
    serverP99Ms: round(r.serverLatency.p99, 0),
    eventsPerRun: round(r.eventsPerRun, 1),
    serverCpuMsPerRun: round(r.serverCpuMsPerRun, 1),
    selfCpuMsPerRun: round(r.selfCpuMsPerRun, 1),
    busyCores: round(r.busyCores, 2),
    load: round(r.load, 2),
  });
  json = {
    runs: args.runs,
    nodesPerRun: NODES,
    rounds: args.rounds,
    startConcurrency: args['start-concurrency'],
    config: args.config,
    engineRunsPerSecond: round(e.runsPerSecond, 1),
    baselineRunsPerSecond: round(b.runsPerSecond, 1),
    throughputRatio: round(e.runsPerSecond / b.runsPerSecond, 3),
    engineP50Ms: round(e.p50, 0),
    engineP99Ms: round(e.p99, 0),
    baselineP50Ms: round(b.p50, 0),
    baselineP99Ms: round(b.p99, 0),
    engineCompleted: e.completed,
    baselineCompleted: b.completed,
    engineLost: e.lost,
    baselineLost: b.lost,
    engineEventsByType: roundedTypes(main.rounds.engine.at(-1).eventsByType),
    baselineEventsByType: roundedTypes(main.rounds.baseline.at(-1).eventsByType),
    engineRounds: main.rounds.engine.map(roundJson),
    baselineRounds: main.rounds.baseline.map(roundJson),
    ...(main.store
      ? {
          storeRuns,
          storeRunsPerSecond: round(main.store.runsPerSecond, 1),
          storeP50Ms: round(main.store.latency.p50, 0),
          storeP99Ms: round(main.store.latency.p99, 0),
          storeCompleted: main.store.completed,
          storeLost: main.store.lost,
          storeRunRowsCompleted: main.store.check.runRowsCompleted,
          storeRunRowsByState: main.store.check.runRowsByState,
          storeRunsWithAllAttempts: main.store.check.runsWithAllAttemptsCompleted,
          storeAttemptRows: main.store.check.attemptRows,
          storePgCpuMsPerRun: round(main.store.check.pgCpuMsPerRun, 1),
          storeRound: roundJson(main.store),
        }
      : {}),
    dbMiB: main.setup.db.dbMiB,
    walMiB: main.setup.db.walMiB,
    server: main.setup.serverDesc,
    worker: main.setup.workerDesc,
  };
}

if (swept.length) {
  console.log(`settings sweep: the engine alone, ${sweepRuns} runs at once under each setting`);
  const base = swept.find((x) => x.name === 'file') ?? swept[0];
  table(
    ['setting', 'runs / s', `vs ${base.name}`, 'p50', 'p99', 'max', 'lost', 'server CPU ms/run', 'worker CPU ms/run', 'cores busy', 'db MiB', 'load'],
    swept.map((x) => [
      `${x.name}: ${x.what}`,
      x.runsPerSecond.toFixed(1),
      (x.runsPerSecond / base.runsPerSecond).toFixed(2),
      fmtS(x.latency.p50),
      fmtS(x.latency.p99),
      fmtS(x.latency.max),
      String(x.lost),
      x.serverCpuMsPerRun.toFixed(1),
      x.selfCpuMsPerRun.toFixed(1),
      x.busyCores.toFixed(2),
      String(x.db.dbMiB + x.db.walMiB),
      x.load.toFixed(2),
    ]),
  );
  console.log('');
  json.sweepRuns = sweepRuns;
  json.sweep = swept.map((x) => ({
    config: x.name,
    runsPerSecond: round(x.runsPerSecond, 1),
    p50Ms: round(x.latency.p50, 0),
    p99Ms: round(x.latency.p99, 0),
    maxMs: round(x.latency.max, 0),
    longestWaitMs: x.slow[0]?.longestGapMs ?? 0,
    ...(x.slow[0]?.longestGapMs > SLOW_GAP_MS ? { slowest: x.slow } : {}),
    completed: x.completed,
    lost: x.lost,
    serverCpuMsPerRun: round(x.serverCpuMsPerRun, 1),
    selfCpuMsPerRun: round(x.selfCpuMsPerRun, 1),
    busyCores: round(x.busyCores, 2),
    dbMiB: round(x.db.dbMiB + x.db.walMiB, 1),
    load: round(x.load, 2),
  }));
}

console.log(
  'quality bar, for reference only (nothing here passes or fails): 1,000 concurrent runs, none lost, none stuck. ' +
    `This run: ${main ? `engine lost ${main.rounds.engine.reduce((a, r) => a + r.lost, 0)}, baseline lost ${main.rounds.baseline.reduce((a, r) => a + r.lost, 0)}` : 'no side-by-side rounds'}` +
    `${main?.store ? `, store on lost ${main.store.lost}, store rows completed ${main.store.check.runRowsCompleted}/${storeRuns}` : ''}` +
    `${swept.length ? `, sweep lost ${swept.reduce((a, x) => a + x.lost, 0)}` : ''}.`,
);
console.log('');
json.loadAtStart = round(loadAtStart, 2);
json.machine = m;
console.log(JSON.stringify(json));
