#!/usr/bin/env node
// What a concurrency limit costs (docs/design/concurrency.md): M runs of a one-node `noop`
// pipeline started at once, in three kinds, side by side in one run, on one dev server and one
// in-process worker:
//   (a) unlimited: the spec has no `concurrency` (the baseline);
//   (b) `concurrency: { key, limit: M }`: every run asks the key's coordinator for a slot and is
//       granted at once, so the difference from (a) is the protocol alone;
//   (c) `concurrency: { key, limit: L }` with L < M: runs wait `queued` for a slot, and the
//       coordinator's admissions a second are the key's throughput.
// For each it times start -> first node started (the `noop` attempt entering the worker) and the
// runs a second end to end; it reads the histories of a sample of runs (events per run) and the
// whole history of each coordinator, across continue-as-new (events per admitted run, when it
// granted, how many slots were held at once). It only prints; it never passes or fails on time.
// The last line of output is one JSON object with every figure.
//
//   npm run build && node bench/concurrency.mjs [--runs N] [--rounds N] [--limit N] [--start-concurrency N]
//                                               [--history-sample N] [--warmup-runs N] [--transfer-poll-rps N]
//   node bench/concurrency.mjs --quick     # 20 runs, 1 round, limit 5 (or TAPFLOW_BENCH_QUICK=1): the CI test's size
//
// What it measures and how is written up in BENCHMARKS.md ("Concurrency limits").
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fmtS, latencySummary, mapLimited, median, parseArgs, printMachine, round, SETTLE_MS, table, takeQuickFlag, within, WORKER_OPTIONS } from './common.mjs';
import { dist, startTapflowDevServer } from './tapflow-dist.mjs';

const { createWorker, bundleTapflowWorkflows } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const quick = takeQuickFlag(argv);
const args = parseArgs(argv, {
  runs: quick ? 20 : 200, // M: runs of each kind per round, started at once
  rounds: quick ? 1 : 3, // measured rounds; each figure is the median of the rounds
  limit: quick ? 5 : 10, // L: the limit of kind (c), which makes runs wait
  'start-concurrency': 50, // start calls in flight at once
  'history-sample': quick ? 5 : 20, // runs of each kind per round whose histories are read
  'warmup-runs': quick ? 5 : 20, // runs of each kind in the warm-up, not counted
  'timeout-s': quick ? 90 : 300, // the most a round of one kind may take before the benchmark stops with an error
  'transfer-poll-rps': 10000, // as bench/run.mjs (see BENCHMARKS.md); 0 keeps the dev server's own setting
});
for (const k of ['runs', 'rounds', 'limit', 'start-concurrency', 'history-sample', 'warmup-runs', 'timeout-s']) {
  if (!Number.isInteger(args[k]) || args[k] < 1) {
    console.error(`bench: --${k} wants a whole number above 0`);
    process.exit(2);
  }
}
if (args.limit >= args.runs) {
  console.error(`bench: --limit (${args.limit}) must be below --runs (${args.runs}), so that runs of kind (c) wait`);
  process.exit(2);
}
const TASK_QUEUE = 'tapflow-bench-concurrency';
const tag = `${process.pid}-${Date.now().toString(36)}`;

/** The three kinds; `limit` undefined is the baseline. A kind's `limitFor(runs)` is its spec's limit. */
const KINDS = [
  { key: 'a', name: '(a) unlimited', limitFor: () => undefined },
  { key: 'b', name: '(b) limit = runs', limitFor: (runs) => runs },
  { key: 'c', name: '(c) limit L', limitFor: () => args.limit },
];

// ---------------------------------------------------------------------------------------------
// Machine, server, worker

const m = printMachine('tapflow concurrency-limit benchmark', temporalCliPath());
const bundleStarted = performance.now();
// tapflow's own workflows (pipelineWorkflow and concurrencyWorkflow), not cached on disk.
const { code } = await bundleTapflowWorkflows({ cacheDir: false });
const bundleMs = performance.now() - bundleStarted;

const { env, extraArgs } = await startTapflowDevServer({ transferPollRps: args['transfer-poll-rps'] });
const client = env.client;
const tf = new TapflowClient(client, { taskQueue: TASK_QUEUE });

/** Workflow id -> when its `noop` attempt entered the worker (performance.now(), this process). */
const nodeStartedAt = new Map();
/** Notes when each run's `noop` starts: the run's first node started. */
const probe = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const { activityType, workflowExecution } = ctx.info;
      if (activityType === 'noop' && workflowExecution && !nodeStartedAt.has(workflowExecution.workflowId)) {
        nodeStartedAt.set(workflowExecution.workflowId, performance.now());
      }
      return next(input);
    },
  },
});
const worker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: TASK_QUEUE,
  workerOptions: { ...WORKER_OPTIONS, workflowBundle: { code }, workflowsPath: undefined, interceptors: { activity: [probe] } },
});

const serverDesc = 'temporal server start-dev, in memory, log level warn' + (extraArgs.length ? `, ${extraArgs[1]}` : ', default dynamic config');
console.log(`  server    ${serverDesc}`);
console.log(`  worker    in-process (createWorker, WORKER_OPTIONS), task queue ${TASK_QUEUE}, no store`);
console.log(`  workflows tapflow's own (bundleTapflowWorkflows: pipelineWorkflow, concurrencyWorkflow), bundled in ${fmtS(bundleMs)}`);
console.log(
  `  plan      ${args.rounds} round(s); each round ${args.runs} runs of a one-node noop pipeline per kind, started ${args['start-concurrency']} at a time: ` +
    `(a) unlimited, (b) limit ${args.runs}, (c) limit ${args.limit}; a fresh key per kind and round; ` +
    `histories of ${args['history-sample']} runs per kind and of every coordinator${quick ? ' (quick)' : ''}`,
);
console.log('');

// ---------------------------------------------------------------------------------------------
// One round of one kind

const specFor = (kind, runs, key) => {
  const limit = kind.limitFor(runs);
  return {
    name: `bench-concurrency-${kind.key}`,
    ...(limit === undefined ? {} : { concurrency: { key, limit } }),
    nodes: [{ id: 'n0000', activity: 'noop' }],
  };
};

const eventTimeMs = (e) => Number(e.eventTime.seconds) * 1000 + (e.eventTime.nanos ?? 0) / 1e6;
const eventType = (e) => String(e.attributes).replace(/EventAttributes$/, '');

/** A history's events by type, added into `into` with weight `w`. */
function countTypes(events, into, w) {
  for (const e of events) into[eventType(e)] = (into[eventType(e)] ?? 0) + w;
}

/**
 * The whole history of `workflowId`'s coordinator, every execution of it (following
 * continue-as-new back from the latest), oldest first.
 */
async function coordinatorHistory(workflowId) {
  const executions = [];
  let runId;
  for (;;) {
    const { events } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    executions.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) return executions;
  }
}

/**
 * What a coordinator's history says: events, executions, distinct runs granted, the span from its
 * start to its last grant, and the most slots held at once (grants so far less releases so far,
 * in history order, which is the order the coordinator saw them).
 */
async function readCoordinator(coordinatorId) {
  const executions = await coordinatorHistory(coordinatorId);
  const all = executions.flat();
  const granted = new Set();
  let held = 0;
  let mostHeld = 0;
  let requests = 0;
  let releases = 0;
  let firstGrantAt;
  let lastGrantAt;
  /** The first release since the last grant; the next grant's wait for a free slot ends there. */
  let releasedAt;
  const releaseToGrant = [];
  for (const e of all) {
    if (e.attributes === 'signalExternalWorkflowExecutionInitiatedEventAttributes') {
      const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      if (a.signalName !== 'tapflowSlotGranted') continue;
      const id = a.workflowExecution?.workflowId;
      if (granted.has(id)) continue; // granted again (a request repeated): no new slot
      granted.add(id);
      mostHeld = Math.max(mostHeld, ++held);
      if (releasedAt !== undefined) releaseToGrant.push(eventTimeMs(e) - releasedAt);
      releasedAt = undefined;
      firstGrantAt ??= eventTimeMs(e);
      lastGrantAt = eventTimeMs(e);
    } else if (e.attributes === 'workflowExecutionSignaledEventAttributes') {
      const name = e.workflowExecutionSignaledEventAttributes.signalName;
      if (name === 'tapflowAcquireSlot') requests++;
      if (name === 'tapflowReleaseSlot') {
        releases++;
        held--;
        releasedAt ??= eventTimeMs(e);
      }
    }
  }
  const startedAt = eventTimeMs(all[0]);
  const types = {};
  countTypes(all, types, 1);
  return {
    events: all.length,
    executions: executions.length,
    admitted: granted.size,
    requests,
    releases,
    mostHeld,
    // Admissions a second: runs granted over the time from the coordinator's start (the first
    // request) to its last grant.
    admissionsPerSecond: lastGrantAt > startedAt ? granted.size / ((lastGrantAt - startedAt) / 1000) : Number.NaN,
    grantSpanMs: lastGrantAt - firstGrantAt,
    // From a release to the grant it makes room for (server time): the coordinator's turnaround.
    releaseToGrant: latencySummary(releaseToGrant),
    types,
  };
}

/**
 * Starts `runs` runs of `kind` at once (`start-concurrency` calls in flight), waits for every one
 * to complete, and reads the histories.
 *
 * @throws when a run does not complete, or its node never started.
 */
async function measure(kind, runs, label, sampleSize) {
  const key = `bench-${kind.key}-${label}-${tag}`;
  const spec = specFor(kind, runs, key);
  const ids = Array.from({ length: runs }, (_, i) => `bench-concurrency-${kind.key}-${label}-${tag}-${i}`);
  const startAt = new Array(runs);
  const endAt = new Array(runs);
  const t0 = performance.now();
  const ends = [];
  await mapLimited(ids, args['start-concurrency'], async (id, i) => {
    startAt[i] = performance.now();
    await tf.startRun(spec, { id });
    // result() throws unless the run completed.
    const end = tf.result(id, { wait: true }).then(() => {
      endAt[i] = performance.now();
    });
    end.catch(() => undefined); // awaited below, with the others
    ends.push(end);
  });
  const startsMs = performance.now() - t0;
  // While (c)'s later runs wait: the last run started should be queued.
  const lastState = kind.key === 'c' ? (await tf.getStatus(ids.at(-1))).state : undefined;
  await within(Promise.all(ends), args['timeout-s'] * 1000, `${runs} runs of ${kind.name}`);
  const wallMs = Math.max(...endAt) - t0;
  const latencies = ids.map((id, i) => {
    const at = nodeStartedAt.get(id);
    if (at === undefined) throw new Error(`bench: the node of ${id} never started`);
    return at - startAt[i];
  });
  const endToEnd = ids.map((_, i) => endAt[i] - startAt[i]);

  // Events per run: a sample spread over the round.
  const step = Math.max(1, Math.floor(runs / sampleSize));
  const sample = ids.filter((_, i) => i % step === 0).slice(0, sampleSize);
  const eventsByType = {};
  /** The workflow ids the runs gave their slot back to: the key's coordinator. */
  const releasedTo = new Set();
  const lengths = await mapLimited(sample, 10, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    countTypes(events, eventsByType, 1 / sample.length);
    for (const e of events) {
      const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      if (a?.signalName === 'tapflowReleaseSlot') releasedTo.add(a.workflowExecution?.workflowId);
    }
    return events.length;
  });
  let coordinator;
  if (spec.concurrency) {
    if (releasedTo.size !== 1) throw new Error(`bench: the runs of key ${key} gave their slots back to ${releasedTo.size} coordinators: ${[...releasedTo].join(', ')}`);
    // The last runs' releases are in the coordinator's history (sent before each run ended); let
    // it handle them before reading.
    await delay(1000);
    coordinator = { id: [...releasedTo][0], ...(await readCoordinator([...releasedTo][0])) };
    if (coordinator.admitted !== runs) throw new Error(`bench: the coordinator of ${key} admitted ${coordinator.admitted} runs of ${runs}`);
  } else if (releasedTo.size > 0) {
    throw new Error(`bench: runs without a concurrency limit signalled ${[...releasedTo].join(', ')}`);
  }
  return {
    kind: kind.key,
    runs,
    startsMs,
    wallMs,
    runsPerSecond: runs / (wallMs / 1000),
    firstNode: latencySummary(latencies),
    endToEnd: latencySummary(endToEnd),
    eventsPerRun: lengths.reduce((a, b) => a + b, 0) / lengths.length,
    eventsByType,
    lastState,
    coordinator,
    load: os.loadavg()[0],
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const rounds = Object.fromEntries(KINDS.map((k) => [k.key, []]));
const started = performance.now();
await worker.runUntil(async () => {
  // Warm-up, not counted: loads the workflow code, starts a coordinator, JIT-compiles every path.
  for (const kind of KINDS) await measure(kind, Math.max(args['warmup-runs'], args.limit + 1), 'warmup', 1);
  console.log(`warm-up done in ${fmtS(performance.now() - started)}`);
  for (let r = 0; r < args.rounds; r++) {
    // The kind that goes first turns each round, so drift in the machine's load spreads over all.
    const order = KINDS.map((_, i) => KINDS[(i + r) % KINDS.length]);
    for (const kind of order) {
      await delay(SETTLE_MS);
      const x = await measure(kind, args.runs, `r${r}`, args['history-sample']);
      rounds[kind.key].push(x);
      const c = x.coordinator;
      console.log(
        `  round ${r + 1}/${args.rounds} ${kind.name.padEnd(17)} ${x.runsPerSecond.toFixed(1).padStart(6)} runs/s, ` +
          `start -> node p50 ${x.firstNode.p50.toFixed(0)} ms p90 ${x.firstNode.p90.toFixed(0)} ms, ${x.eventsPerRun.toFixed(1)} events/run` +
          (c ? `; coordinator ${c.events} events / ${c.admitted} admitted, ${c.admissionsPerSecond.toFixed(1)} admissions/s, ${c.mostHeld} held at most` : '') +
          `; load ${x.load.toFixed(2)}`,
      );
    }
  }
});
await env.teardown();
const totalMs = performance.now() - started;

// ---------------------------------------------------------------------------------------------
// Report

const med = (k, f) => median(rounds[k].map(f).filter((v) => v !== undefined && !Number.isNaN(v)));
const figures = Object.fromEntries(
  KINDS.map(({ key: k }) => [
    k,
    {
      runsPerSecond: round(med(k, (x) => x.runsPerSecond), 1),
      firstNodeP50Ms: round(med(k, (x) => x.firstNode.p50), 1),
      firstNodeP90Ms: round(med(k, (x) => x.firstNode.p90), 1),
      firstNodeMaxMs: round(med(k, (x) => x.firstNode.max), 1),
      endToEndP50Ms: round(med(k, (x) => x.endToEnd.p50), 1),
      eventsPerRun: round(med(k, (x) => x.eventsPerRun), 1),
      ...(k === 'a'
        ? {}
        : {
            coordinatorEvents: med(k, (x) => x.coordinator.events),
            coordinatorExecutions: Math.max(...rounds[k].map((x) => x.coordinator.executions)),
            coordinatorEventsPerAdmitted: round(med(k, (x) => x.coordinator.events / x.coordinator.admitted), 2),
            admitted: Math.min(...rounds[k].map((x) => x.coordinator.admitted)),
            admissionsPerSecond: round(med(k, (x) => x.coordinator.admissionsPerSecond), 1),
            // Only where grants wait for releases.
            ...(k === 'c'
              ? {
                  releaseToGrantP50Ms: round(med(k, (x) => x.coordinator.releaseToGrant.p50), 1),
                  releaseToGrantP90Ms: round(med(k, (x) => x.coordinator.releaseToGrant.p90), 1),
                  releaseToGrantSamples: Math.min(...rounds[k].map((x) => x.coordinator.releaseToGrant.n)),
                }
              : {}),
            mostHeld: Math.max(...rounds[k].map((x) => x.coordinator.mostHeld)),
          }),
      completed: rounds[k].reduce((a, x) => a + x.runs, 0),
      rounds: rounds[k].map((x) => ({
        runsPerSecond: round(x.runsPerSecond, 1),
        firstNodeP50Ms: round(x.firstNode.p50, 1),
        firstNodeP90Ms: round(x.firstNode.p90, 1),
        eventsPerRun: round(x.eventsPerRun, 1),
        ...(x.coordinator
          ? {
              coordinatorEvents: x.coordinator.events,
              coordinatorExecutions: x.coordinator.executions,
              admitted: x.coordinator.admitted,
              admissionsPerSecond: round(x.coordinator.admissionsPerSecond, 1),
              mostHeld: x.coordinator.mostHeld,
            }
          : {}),
        ...(x.lastState ? { lastRunStateAfterStarts: x.lastState } : {}),
        load: round(x.load, 2),
      })),
    },
  ]),
);
const { a, b, c } = figures;
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? (x / y).toFixed(3) : '-');
const fx = (v, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));

console.log('');
console.log(`results (median of ${args.rounds} round(s), ${args.runs} runs of each kind per round; limit L = ${args.limit})`);
table(
  ['figure', '(a) unlimited', `(b) limit ${args.runs}`, '(b) / (a)', `(c) limit ${args.limit}`, '(c) / (a)'],
  [
    ['start -> first node, p50 ms', fx(a.firstNodeP50Ms), fx(b.firstNodeP50Ms), ratio(b.firstNodeP50Ms, a.firstNodeP50Ms), fx(c.firstNodeP50Ms), ratio(c.firstNodeP50Ms, a.firstNodeP50Ms)],
    ['start -> first node, p90 ms', fx(a.firstNodeP90Ms), fx(b.firstNodeP90Ms), ratio(b.firstNodeP90Ms, a.firstNodeP90Ms), fx(c.firstNodeP90Ms), ratio(c.firstNodeP90Ms, a.firstNodeP90Ms)],
    ['runs / s, end to end', fx(a.runsPerSecond), fx(b.runsPerSecond), ratio(b.runsPerSecond, a.runsPerSecond), fx(c.runsPerSecond), ratio(c.runsPerSecond, a.runsPerSecond)],
    ['history events / run', fx(a.eventsPerRun), fx(b.eventsPerRun), ratio(b.eventsPerRun, a.eventsPerRun), fx(c.eventsPerRun), ratio(c.eventsPerRun, a.eventsPerRun)],
    ['coordinator events / admitted run', '-', fx(b.coordinatorEventsPerAdmitted, 2), '', fx(c.coordinatorEventsPerAdmitted, 2), ''],
    ['coordinator events (executions)', '-', `${b.coordinatorEvents} (${b.coordinatorExecutions})`, '', `${c.coordinatorEvents} (${c.coordinatorExecutions})`, ''],
    ['admissions / s (one coordinator)', '-', fx(b.admissionsPerSecond), '', fx(c.admissionsPerSecond), ''],
    ['release -> next grant, p50 ms', '-', '-', '', fx(c.releaseToGrantP50Ms), ''],
    ['release -> next grant, p90 ms', '-', '-', '', fx(c.releaseToGrantP90Ms), ''],
    ['most slots held at once', '-', String(b.mostHeld), '', `${c.mostHeld} (limit ${args.limit})`, ''],
  ],
);

// Where the extra events are: types whose count per run differs, last round's sample.
const lastTypes = Object.fromEntries(KINDS.map(({ key: k }) => [k, rounds[k].at(-1).eventsByType]));
const typeNames = [...new Set(Object.values(lastTypes).flatMap((t) => Object.keys(t)))].sort();
const differing = typeNames.filter((t) => Math.abs((lastTypes.b[t] ?? 0) - (lastTypes.a[t] ?? 0)) > 0.05 || Math.abs((lastTypes.c[t] ?? 0) - (lastTypes.a[t] ?? 0)) > 0.05);
console.log('');
console.log(`history events per run by type, where (b) or (c) differ from (a) (last round, ${args['history-sample']} runs each)`);
table(
  ['event type', '(a)', '(b)', '(c)'],
  differing.map((t) => [t, fx(lastTypes.a[t] ?? 0, 2), fx(lastTypes.b[t] ?? 0, 2), fx(lastTypes.c[t] ?? 0, 2)]),
);
const coordTypes = Object.fromEntries(['b', 'c'].map((k) => [k, rounds[k].at(-1).coordinator]));
console.log('');
console.log(`coordinator history by type, per admitted run (last round)`);
table(
  ['event type', '(b)', '(c)'],
  [...new Set([...Object.keys(coordTypes.b.types), ...Object.keys(coordTypes.c.types)])]
    .sort()
    .map((t) => [t, fx((coordTypes.b.types[t] ?? 0) / coordTypes.b.admitted, 2), fx((coordTypes.c.types[t] ?? 0) / coordTypes.c.admitted, 2)]),
);
console.log('');
console.log(`total ${fmtS(totalMs)}`);

const perRunTypes = (t, n = 1) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round(v / n, 2)]));
console.log(
  JSON.stringify({
    bench: 'concurrency',
    quick,
    runs: args.runs,
    rounds: args.rounds,
    limit: args.limit,
    startConcurrency: args['start-concurrency'],
    historySample: args['history-sample'],
    unlimited: a,
    limitAtRuns: b,
    limitWaits: c,
    firstNodeP50Ratio: { b: Number(ratio(b.firstNodeP50Ms, a.firstNodeP50Ms)), c: Number(ratio(c.firstNodeP50Ms, a.firstNodeP50Ms)) },
    runsPerSecondRatio: { b: Number(ratio(b.runsPerSecond, a.runsPerSecond)), c: Number(ratio(c.runsPerSecond, a.runsPerSecond)) },
    eventsPerRunRatio: { b: Number(ratio(b.eventsPerRun, a.eventsPerRun)), c: Number(ratio(c.eventsPerRun, a.eventsPerRun)) },
    eventsByType: { a: perRunTypes(lastTypes.a), b: perRunTypes(lastTypes.b), c: perRunTypes(lastTypes.c) },
    coordinatorEventsByType: { b: perRunTypes(coordTypes.b.types, coordTypes.b.admitted), c: perRunTypes(coordTypes.c.types, coordTypes.c.admitted) },
    totalSeconds: round(totalMs / 1000, 1),
    server: serverDesc,
    machine: m,
  }),
);
