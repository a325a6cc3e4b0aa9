#!/usr/bin/env node
// tapflow's load benchmark: many runs of a 10-node pipeline started at once, side by side with the
// same load of hand-written workflows and the same pipeline on a worker with the run store on, on
// one dev server (a SQLite file, as `tapflow dev` uses) and one process. Each round runs the three
// kinds one after the other, in an order that rotates from round to round. Reports runs a second,
// each run's start-to-end latency, how many runs completed or were lost, what a run costs (history
// events and workflow tasks by type, CPU of the dev server, the worker and PostgreSQL), the
// engine's and the store's costs as ratios to the baseline of the same round, and checks the
// store's rows against every store-on run. With --sweep it also measures the engine under several
// dev server and worker settings. It only prints; it never passes or fails on time. The last line
// of output is one JSON object with every figure.
//
//   npm run build && node bench/load.mjs [--runs N] [--rounds N] [--start-concurrency N]
//                                        [--store-runs N] [--warmup-runs N] [--timeout-s N]
//                                        [--config NAME] [--sweep NAME,NAME,...|all] [--sweep-runs N]
//   node bench/load.mjs --quick    # 60 runs, 3 rounds, 30 s node timeout (or TAPFLOW_BENCH_QUICK=1): the same figures and keys, in about 3 minutes
//
// What runs and how is written up in BENCHMARKS.md, "1,000 concurrent runs".
import { fmtS, latencySummary, machineCpuTicks, mapLimited, median, parseArgs, printMachine, processTreeCpuSeconds, round, SETTLE_MS, table, takeQuickFlag, WORKER_OPTIONS } from './common.mjs';
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

const argv = process.argv.slice(2);
const quick = takeQuickFlag(argv);
const args = parseArgs(argv, {
  runs: quick ? 60 : 1000, // runs per measured round and kind, started at once
  // Measured rounds. Each round runs the engine, the baseline and the engine with the store on,
  // one after the other; the order rotates from round to round (engine, baseline, store; then
  // baseline, store, engine; ...), because a kind that goes later meets a bigger database and a
  // warmer machine. Three rounds put each kind in each place once.
  rounds: 3,
  'start-concurrency': 100, // start calls in flight at once (each run's result is awaited as soon as it has started)
  'store-runs': -1, // runs of each store-on round; -1: as many as --runs, 0: no store-on rounds
  'warmup-runs': quick ? 10 : 50, // runs of each kind before anything is measured (not counted)
  // A round's runs not done by then count as lost (stuck). Past the 10-minute start-to-close
  // timeout of a node, so a run whose activity task went missing is retried and shows as slow.
  'timeout-s': quick ? 300 : 900,
  // Start-to-close timeout of each node's attempt (the engine's spec and the baseline's calls
  // alike); 0: tapflow's default of 10 minutes. The quick form takes 30 s, so that an activity task
  // the dev server misplaces (see BENCHMARKS.md, "Stuck runs") costs 30 s, not 10 minutes.
  'node-timeout-s': quick ? 30 : 0,
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
const KINDS = storeRuns > 0 ? ['engine', 'baseline', 'store'] : ['engine', 'baseline'];
const TASK_QUEUE = 'tapflow-bench-load';
const STORE_QUEUE = 'tapflow-bench-load-store';

/**
 * The pipeline: 10 `noop` nodes, a fan-out and a fan-in: a -> b, c, d, e -> f -> g, h -> i -> j.
 * Each stage needs the whole stage before it, so the baseline's stages run in the engine's order.
 */
const STAGES = [['a'], ['b', 'c', 'd', 'e'], ['f'], ['g', 'h'], ['i'], ['j']].map((stage, s, all) =>
  stage.map((id) => ({ id, needs: s === 0 ? [] : all[s - 1] })),
);
const SPEC = {
  name: 'bench-load',
  ...(args['node-timeout-s'] > 0 ? { defaults: { timeout: `${args['node-timeout-s']}s` } } : {}),
  nodes: STAGES.flat().map(({ id, needs }) => (needs.length ? { id, activity: 'noop', needs } : { id, activity: 'noop' })),
};
/** The baseline's arguments: the stages, and the start-to-close timeout of its calls in ms (undefined: 10 minutes). */
const BASELINE_ARGS = args['node-timeout-s'] > 0 ? [STAGES, args['node-timeout-s'] * 1000] : [STAGES];
const LEAF = 'j';
/** Runs of each round whose histories are read for the events-by-type breakdown. */
const EVENT_SAMPLE = 50;
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

/** CPU so far: the dev server's, this process's (workers and client), the run store's PostgreSQL's (0 without one), the machine's. */
function cpuNow(setup) {
  const u = process.cpuUsage();
  return {
    server: processTreeCpuSeconds(setup.serverPid),
    self: (u.user + u.system) / 1e6,
    pg: setup.pgPid ? processTreeCpuSeconds(setup.pgPid) : 0,
    machine: machineCpuTicks(),
    at: performance.now(),
  };
}

/** Waits until PostgreSQL (`pid`) has used less than 0.05 of a core over half a second, at most 10 s. */
async function quietPg(pid) {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const before = processTreeCpuSeconds(pid);
    await delay(500);
    if (!(processTreeCpuSeconds(pid) - before >= 0.025)) return;
  }
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
 * pipeline through `TapflowClient`) or `baseline` (`baselineStagesWorkflow`). `afterRuns`, when
 * given, runs once every result is in and before the round's CPU is read (the store's writes
 * still in flight), so that what it waits for counts in the round's CPU but not in its time.
 */
async function loadRound(setup, side, n, { tf = setup.tf, taskQueue = TASK_QUEUE, label = side, afterRuns } = {}) {
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
      else await client.workflow.start('baselineStagesWorkflow', { taskQueue, workflowId: id, args: BASELINE_ARGS });
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
  if (afterRuns) await afterRuns();
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
  // Markers by name (core_patch: a patch; core_local_activity: a local activity), per run.
  const markersByName = {};
  await mapLimited(sample, 10, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    for (const e of events) {
      const type = String(e.attributes).replace(/EventAttributes$/, '');
      eventsByType[type] = (eventsByType[type] ?? 0) + 1 / sample.length;
      if (type === 'markerRecorded') {
        const name = e.markerRecordedEventAttributes.markerName ?? '?';
        markersByName[name] = (markersByName[name] ?? 0) + 1 / sample.length;
      }
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
    markersByName,
    eventSample: sample.length,
    slow,
    serverCpuMsPerRun: ((after.server - before.server) * 1000) / n,
    selfCpuMsPerRun: ((after.self - before.self) * 1000) / n,
    pgCpuMsPerRun: ((after.pg - before.pg) * 1000) / n,
    busyCores: busy * os.cpus().length,
    load: os.loadavg()[0],
    ids,
  };
  console.log(
    `  ${label.padEnd(9)} ${n} runs: ${r.runsPerSecond.toFixed(1)} runs/s (${(wallMs / 1000).toFixed(2)} s, starts ${(r.startsMs / 1000).toFixed(2)} s), ` +
      `latency p50 ${fmtS(r.latency.p50)} p99 ${fmtS(r.latency.p99)} max ${fmtS(r.latency.max)}, completed ${completed}, lost ${r.lost}` +
      `${r.lost ? ` ${JSON.stringify(lostBy)}` : ''}; server CPU ${r.serverCpuMsPerRun.toFixed(1)} ms/run, ` +
      `this process ${r.selfCpuMsPerRun.toFixed(1)} ms/run${setup.pgPid ? `, PostgreSQL ${r.pgCpuMsPerRun.toFixed(1)} ms/run` : ''}, ` +
      `${r.busyCores.toFixed(2)} cores busy; load ${r.load.toFixed(2)}`,
  );
  return r;
}

// ---------------------------------------------------------------------------------------------
// The side-by-side rounds: engine, baseline and engine with the store on

/** The order of the kinds in round `r` (0-based): KINDS rotated by `r`. */
const orderOf = (r) => KINDS.map((_, i) => KINDS[(i + r) % KINDS.length]);

async function sideBySide() {
  const setup = await openSetup(args.config);
  console.log(`side by side, settings "${args.config}"`);
  console.log(`  server    ${setup.serverDesc}`);
  console.log(`  worker    in-process, task queue ${TASK_QUEUE}; ${setup.workerDesc}`);
  console.log(
    `  plan      ${args.rounds} rounds; each round ${args.runs} runs of the 10-node pipeline (a -> b,c,d,e -> f -> g,h -> i -> j), ${args.runs} of baselineStagesWorkflow` +
      `${storeRuns ? ` and ${storeRuns} of the pipeline on a second worker with the run store on (embedded PostgreSQL)` : ''}, one kind after the other, ` +
      `the order rotating (round 1: ${orderOf(0).join(', ')}; round 2: ${orderOf(1).join(', ')}; ...); ${args['start-concurrency']} start calls in flight; ` +
      `node start-to-close ${args['node-timeout-s'] > 0 ? `${args['node-timeout-s']} s` : '10 min (tapflow\'s default)'}${quick ? ' (quick)' : ''}`,
  );
  const rounds = { engine: [], baseline: [], store: [] };
  let check;
  // The store-on kind: a second worker on its own task queue, with the run store on (an embedded
  // PostgreSQL, migrated, the attempt recorder and the run rows, as a deployment records them).
  const store = storeRuns > 0 ? await startThrowawayStore() : undefined;
  try {
    const storeWorker = store
      ? await createWorker({
          connection: setup.env.nativeConnection,
          taskQueue: STORE_QUEUE,
          store: { pool: store.pool, recorder: store.recorder },
          workerOptions: { ...WORKER_OPTIONS, ...setup.config.worker, workflowBundle: { code }, workflowsPath: undefined },
        })
      : undefined;
    const tfStore = new TapflowClient(setup.env.client, { taskQueue: STORE_QUEUE });
    if (store) setup.pgPid = store.pg.pid;
    // A store-on round's CPU includes its writes still in flight once its runs are done.
    const afterStoreRuns = async () => {
      await store.recorder.flush(60_000);
      await quietPg(store.pg.pid);
    };
    const runKind = (kind, n, label = kind === 'store' ? 'store on' : kind) =>
      kind === 'store'
        ? loadRound(setup, 'engine', n, { tf: tfStore, taskQueue: STORE_QUEUE, label, afterRuns: afterStoreRuns })
        : loadRound(setup, kind, n, { label });
    const measure = async () => {
      console.log(`warm-up: ${args['warmup-runs']} runs of each kind, not counted`);
      for (const kind of KINDS) await runKind(kind, args['warmup-runs'], kind === 'store' ? 'store-warm' : `${kind}-warm`);
      console.log('');
      for (let r = 0; r < args.rounds; r++) {
        console.log(`round ${r + 1}/${args.rounds}`);
        for (const kind of orderOf(r)) rounds[kind].push(await runKind(kind, kind === 'store' ? storeRuns : args.runs));
      }
      console.log('');
    };
    await setup.worker.runUntil(() => (storeWorker ? storeWorker.runUntil(measure) : measure()));
    if (store) check = await checkStore(store, rounds.store);
  } finally {
    setup.db = await closeSetup(setup);
    if (store) await store.close();
  }
  return { setup, rounds, check };
}

/**
 * Checks the store against every store-on run of the measured rounds (the recorder drained
 * first): each run's row must be `completed`, with exactly 10 node attempt rows, all `completed`.
 */
async function checkStore(store, storeRounds) {
  const { pool, recorder } = store;
  await recorder.drain();
  const ids = storeRounds.flatMap((r) => r.ids);
  const runRows = (await pool.query('SELECT state, count(*)::int AS n FROM tapflow.runs WHERE workflow_id = ANY($1) GROUP BY state', [ids])).rows;
  const attemptRows = (
    await pool.query(
      `SELECT workflow_id, count(*)::int AS rows, count(*) FILTER (WHERE outcome = 'completed')::int AS completed
         FROM tapflow.node_attempts WHERE workflow_id = ANY($1) GROUP BY workflow_id`,
      [ids],
    )
  ).rows;
  const byState = Object.fromEntries(runRows.map((row) => [row.state, row.n]));
  const check = {
    runs: ids.length,
    runRows: runRows.reduce((a, row) => a + row.n, 0),
    runRowsCompleted: byState.completed ?? 0,
    runRowsByState: byState,
    runsWithAllAttemptsCompleted: attemptRows.filter((row) => row.rows === NODES && row.completed === NODES).length,
    // Every node completed, after an attempt that failed or timed out (a retry: its row is kept too).
    runsWithRetriedAttempts: attemptRows.filter((row) => row.rows > NODES && row.completed === NODES).length,
    attemptRows: attemptRows.reduce((a, row) => a + row.rows, 0),
  };
  console.log(
    `store rows: ${check.runRows} run rows for the ${check.runs} store-on runs of the measured rounds (${JSON.stringify(byState)}), ` +
      `${check.runsWithAllAttemptsCompleted} of them with exactly ${NODES} attempt rows, all completed` +
      `${check.runsWithRetriedAttempts ? `, ${check.runsWithRetriedAttempts} with ${NODES} completed and a retried attempt's row besides` : ''} ` +
      `(${check.attemptRows} attempt rows)`,
  );
  console.log('');
  return check;
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
/** Workflow tasks per run of a round: its sample's workflowTaskCompleted events per run. */
const wftsPerRun = (r) => r.eventsByType.workflowTaskCompleted ?? 0;
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
        wftsPerRun: pick(rs, wftsPerRun),
        serverCpuMsPerRun: pick(rs, (r) => r.serverCpuMsPerRun),
        selfCpuMsPerRun: pick(rs, (r) => r.selfCpuMsPerRun),
        pgCpuMsPerRun: pick(rs, (r) => r.pgCpuMsPerRun),
        busyCores: pick(rs, (r) => r.busyCores),
      };

/**
 * What each kind of history event the engine adds over the baseline buys, by event type (markers
 * by name). An event type not listed here is printed with "?": read its rows in a run's history.
 */
const WHAT_IT_BUYS = {
  upsertWorkflowSearchAttributes:
    'TapflowState and TapflowProgress kept current for the Web UI, `tapflow list` and list filters: one upsert per workflow task in which the state ' +
    'or the whole percent changed (the start sets the first values; in this pipeline, about one per task that settles a node, the last one with completed)',
  'markerRecorded core_patch':
    'the one patch marker (tapflow-lean-bookkeeping) each execution carries, so runs recorded by earlier versions of tapflow keep replaying',
  'markerRecorded core_local_activity':
    "the run's final record (tapflowRecord as a local activity on the run's own worker): the run store's row gets the run's end durably, " +
    'before the run closes; a worker without a store still writes the marker (the workflow does not know whether the worker has a store)',
  workflowTaskScheduled: 'see workflowTaskCompleted',
  workflowTaskStarted: 'see workflowTaskCompleted',
  workflowTaskCompleted:
    'nothing: the engine issues the same commands at the same points as the baseline, so the workflow tasks are those the completions bring; ' +
    'a difference of a tenth or so is timing (completions that reach the server together share a task)',
  workflowTaskTimedOut: 'nothing: a task that waited longer than the sticky schedule-to-start timeout (3 s) on the worker\'s sticky queue, under load',
  activityTaskScheduled: 'activity tasks beyond the 10 nodes: see activityTaskCompleted',
  activityTaskStarted: 'activity tasks beyond the 10 nodes: see activityTaskCompleted',
  activityTaskCompleted: 'activity tasks beyond the 10 nodes (a record activity on a run recorded before the lean-bookkeeping patch)',
  timerStarted: 'a timer: the run ending its own workflow task (local steps) or a time limit',
  timerFired: 'a timer: see timerStarted',
};

/** Mean, over the rounds of one kind, of a per-run count map (`eventsByType` or `markersByName`). */
function meanCounts(rs, pickMap) {
  const out = {};
  for (const r of rs) for (const [k, v] of Object.entries(pickMap(r))) out[k] = (out[k] ?? 0) + v / rs.length;
  return out;
}

/** Event counts per run with markers split by name (`markerRecorded core_patch`, ...), mean over rounds. */
function detailedCounts(rs) {
  const types = meanCounts(rs, (r) => r.eventsByType);
  const markers = meanCounts(rs, (r) => r.markersByName);
  delete types.markerRecorded;
  for (const [name, n] of Object.entries(markers)) types[`markerRecorded ${name}`] = n;
  return types;
}

/** Median over rounds of `f(x_r, y_r)`, pairing the rounds of two kinds by index. */
const pairedMedian = (xs, ys, f) => median(xs.map((x, i) => f(x, ys[i])));
/** A run's CPU in ms: the dev server's, this process's (workers, client) and PostgreSQL's. */
const totalCpuMsPerRun = (r) => r.serverCpuMsPerRun + r.selfCpuMsPerRun + r.pgCpuMsPerRun;

let json = {};
if (main) {
  const E = main.rounds.engine;
  const B = main.rounds.baseline;
  const S = main.rounds.store;
  const e = summary(E);
  const b = summary(B);
  const s = S.length ? summary(S) : undefined;
  console.log(
    `results: ${args.runs} runs at once, median of ${args.rounds} rounds (settings "${args.config}")` +
      `${s ? `; store on: ${storeRuns} runs in each round` : ''}`,
  );
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
    ['workflow tasks / run (workflowTaskCompleted)', (x) => x.wftsPerRun.toFixed(2), (x, y) => (x.wftsPerRun / y.wftsPerRun).toFixed(3)],
    ['dev server CPU ms / run', (x) => x.serverCpuMsPerRun.toFixed(1), (x, y) => (x.serverCpuMsPerRun / y.serverCpuMsPerRun).toFixed(3)],
    ['worker + client CPU ms / run', (x) => x.selfCpuMsPerRun.toFixed(1), (x, y) => (x.selfCpuMsPerRun / y.selfCpuMsPerRun).toFixed(3)],
    ['PostgreSQL CPU ms / run', (x) => x.pgCpuMsPerRun.toFixed(1), () => ''],
    ['cores busy (machine)', (x) => x.busyCores.toFixed(2), () => ''],
  ];
  table(
    ['figure', 'engine', 'baseline', 'engine / baseline', 'engine, store on'],
    rows.map(([label, f, ratio]) => [label, f(e), f(b), ratio(e, b), col(s, f)]),
  );
  console.log('');

  // The issue's ratios: each the median over rounds of the ratio within a round (the kinds of a
  // round ran one after the other, on the same database and machine state).
  const ratios = {
    loadRunsPerSecRatio: pairedMedian(E, B, (x, y) => x.runsPerSecond / y.runsPerSecond),
    historyEventsPerRunRatio: pairedMedian(E, B, (x, y) => x.eventsPerRun / y.eventsPerRun),
    workflowTasksPerRunRatio: pairedMedian(E, B, (x, y) => wftsPerRun(x) / wftsPerRun(y)),
    serverCpuPerRunRatio: pairedMedian(E, B, (x, y) => x.serverCpuMsPerRun / y.serverCpuMsPerRun),
    ...(S.length ? { loadStoreRunsPerSecRatio: pairedMedian(S, B, (x, y) => x.runsPerSecond / y.runsPerSecond) } : {}),
  };
  // The store's cost: a store-on run's CPU (dev server + this process + PostgreSQL) minus a
  // store-off engine run's, in the same round; the median over rounds, and each part's alone.
  const storeCost = S.length
    ? {
        total: pairedMedian(S, E, (x, y) => totalCpuMsPerRun(x) - totalCpuMsPerRun(y)),
        worker: pairedMedian(S, E, (x, y) => x.selfCpuMsPerRun - y.selfCpuMsPerRun),
        server: pairedMedian(S, E, (x, y) => x.serverCpuMsPerRun - y.serverCpuMsPerRun),
        postgres: pairedMedian(S, E, (x, y) => x.pgCpuMsPerRun - y.pgCpuMsPerRun),
      }
    : undefined;
  console.log('per round (each ratio within its round; the figures above and the JSON take the median of these)');
  table(
    ['round', 'order', 'engine / baseline runs/s', 'store on / baseline runs/s', 'events', 'workflow tasks', 'server CPU', 'store CPU ms/run (on - off)'],
    E.map((x, i) => [
      String(i + 1),
      orderOf(i).join(', '),
      (x.runsPerSecond / B[i].runsPerSecond).toFixed(3),
      S[i] ? (S[i].runsPerSecond / B[i].runsPerSecond).toFixed(3) : '',
      (x.eventsPerRun / B[i].eventsPerRun).toFixed(3),
      (wftsPerRun(x) / wftsPerRun(B[i])).toFixed(3),
      (x.serverCpuMsPerRun / B[i].serverCpuMsPerRun).toFixed(3),
      S[i] ? (totalCpuMsPerRun(S[i]) - totalCpuMsPerRun(x)).toFixed(1) : '',
    ]),
  );
  console.log(
    `  median: engine / baseline runs/s ${ratios.loadRunsPerSecRatio.toFixed(3)}` +
      `${S.length ? `, store on / baseline runs/s ${ratios.loadStoreRunsPerSecRatio.toFixed(3)}` : ''}, ` +
      `history events ${ratios.historyEventsPerRunRatio.toFixed(3)}, workflow tasks ${ratios.workflowTasksPerRunRatio.toFixed(3)}, ` +
      `dev server CPU ${ratios.serverCpuPerRunRatio.toFixed(3)} (per run, engine / baseline)` +
      `${storeCost ? `; the store costs ${storeCost.total.toFixed(1)} ms of CPU per run (worker ${storeCost.worker.toFixed(1)}, dev server ${storeCost.server.toFixed(1)}, PostgreSQL ${storeCost.postgres.toFixed(1)})` : ''}`,
  );
  if (main.check) {
    const c = main.check;
    console.log(
      `  store check: ${c.runRowsCompleted} of ${c.runs} run rows completed, ${c.runsWithAllAttemptsCompleted} of ${c.runs} runs with ${NODES} ` +
        `completed attempt rows${c.runsWithRetriedAttempts ? `, ${c.runsWithRetriedAttempts} with ${NODES} completed and a retried attempt's row besides` : ''}`,
    );
  }
  console.log(`  dev server database at the end: ${main.setup.db.dbMiB} MiB, WAL ${main.setup.db.walMiB} MiB`);
  console.log('');
  const lastE = E.at(-1).eventsByType;
  const lastB = B.at(-1).eventsByType;
  const types = [...new Set([...Object.keys(lastE), ...Object.keys(lastB)])].sort((x, y) => (lastE[y] ?? 0) - (lastE[x] ?? 0));
  console.log(`history events per run by type (last round, ${EVENT_SAMPLE} runs each)`);
  table(
    ['event', 'engine', 'baseline'],
    types.map((t) => [t, (lastE[t] ?? 0).toFixed(1), (lastB[t] ?? 0).toFixed(1)]),
  );
  console.log('');
  // The engine's extra events, each named with what it buys: every round's sample, markers by name.
  const dE = detailedCounts(E);
  const dB = detailedCounts(B);
  const extra = Object.keys({ ...dE, ...dB })
    .map((type) => ({ type, engine: dE[type] ?? 0, baseline: dB[type] ?? 0 }))
    .map((x) => ({ ...x, extra: x.engine - x.baseline, buys: WHAT_IT_BUYS[x.type] ?? '?' }))
    .filter((x) => Math.abs(x.extra) >= 0.05)
    .sort((x, y) => y.extra - x.extra);
  const extraTotal = extra.reduce((a, x) => a + x.extra, 0);
  console.log(
    `the engine's extra history events per run against the baseline, by type (mean of ${args.rounds} rounds, ${EVENT_SAMPLE} runs each; markers by name): ` +
      `${extraTotal.toFixed(1)} in all`,
  );
  table(
    ['event', 'engine', 'baseline', 'extra'],
    extra.map((x) => [x.type, x.engine.toFixed(2), x.baseline.toFixed(2), (x.extra >= 0 ? '+' : '') + x.extra.toFixed(2)]),
  );
  console.log('  what each buys:');
  for (const x of extra) console.log(`  - ${x.type}: ${x.buys}`);
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
    workflowTasksPerRun: round(wftsPerRun(r), 2),
    serverCpuMsPerRun: round(r.serverCpuMsPerRun, 1),
    selfCpuMsPerRun: round(r.selfCpuMsPerRun, 1),
    pgCpuMsPerRun: round(r.pgCpuMsPerRun, 1),
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
    loadRunsPerSecRatio: round(ratios.loadRunsPerSecRatio, 3),
    ...(S.length ? { loadStoreRunsPerSecRatio: round(ratios.loadStoreRunsPerSecRatio, 3) } : {}),
    historyEventsPerRunRatio: round(ratios.historyEventsPerRunRatio, 3),
    workflowTasksPerRunRatio: round(ratios.workflowTasksPerRunRatio, 3),
    serverCpuPerRunRatio: round(ratios.serverCpuPerRunRatio, 3),
    engineEventsPerRun: round(e.eventsPerRun, 1),
    baselineEventsPerRun: round(b.eventsPerRun, 1),
    engineWorkflowTasksPerRun: round(e.wftsPerRun, 2),
    baselineWorkflowTasksPerRun: round(b.wftsPerRun, 2),
    engineServerCpuMsPerRun: round(e.serverCpuMsPerRun, 1),
    baselineServerCpuMsPerRun: round(b.serverCpuMsPerRun, 1),
    engineSelfCpuMsPerRun: round(e.selfCpuMsPerRun, 1),
    baselineSelfCpuMsPerRun: round(b.selfCpuMsPerRun, 1),
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
    engineExtraEventsPerRun: Object.fromEntries(
      extra.map((x) => [x.type, { engine: round(x.engine, 2), baseline: round(x.baseline, 2), extra: round(x.extra, 2), buys: x.buys }]),
    ),
    engineRounds: E.map(roundJson),
    baselineRounds: B.map(roundJson),
    ...(S.length
      ? {
          storeRuns,
          storeRunsPerSecond: round(s.runsPerSecond, 1),
          storeP50Ms: round(s.p50, 0),
          storeP99Ms: round(s.p99, 0),
          storeCompleted: s.completed,
          storeLost: s.lost,
          storeRunsChecked: main.check.runs,
          storeRunRowsCompleted: main.check.runRowsCompleted,
          storeRunRowsByState: main.check.runRowsByState,
          storeRunsWithAllAttempts: main.check.runsWithAllAttemptsCompleted,
          storeRunsWithRetriedAttempts: main.check.runsWithRetriedAttempts,
          storeAttemptRows: main.check.attemptRows,
          storePgCpuMsPerRun: round(s.pgCpuMsPerRun, 1),
          storeCpuMsPerRun: round(storeCost.total, 1),
          storeCpuMsPerRunBy: { worker: round(storeCost.worker, 1), server: round(storeCost.server, 1), postgres: round(storeCost.postgres, 1) },
          storeRounds: S.map(roundJson),
          storeRound: roundJson(S.at(-1)),
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
    `${main?.check ? `, store on lost ${main.rounds.store.reduce((a, r) => a + r.lost, 0)}, store rows completed ${main.check.runRowsCompleted}/${main.check.runs}` : ''}` +
    `${swept.length ? `, sweep lost ${swept.reduce((a, x) => a + x.lost, 0)}` : ''}.`,
);
console.log('');
json.quick = quick;
json.loadAtStart = round(loadAtStart, 2);
json.machine = m;
console.log(JSON.stringify(json));
