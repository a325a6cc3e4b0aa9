#!/usr/bin/env node
// tapflow's benchmark: engine figures side by side with hand-written Temporal baselines measured
// in the same run, on one dev server and one in-process worker. It only prints; it never passes
// or fails on time. The last line of output is one JSON object with every figure.
//
//   npm run build && node bench/run.mjs [--rounds N] [--chain N] [--wide N] [--parallel N]
//                                       [--cycles N] [--transfer-poll-rps N] [--store-rounds N]
//                                       [--sse-runs N] [--sse-nodes N] [--sse-sleep-ms N]
//
// What each figure measures and how is written up in BENCHMARKS.md.
import { fmtS, latencySummary, median, parseArgs, printMachine, processTreeCpuSeconds, round, SETTLE_MS, table, timed, WORKER_OPTIONS } from './common.mjs';
import { bundleBenchWorkflows, dist, startTapflowDevServer } from './tapflow-dist.mjs';
import { startThrowawayStore } from './throwaway-store.mjs';
import { createSseProbe, measureSse, printSse, SSE_OPTIONS, sseFigures } from './sse.mjs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const { createWorker } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');
const {
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
} = dist('workflows', 'definitions.js');

// ---------------------------------------------------------------------------------------------
// Settings

const args = parseArgs(process.argv.slice(2), {
  rounds: 5, // measured repetitions of each chain / wide figure (alternating engine and baseline)
  chain: 1000, // nodes in the chain
  wide: 1000, // independent nodes in the wide DAG
  parallel: 50, // maxParallel of the wide DAG
  cycles: 200, // samples of each control-latency figure
  // The dev server's history.transferProcessorMaxPollRPS (default 20) caps how often a shard reads
  // new tasks; a serial chain then waits ~50 ms per step for the cap, engine and baseline alike,
  // which hides the engine's own cost. Lifted by default; pass 0 for the dev server's own setting.
  'transfer-poll-rps': 10000,
  // Rounds of the store figure (store on / store off); 0 means as many as --rounds. The figure is
  // a ratio of two noisy medians on a shared machine, so it is worth more rounds than the others.
  'store-rounds': 0,
  // Live progress over SSE, on the store worker (bench/sse.mjs); --sse-runs 0 skips it.
  ...SSE_OPTIONS,
});
const storeRounds = args['store-rounds'] > 0 ? args['store-rounds'] : args.rounds;
const TASK_QUEUE = 'tapflow-bench';
/** The queue of the second worker, which records every node attempt in PostgreSQL. */
const STORE_QUEUE = 'tapflow-bench-store';
/** A task queue no worker polls: a node sent there stays in flight and never runs. */
const PARKED_QUEUE = 'tapflow-bench-parked';

// ---------------------------------------------------------------------------------------------
// Small helpers


const nodeId = (i) => `n${String(i).padStart(4, '0')}`;

function chainSpec(n) {
  return {
    name: 'bench-chain',
    nodes: Array.from({ length: n }, (_, i) =>
      i === 0 ? { id: nodeId(i), activity: 'noop' } : { id: nodeId(i), activity: 'noop', needs: [nodeId(i - 1)] },
    ),
  };
}

function wideSpec(n, maxParallel) {
  return { name: 'bench-wide', maxParallel, nodes: Array.from({ length: n }, (_, i) => ({ id: nodeId(i), activity: 'noop' })) };
}

const fmtMs = (ms) => `${ms.toFixed(1)} ms`;



// ---------------------------------------------------------------------------------------------
// Machine, server, worker

const m = printMachine('tapflow benchmark', temporalCliPath());

const { code, bundleMs } = await bundleBenchWorkflows();

const { env, extraArgs } = await startTapflowDevServer({ transferPollRps: args['transfer-poll-rps'] });
const client = env.client;
const tf = new TapflowClient(client, { taskQueue: TASK_QUEUE });
const worker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: TASK_QUEUE,
  workerOptions: { ...WORKER_OPTIONS, workflowBundle: { code }, workflowsPath: undefined },
});
// The same worker again, on its own queue, with the run store on: an embedded PostgreSQL (a
// throwaway data dir), migrated; the run's rows and every node attempt are recorded.
// Statements sent to the store, counted on every connection the pool hands out.
let storeStatements = 0;
const store = await startThrowawayStore({
  max: 4,
  onQuery: () => {
    storeStatements++;
  },
});
const { pg, pool: storePool, recorder: attemptRecorder } = store;
// The SSE figure's activity, which notes when each measured node returns.
const sseProbe = createSseProbe();
const storeWorker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: STORE_QUEUE,
  activities: sseProbe.activities,
  // Runs, control actions (the tapflowRecord activity) and every attempt, as a deployment records them.
  store: { pool: storePool, recorder: attemptRecorder },
  workerOptions: { ...WORKER_OPTIONS, workflowBundle: { code }, workflowsPath: undefined },
});
const storeRunning = storeWorker.run();
const tfStore = new TapflowClient(client, { taskQueue: STORE_QUEUE });
const wo = worker.options;
const serverDesc =
  'temporal server start-dev, in memory, log level warn' +
  (extraArgs.length ? `, ${extraArgs[1]}` : ', default dynamic config');
console.log(`  server    ${serverDesc}`);
console.log(
  `  worker    in-process, task queue ${TASK_QUEUE}; maxConcurrentWorkflowTaskExecutions ${WORKER_OPTIONS.maxConcurrentWorkflowTaskExecutions}, ` +
    `maxConcurrentActivityTaskExecutions ${WORKER_OPTIONS.maxConcurrentActivityTaskExecutions}, maxCachedWorkflows ${wo.maxCachedWorkflows}, ` +
    `workflow/activity pollers ${WORKER_OPTIONS.workflowTaskPollerBehavior.maximum}/${WORKER_OPTIONS.activityTaskPollerBehavior.maximum}, ` +
    `reuseV8Context ${wo.reuseV8Context}, workflowThreadPoolSize ${wo.workflowThreadPoolSize}, sticky schedule-to-start ${wo.stickyQueueScheduleToStartTimeout}`,
);
console.log(`  workflows one bundle (bench/workflows.ts: pipelineWorkflow + baselines), bundled in ${fmtS(bundleMs)}`);
console.log(
  `  plan      chain ${args.chain} nodes, wide ${args.wide} nodes @ maxParallel ${args.parallel}: ${args.rounds} measured rounds each after a warm-up, ` +
    `engine and baseline alternating, ${SETTLE_MS} ms idle before each run, median reported; control latency: ${args.cycles} samples each`,
);
console.log('');

// ---------------------------------------------------------------------------------------------
// Runs

let seq = 0;
const newId = (prefix) => `${prefix}-${process.pid}-${++seq}`;

/** Runs a spec through the engine from start to result; fails loudly if the run does not complete. */
async function engineRun(spec, via = tf, settleMs = SETTLE_MS) {
  await delay(settleMs);
  const { ms, value } = await timed(async () => {
    const { workflowId } = await via.startRun(spec, { id: newId(spec.name) });
    await via.result(workflowId, { wait: true });
    return workflowId;
  });
  const status = await via.getStatus(value);
  if (status.state !== 'completed' || status.progress.completed !== spec.nodes.length) {
    throw new Error(`engine run ${value} ended ${status.state} with ${status.progress.completed}/${spec.nodes.length} nodes`);
  }
  return { ms, workflowId: value };
}

async function baselineRun(workflowType, wfArgs) {
  await delay(SETTLE_MS);
  const workflowId = newId(workflowType);
  const { ms } = await timed(() => client.workflow.execute(workflowType, { taskQueue: TASK_QUEUE, workflowId, args: wfArgs }));
  return { ms, workflowId };
}

/** CPU seconds used so far by the store's PostgreSQL (the server and its children); NaN without /proc. */
const pgCpuSeconds = () => processTreeCpuSeconds(pg.pid);

/**
 * A store-on run, with what it cost the store: statements sent and PostgreSQL CPU, counted from
 * before the run until its last records are written (the recorder lingers, then writes).
 */
async function storeRun(spec, costs) {
  await delay(SETTLE_MS);
  const before = { statements: storeStatements, cpu: pgCpuSeconds() };
  const run = await engineRun(spec, tfStore, 0);
  for (let i = 0; i < 100 && attemptRecorder.pending > 0; i++) await delay(50);
  await delay(300);
  costs.push({ statements: storeStatements - before.statements, pgCpuSeconds: pgCpuSeconds() - before.cpu });
  return run;
}

const eventMs = (e) => Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6;

/**
 * Where a run's time went, from its history's event times: workflow tasks (count, time queued,
 * time the worker spent on them), activities (time queued, time running) and search attribute
 * upserts. Taken from one execution (a run that continued-as-new is read up to the first hop).
 */
async function historyStats(workflowId) {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const at = new Map();
  const s = { events: events.length, wfts: 0, wftQueuedMs: 0, wftWorkerMs: 0, activities: 0, actQueuedMs: 0, actRunningMs: 0, upserts: 0 };
  let wftScheduled = 0;
  let wftStarted = 0;
  for (const e of events) {
    const t = eventMs(e);
    const kind = e.attributes;
    if (kind === 'workflowTaskScheduledEventAttributes') wftScheduled = t;
    else if (kind === 'workflowTaskStartedEventAttributes') {
      wftStarted = t;
      s.wftQueuedMs += t - wftScheduled;
    } else if (kind === 'workflowTaskCompletedEventAttributes') {
      s.wfts++;
      s.wftWorkerMs += t - wftStarted;
    } else if (kind === 'activityTaskScheduledEventAttributes') at.set(String(e.eventId), { scheduled: t });
    else if (kind === 'activityTaskStartedEventAttributes') {
      const a = at.get(String(e[kind].scheduledEventId));
      if (a) a.started = t;
    } else if (kind === 'activityTaskCompletedEventAttributes') {
      const a = at.get(String(e[kind].scheduledEventId));
      if (a?.started !== undefined) {
        s.activities++;
        s.actQueuedMs += a.started - a.scheduled;
        s.actRunningMs += t - a.started;
      }
    } else if (kind === 'upsertWorkflowSearchAttributesEventAttributes') s.upserts++;
  }
  return s;
}

/** Alternates engine and baseline (engine first in even rounds), `rounds` times. */
async function sideBySide(label, engine, baseline, names = ['engine', 'baseline'], rounds = args.rounds) {
  const e = [];
  const b = [];
  let last;
  for (let r = 0; r < rounds; r++) {
    let er;
    let br;
    if (r % 2 === 0) {
      er = await engine();
      br = await baseline();
    } else {
      br = await baseline();
      er = await engine();
    }
    e.push(er.ms);
    b.push(br.ms);
    last = { engine: er.workflowId, baseline: br.workflowId };
    console.log(
      `  ${label} round ${r + 1}/${rounds}: ${names[0]} ${fmtS(er.ms)}, ${names[1]} ${fmtS(br.ms)}, ratio ${(er.ms / br.ms).toFixed(3)}; ` +
        `load ${os.loadavg()[0].toFixed(2)}`,
    );
  }
  const stats = { engine: await historyStats(last.engine), baseline: await historyStats(last.baseline) };
  return { engine: e, baseline: b, stats, last };
}

/** Pause latency with nothing in flight: a fresh run per sample, not yet begun (see BENCHMARKS.md). */
async function pauseFreshRuns(n) {
  const spec = chainSpec(1);
  const samples = [];
  const states = {};
  for (let i = 0; i < n; i++) {
    const workflowId = newId('bench-pause');
    const handle = await client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ spec }],
      startDelay: '1h',
      typedSearchAttributes: [
        { key: PIPELINE_SEARCH_ATTRIBUTE, value: spec.name },
        { key: STATE_SEARCH_ATTRIBUTE, value: 'running' },
        { key: PROGRESS_SEARCH_ATTRIBUTE, value: 0 },
      ],
    });
    const { ms, value } = await timed(() => tf.pause(workflowId, { reason: 'bench' }));
    samples.push(ms);
    states[value.state] = (states[value.state] ?? 0) + 1;
    await handle.terminate('bench: sample taken');
  }
  return { samples, states };
}

/** The same, for a no-op update to a fresh trivial workflow. */
async function pingFreshRuns(n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const handle = await client.workflow.start('trivialUpdateWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: newId('bench-ping'),
      startDelay: '1h',
    });
    const { ms } = await timed(() => handle.executeUpdate('ping', { args: [i] }));
    samples.push(ms);
    await handle.terminate('bench: sample taken');
  }
  return { samples };
}

/**
 * Pause and resume cycles on one long-lived, idle run: its single node is parked on a task queue
 * no worker polls, so nothing executes and nothing but the updates wakes the run.
 */
async function pauseResumeCycles(n) {
  const spec = { name: 'bench-idle', nodes: [{ id: 'parked', activity: 'noop', taskQueue: PARKED_QUEUE }] };
  const { workflowId } = await tf.startRun(spec, { id: newId('bench-idle') });
  for (let i = 0; i < 100; i++) {
    const status = await tf.getStatus(workflowId);
    if (status.nodes[0]?.state === 'running') break;
    await delay(20);
  }
  const pause = [];
  const resume = [];
  const states = {};
  for (let i = 0; i < n; i++) {
    const p = await timed(() => tf.pause(workflowId, { reason: 'bench' }));
    pause.push(p.ms);
    states[p.value.state] = (states[p.value.state] ?? 0) + 1;
    const r = await timed(() => tf.resume(workflowId));
    resume.push(r.ms);
  }
  await client.workflow.getHandle(workflowId).terminate('bench: done');
  return { pause, resume, states };
}

/** Back-to-back no-op updates to one idle trivial workflow. */
async function pingCycles(n) {
  const handle = await client.workflow.start('trivialUpdateWorkflow', { taskQueue: TASK_QUEUE, workflowId: newId('bench-ping') });
  await handle.executeUpdate('ping', { args: [-1] });
  const samples = [];
  for (let i = 0; i < n; i++) samples.push((await timed(() => handle.executeUpdate('ping', { args: [i] }))).ms);
  await handle.signal('finish');
  await handle.result();
  return { samples };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const results = await worker.runUntil(async () => {
  const warmStarted = performance.now();
  // Warm-up, not counted: loads the workflow code and JIT-compiles both paths.
  await engineRun(chainSpec(50));
  await baselineRun('baselineChainWorkflow', [50]);
  await engineRun(wideSpec(200, args.parallel));
  await baselineRun('baselineWideWorkflow', [200, args.parallel]);
  await pauseFreshRuns(10);
  await pingFreshRuns(10);
  console.log(`warm-up done in ${fmtS(performance.now() - warmStarted)}`);
  console.log('');

  console.log(`chain of ${args.chain} noop nodes`);
  const chain = await sideBySide(
    'chain',
    () => engineRun(chainSpec(args.chain)),
    () => baselineRun('baselineChainWorkflow', [args.chain]),
  );
  console.log('');
  console.log(`wide DAG: ${args.wide} independent noop nodes, maxParallel ${args.parallel}`);
  const wide = await sideBySide(
    'wide',
    () => engineRun(wideSpec(args.wide, args.parallel)),
    () => baselineRun('baselineWideWorkflow', [args.wide, args.parallel]),
  );
  console.log('');
  console.log(
    `store: the chain of ${args.chain} with every node attempt recorded in PostgreSQL, against the same chain with no store, ${storeRounds} rounds`,
  );
  await engineRun(chainSpec(50), tfStore); // warm-up of the second worker, not counted
  const storeCosts = [];
  const store = await sideBySide(
    'store',
    () => storeRun(chainSpec(args.chain), storeCosts),
    () => engineRun(chainSpec(args.chain)),
    ['store on', 'store off'],
    storeRounds,
  );
  // Flush, not drain: the recorder must keep writing for the SSE figure.
  await attemptRecorder.flush(30_000);
  const lastStoreRun = (await storePool.query('SELECT count(*)::int AS n FROM tapflow.node_attempts WHERE workflow_id = $1', [store.last.engine])).rows[0].n;
  console.log(`  rows recorded for the last store-on run: ${lastStoreRun} (nodes: ${args.chain})`);
  store.costs = storeCosts;
  console.log(
    `  per store-on run: ${storeCosts.map((c) => c.statements).join(', ')} statements; ` +
      `PostgreSQL CPU ${storeCosts.map((c) => c.pgCpuSeconds.toFixed(2)).join(', ')} s`,
  );
  console.log('');
  console.log(`control latency, ${args.cycles} samples each`);
  await delay(SETTLE_MS);
  const pauseFresh = await pauseFreshRuns(args.cycles);
  console.log(`  pause, nothing in flight (fresh run per sample): done; acks ${JSON.stringify(pauseFresh.states)}`);
  await delay(SETTLE_MS);
  const pingFresh = await pingFreshRuns(args.cycles);
  console.log('  no-op update, fresh trivial workflow per sample: done');
  await delay(SETTLE_MS);
  const cycles = await pauseResumeCycles(args.cycles);
  console.log(`  pause/resume cycles on one idle run: done; pause acks ${JSON.stringify(cycles.states)}`);
  await delay(SETTLE_MS);
  const ping = await pingCycles(args.cycles);
  console.log('  no-op update, one idle trivial workflow: done');
  console.log('');
  let sse;
  if (args['sse-runs'] > 0) {
    console.log(`SSE latency: ${args['sse-runs']} pipelines running on the store worker, one SSE client each (bench/sse.mjs)`);
    await delay(SETTLE_MS);
    sse = await measureSse({
      client: tfStore,
      pgUrl: pg.url,
      pgPid: pg.pid,
      probe: sseProbe,
      recorder: attemptRecorder,
      statements: () => storeStatements,
      runs: args['sse-runs'],
      nodes: args['sse-nodes'],
      sleepMs: args['sse-sleep-ms'],
    });
    console.log('');
  }
  return { chain, wide, store, storeRows: lastStoreRun, pauseFresh, pingFresh, cycles, ping, sse };
});
storeWorker.shutdown();
await storeRunning;
await store.close();
await env.teardown();

// ---------------------------------------------------------------------------------------------
// Report

const chainMs = median(results.chain.engine);
const chainBaseMs = median(results.chain.baseline);
const wideMs = median(results.wide.engine);
const wideBaseMs = median(results.wide.baseline);
const storeOnMs = median(results.store.engine);
const storeOffMs = median(results.store.baseline);
const pf = latencySummary(results.pauseFresh.samples);
const bf = latencySummary(results.pingFresh.samples);
const pc = latencySummary(results.cycles.pause);
const rc = latencySummary(results.cycles.resume);
const bc = latencySummary(results.ping.samples);

console.log(`results (median of ${args.rounds} rounds; per-node = median / nodes)`);
table(
  ['figure', 'engine', 'baseline', 'engine / baseline'],
  [
    [`chain, ${args.chain} nodes`, fmtS(chainMs), fmtS(chainBaseMs), (chainMs / chainBaseMs).toFixed(3)],
    ['  per node', fmtMs(chainMs / args.chain), fmtMs(chainBaseMs / args.chain), ''],
    [`wide, ${args.wide} nodes @ ${args.parallel}`, fmtS(wideMs), fmtS(wideBaseMs), (wideMs / wideBaseMs).toFixed(3)],
    ['  per node', fmtMs(wideMs / args.wide), fmtMs(wideBaseMs / args.wide), ''],
    [`chain, store on / off (${storeRounds} rounds)`, fmtS(storeOnMs), fmtS(storeOffMs), (storeOnMs / storeOffMs).toFixed(3)],
  ],
);
console.log('');
function statsTable(title, nodes, st) {
  console.log(`${title}: where the time went, from the history of the last round's runs (per node unless said)`);
  const row = (label, f, digits = 2) => [label, f(st.engine).toFixed(digits), f(st.baseline).toFixed(digits)];
  table(
    ['', 'engine', 'baseline'],
    [
      row('history events', (x) => x.events / nodes),
      row('workflow tasks', (x) => x.wfts / nodes),
      row('  ms queued (scheduled -> started)', (x) => x.wftQueuedMs / nodes),
      row('  ms in the worker (started -> completed)', (x) => x.wftWorkerMs / nodes),
      row('  ms in the worker per workflow task', (x) => x.wftWorkerMs / Math.max(1, x.wfts)),
      row('activity ms queued (scheduled -> started)', (x) => x.actQueuedMs / nodes),
      row('activity ms running (started -> completed)', (x) => x.actRunningMs / nodes),
      row('search attribute upserts (per run)', (x) => x.upserts, 0),
    ],
  );
  console.log('');
}
statsTable(`chain, ${args.chain} nodes`, args.chain, results.chain.stats);
statsTable(`wide, ${args.wide} nodes`, args.wide, results.wide.stats);

console.log(`control latency (ms, ${args.cycles} samples each; engine = TapflowClient.pause/resume, baseline = no-op update)`);
table(
  ['figure', 'p50', 'p90', 'p99', 'max', 'mean'],
  [
    ['pause, nothing in flight (fresh run)', ...[pf.p50, pf.p90, pf.p99, pf.max, pf.mean].map((x) => x.toFixed(1))],
    ['  baseline: no-op update (fresh wf)', ...[bf.p50, bf.p90, bf.p99, bf.max, bf.mean].map((x) => x.toFixed(1))],
    ['pause, idle run (1 node parked)', ...[pc.p50, pc.p90, pc.p99, pc.max, pc.mean].map((x) => x.toFixed(1))],
    ['resume, idle run (1 node parked)', ...[rc.p50, rc.p90, rc.p99, rc.max, rc.mean].map((x) => x.toFixed(1))],
    ['  baseline: no-op update (idle wf)', ...[bc.p50, bc.p90, bc.p99, bc.max, bc.mean].map((x) => x.toFixed(1))],
  ],
);
console.log('');
if (results.sse) printSse(results.sse);
console.log(
  'quality bars, for reference only (nothing here passes or fails): chain engine/baseline <= 1.2, ' +
    `chain of 1,000 < 60 s, pause p99 < 100 ms with nothing in flight. This run: ratio ${(chainMs / chainBaseMs).toFixed(3)}, ` +
    `chain ${fmtS(chainMs)}, pause p99 ${fmtMs(pf.p99)}.`,
);
console.log('');

const json = {
  chainNodes: args.chain,
  chainSeconds: round(chainMs / 1000, 3),
  baselineSeconds: round(chainBaseMs / 1000, 3),
  overheadRatio: round(chainMs / chainBaseMs, 3),
  chainRoundsSeconds: results.chain.engine.map((x) => round(x / 1000, 3)),
  baselineRoundsSeconds: results.chain.baseline.map((x) => round(x / 1000, 3)),
  pauseAckP50Ms: round(pf.p50),
  pauseAckP99Ms: round(pf.p99),
  pauseAckSamples: pf.n,
  pauseAckStates: results.pauseFresh.states,
  baselineUpdateP50Ms: round(bf.p50),
  baselineUpdateP99Ms: round(bf.p99),
  idlePauseP50Ms: round(pc.p50),
  idlePauseP99Ms: round(pc.p99),
  idleResumeP50Ms: round(rc.p50),
  idleResumeP99Ms: round(rc.p99),
  idleBaselineUpdateP50Ms: round(bc.p50),
  idleBaselineUpdateP99Ms: round(bc.p99),
  wideNodes: args.wide,
  wideMaxParallel: args.parallel,
  wideDagSeconds: round(wideMs / 1000, 3),
  wideBaselineSeconds: round(wideBaseMs / 1000, 3),
  wideOverheadRatio: round(wideMs / wideBaseMs, 3),
  storeOnSeconds: round(storeOnMs / 1000, 3),
  storeOffSeconds: round(storeOffMs / 1000, 3),
  storeOverheadRatio: round(storeOnMs / storeOffMs, 3),
  storeOnRoundsSeconds: results.store.engine.map((x) => round(x / 1000, 3)),
  storeOffRoundsSeconds: results.store.baseline.map((x) => round(x / 1000, 3)),
  storeRounds,
  storeStatementsPerRun: median(results.store.costs.map((c) => c.statements)),
  storePgCpuSecondsPerRun: round(median(results.store.costs.map((c) => c.pgCpuSeconds)), 3),
  storeRowsLastRun: results.storeRows,
  ...(results.sse ? sseFigures(results.sse) : {}),
  rounds: args.rounds,
  server: serverDesc,
  machine: m,
};
console.log(JSON.stringify(json));
