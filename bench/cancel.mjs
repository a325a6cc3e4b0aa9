#!/usr/bin/env node
// How fast a cancel reaches a heartbeating activity (PRODUCT.md: "Cancel reaches a heartbeating
// activity within a few seconds"). Side by side, in the same run, on one dev server and one
// in-process worker: tapflow runs cancelled with `TapflowClient.cancel`, and a hand-written
// Temporal workflow calling the same activity with the same options, cancelled with
// `handle.cancel()`; and tapflow runs of the built-in `wait` activity. For each cancel it times,
// from the request: the call returning, the activity seeing the cancel, the run ending cancelled.
//
// It only prints; it never passes or fails on time. The last line of output is one JSON object.
//
//   npm run build && node bench/cancel.mjs [--cancels N] [--heartbeat-ms LIST] [--heartbeat-timeout-ms N]
//                                          [--concurrent N] [--transfer-poll-rps N]
//   node bench/cancel.mjs --quick    # 8 cancels of each kind (or TAPFLOW_BENCH_QUICK=1): the same figures and keys
//
// What it measures and how is written up in BENCHMARKS.md ("Cancel reaching a heartbeating activity").
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fmtS, latencySummary, mapLimited, parseArgs, printMachine, round, SETTLE_MS, table, takeQuickFlag, timed, within, WORKER_OPTIONS } from './common.mjs';
import { bundleBenchWorkflows, dist, require, startTapflowDevServer } from './tapflow-dist.mjs';
import { CANCEL_ACTIVITY, createCancelProbe } from './cancel-probe.mjs';

const { CancelledFailure, WorkflowFailedError } = require('@temporalio/client');
const { createWorker } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const quick = takeQuickFlag(argv);
const args = parseArgs(argv, {
  cancels: quick ? 8 : 30, // measured cancels of each kind (engine and baseline per heartbeat interval, and the built-in wait)
  'heartbeat-ms': '1000,250', // how often the bench activity heartbeats, one figure per interval (comma-separated)
  'heartbeat-timeout-ms': 10000, // the heartbeatTimeout of the bench activity's node (and of the baseline's call)
  concurrent: 4, // cancels measured at once, each on its own run
  'transfer-poll-rps': 10000, // as bench/run.mjs (see BENCHMARKS.md); 0 keeps the dev server's own setting
});
const heartbeats = args['heartbeat-ms'].split(',').map(Number);
const heartbeatTimeoutMs = args['heartbeat-timeout-ms'];
for (const [name, ok] of [
  ['--heartbeat-ms', heartbeats.length > 0 && heartbeats.every((x) => Number.isInteger(x) && x > 0)],
  ['--heartbeat-timeout-ms', Number.isInteger(heartbeatTimeoutMs) && heartbeatTimeoutMs > 0],
  ['--cancels', Number.isInteger(args.cancels) && args.cancels > 0],
  ['--concurrent', Number.isInteger(args.concurrent) && args.concurrent > 0],
]) {
  if (!ok) {
    console.error(`bench: ${name} wants whole numbers above 0 (--heartbeat-ms: a comma-separated list)`);
    process.exit(2);
  }
}
const TASK_QUEUE = 'tapflow-bench-cancel';
/** How often the built-in `wait` heartbeats (src/activities/builtin.ts). */
const WAIT_HEARTBEAT_MS = 1000;
/** The golden ratio's fraction: `frac(i x this)` spreads the samples' delays evenly, in no order. */
const SPREAD_STEP = 0.6180339887;

// ---------------------------------------------------------------------------------------------
// Machine, server, worker

const m = printMachine('tapflow cancel benchmark', temporalCliPath());

const { code, bundleMs } = await bundleBenchWorkflows();

const { env, extraArgs } = await startTapflowDevServer({ transferPollRps: args['transfer-poll-rps'] });
const client = env.client;
const tf = new TapflowClient(client, { taskQueue: TASK_QUEUE });
const probe = createCancelProbe();
const worker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: TASK_QUEUE,
  activities: probe.activities,
  workerOptions: { ...WORKER_OPTIONS, workflowBundle: { code }, workflowsPath: undefined, interceptors: { activity: [probe.interceptor] } },
});
const throttle = { defaultMs: worker.options.defaultHeartbeatThrottleIntervalMs, maxMs: worker.options.maxHeartbeatThrottleIntervalMs };
/** The SDK's heartbeat throttle interval for an activity: 0.8 x its heartbeatTimeout, at most the max; without one, the default. */
const throttleFor = (timeoutMs) => (timeoutMs === undefined ? throttle.defaultMs : Math.min(0.8 * timeoutMs, throttle.maxMs));

/**
 * What is cancelled. Each kind's `spreadMs` is the longer of its heartbeat and throttle intervals:
 * about how often its heartbeats reach the server. The cancels come 0 to that long after the
 * activity started, spread evenly, so they meet every point of the heartbeat cycle.
 */
const kinds = [
  ...heartbeats.flatMap((heartbeatMs) => [
    {
      key: `engine-${heartbeatMs}`,
      side: 'engine',
      heartbeatMs,
      timeoutMs: heartbeatTimeoutMs,
      spec: {
        name: 'bench-cancel',
        nodes: [{ id: 'n0000', activity: CANCEL_ACTIVITY, heartbeatTimeout: heartbeatTimeoutMs, input: { heartbeatMs } }],
      },
    },
    { key: `baseline-${heartbeatMs}`, side: 'baseline', heartbeatMs, timeoutMs: heartbeatTimeoutMs },
  ]),
  {
    // The contract's `cancel` update from a plain client, with no Temporal cancel request after it:
    // the run asks Temporal to cancel it itself.
    key: 'update-only',
    side: 'engine',
    via: 'update',
    heartbeatMs: heartbeats[0],
    timeoutMs: heartbeatTimeoutMs,
    spec: {
      name: 'bench-cancel-update',
      nodes: [{ id: 'n0000', activity: CANCEL_ACTIVITY, heartbeatTimeout: heartbeatTimeoutMs, input: { heartbeatMs: heartbeats[0] } }],
    },
  },
  {
    key: 'wait',
    side: 'engine',
    heartbeatMs: WAIT_HEARTBEAT_MS,
    timeoutMs: undefined,
    spec: { name: 'bench-cancel-wait', nodes: [{ id: 'n0000', activity: 'wait', input: { duration: '10m' } }] },
  },
].map((k) => ({ ...k, throttleMs: throttleFor(k.timeoutMs), spreadMs: Math.max(k.heartbeatMs, throttleFor(k.timeoutMs)) }));

const serverDesc =
  'temporal server start-dev, in memory, log level warn' + (extraArgs.length ? `, ${extraArgs[1]}` : ', default dynamic config');
console.log(`  server    ${serverDesc}`);
console.log(
  `  worker    in-process (createWorker, WORKER_OPTIONS), task queue ${TASK_QUEUE}; heartbeat throttle ` +
    `${fmtS(throttle.defaultMs)} without a heartbeatTimeout, else 0.8 x heartbeatTimeout, at most ${fmtS(throttle.maxMs)}`,
);
console.log(`  workflows one bundle (bench/workflows.ts: pipelineWorkflow + baselineCancelWorkflow), bundled in ${fmtS(bundleMs)}`);
console.log(
  `  plan      ${args.cancels} cancels of each kind, ${args.concurrent} at once: engine and baseline with ${CANCEL_ACTIVITY} heartbeating every ` +
    `${heartbeats.join(' / ')} ms (heartbeatTimeout ${fmtS(heartbeatTimeoutMs)}, throttle ${fmtS(throttleFor(heartbeatTimeoutMs))}), ` +
    `and the engine with the built-in wait (heartbeat ${fmtS(WAIT_HEARTBEAT_MS)}, no heartbeatTimeout, throttle ${fmtS(throttle.defaultMs)})`,
);
console.log('');

// ---------------------------------------------------------------------------------------------
// One cancel

const tag = `${process.pid}-${Date.now().toString(36)}`;
const engineRuns = [];

/** Resolves to the run's measured activity attempt once it has started. */
async function activityStarted(id) {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const attempt = probe.attempts.get(id);
    if (attempt) return attempt;
    if (performance.now() > deadline) throw new Error(`bench: the activity of ${id} did not start within ${fmtS(30_000)}`);
    await delay(5);
  }
}

/**
 * Starts one run of `kind`, waits for its activity to start and then for sample `i`'s share of the
 * kind's spread, cancels it, and waits for the run to end. Times from the cancel request (t0).
 *
 * @throws when the run does not end cancelled, or its activity did not see the cancel.
 */
async function cancelOne(kind, i) {
  const id = `bench-cancel-${kind.key}-${tag}-${i}`;
  if (kind.side === 'engine') {
    await tf.startRun(kind.spec, { id });
    engineRuns.push(id);
  } else {
    await client.workflow.start('baselineCancelWorkflow', { taskQueue: TASK_QUEUE, workflowId: id, args: [kind.heartbeatMs, kind.timeoutMs] });
  }
  const handle = client.workflow.getHandle(id);
  // Waiting for the run's close event from before the cancel, so its arrival is timed.
  const closed = handle.result().then(
    () => ({ at: performance.now(), error: undefined }),
    (error) => ({ at: performance.now(), error }),
  );
  const attempt = await activityStarted(id);
  const phaseMs = kind.spreadMs * (((i + 1) * SPREAD_STEP) % 1);
  await delay(Math.max(0, attempt.startedAt + phaseMs - performance.now()));
  const t0 = performance.now();
  const call =
    kind.via === 'update'
      ? await timed(() => handle.executeUpdate('cancel', { args: [{ reason: 'bench' }] }))
      : kind.side === 'engine'
        ? await timed(() => tf.cancel(id, { reason: 'bench' }))
        : await timed(() => handle.cancel());
  const end = await within(closed, 60_000, `the end of ${id} after its cancel`);
  if (!(end.error instanceof WorkflowFailedError && end.error.cause instanceof CancelledFailure)) {
    throw new Error(`bench: ${id} did not end cancelled: ${end.error ? end.error.message : 'it completed'}`);
  }
  if (attempt.cancelSeenAt === undefined || attempt.outcome !== 'cancelled' || attempt.attempt !== 1) {
    throw new Error(`bench: the activity of ${id} (attempt ${attempt.attempt}) ended ${attempt.outcome ?? 'not at all'} without seeing the cancel`);
  }
  return {
    returnMs: call.ms,
    ackState: call.value?.state,
    seenMs: attempt.cancelSeenAt - t0,
    doneMs: end.at - t0,
    phaseMs,
    startedToCancelMs: t0 - attempt.startedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const samples = Object.fromEntries(kinds.map((k) => [k.key, []]));
const started = performance.now();
const endStates = await worker.runUntil(async () => {
  // Warm-up, not counted: loads the workflow code and JIT-compiles both paths.
  await mapLimited(kinds, args.concurrent, (kind) => cancelOne(kind, -1));
  engineRuns.length = 0;
  console.log(`warm-up done in ${fmtS(performance.now() - started)}`);
  await delay(SETTLE_MS);

  // Every kind's i-th cancel before any kind's (i+1)-th, so drift in the machine's load spreads over all kinds.
  const plan = [];
  for (let i = 0; i < args.cancels; i++) for (const kind of kinds) plan.push({ kind, i });
  const measureStarted = performance.now();
  let done = 0;
  await mapLimited(plan, args.concurrent, async ({ kind, i }) => {
    samples[kind.key].push(await cancelOne(kind, i));
    if (++done % 25 === 0 || done === plan.length) {
      console.log(`  ${done}/${plan.length} cancels measured after ${fmtS(performance.now() - measureStarted)}; load ${os.loadavg()[0].toFixed(2)}`);
    }
  });

  // Every engine run must have ended cancelled with its node cancelled (untimed: after the measurement).
  const states = {};
  await mapLimited(engineRuns, args.concurrent, async (id) => {
    const status = await tf.getStatus(id);
    const key = `${status.state}/${status.nodes.map((n) => n.state).join(',')}`;
    states[key] = (states[key] ?? 0) + 1;
  });
  if (Object.keys(states).some((k) => k !== 'cancelled/cancelled')) throw new Error(`bench: engine runs ended ${JSON.stringify(states)}`);
  return states;
});
await env.teardown();
const totalMs = performance.now() - started;

// ---------------------------------------------------------------------------------------------
// Report

/** Each kind's figures: the call returning, the activity seeing the cancel, the run cancelled, and seen -> cancelled. */
const figures = Object.fromEntries(
  kinds.map((k) => {
    const s = samples[k.key];
    const ackStates = {};
    for (const x of s) if (x.ackState) ackStates[x.ackState] = (ackStates[x.ackState] ?? 0) + 1;
    return [
      k.key,
      {
        ret: latencySummary(s.map((x) => x.returnMs)),
        seen: latencySummary(s.map((x) => x.seenMs)),
        done: latencySummary(s.map((x) => x.doneMs)),
        ending: latencySummary(s.map((x) => x.doneMs - x.seenMs)),
        ackStates,
      },
    ];
  }),
);
const cells = (s) => (s ? [s.p50, s.p90, s.p99, s.max].map((x) => x.toFixed(1)) : ['-', '-', '-', '-']);
const rows = [];
const group = (label, engine, baseline) => {
  rows.push([label, '', '', '', '', '', '', '', '']);
  rows.push(['  request -> call returns', ...cells(engine.ret), ...cells(baseline?.ret)]);
  rows.push(['  request -> activity sees it', ...cells(engine.seen), ...cells(baseline?.seen)]);
  rows.push(['  request -> run cancelled', ...cells(engine.done), ...cells(baseline?.done)]);
  rows.push(['  activity sees it -> run cancelled', ...cells(engine.ending), ...cells(baseline?.ending)]);
};
for (const k of kinds.filter((x) => x.side === 'engine' && x.key !== 'wait' && x.key !== 'update-only')) {
  group(`${CANCEL_ACTIVITY}, heartbeat ${k.heartbeatMs} ms (throttle ${k.throttleMs} ms)`, figures[k.key], figures[`baseline-${k.heartbeatMs}`]);
}
group(
  `${CANCEL_ACTIVITY}, heartbeat ${heartbeats[0]} ms, the cancel update alone from a plain client (no Temporal cancel after it)`,
  figures['update-only'],
  figures[`baseline-${heartbeats[0]}`],
);
const wait = kinds.find((k) => k.key === 'wait');
group(`built-in wait, heartbeat ${wait.heartbeatMs} ms, no heartbeatTimeout (throttle ${wait.throttleMs} ms)`, figures.wait, undefined);

console.log('');
console.log(`results (ms from the cancel request; ${args.cancels} cancels each, ${args.concurrent} at once; warm-up, cancels and checks took ${fmtS(totalMs)})`);
table(['figure', 'engine p50', 'p90', 'p99', 'max', 'baseline p50', 'p90', 'p99', 'max'], rows);
console.log('');
console.log("  call returns: the engine's tf.cancel (the cancel update's ack, then Temporal's cancel request); the baseline's handle.cancel()");
console.log(`  tf.cancel acks: ${kinds.filter((k) => k.side === 'engine').map((k) => `${k.key} ${JSON.stringify(figures[k.key].ackStates)}`).join('; ')}`);
console.log(`  engine runs at the end (state/node): ${JSON.stringify(endStates)}`);
console.log(
  `  cancels came 0 to ${kinds.map((k) => `${k.spreadMs} ms (${k.key})`).join(', ')} after the activity started, spread evenly`,
);
console.log('');
const first = kinds[0];
console.log(
  'quality bar, for reference only (nothing here passes or fails): cancel reaches a heartbeating activity within a few seconds. ' +
    `This run: p99 ${fmtS(figures[first.key].seen.p99)} (heartbeat ${first.heartbeatMs} ms), max ${fmtS(
      Math.max(...kinds.map((k) => figures[k.key].seen.max)),
    )} over every kind.`,
);
console.log('');

const fig = (prefix, s) => ({
  [`${prefix}P50Ms`]: round(s.p50),
  [`${prefix}P90Ms`]: round(s.p90),
  [`${prefix}P99Ms`]: round(s.p99),
  [`${prefix}MaxMs`]: round(s.max),
});
const byHeartbeat = heartbeats.map((heartbeatMs) => {
  const e = figures[`engine-${heartbeatMs}`];
  const b = figures[`baseline-${heartbeatMs}`];
  return {
    heartbeatMs,
    throttleMs: throttleFor(heartbeatTimeoutMs),
    ...fig('cancelAck', e.ret),
    ...fig('cancelSeen', e.seen),
    ...fig('cancelDone', e.done),
    ...fig('baselineCancelReturn', b.ret),
    ...fig('baselineCancelSeen', b.seen),
    ...fig('baselineCancelDone', b.done),
  };
});
const json = {
  ...byHeartbeat[0],
  byHeartbeat,
  ...fig('updateOnlyCancelSeen', figures['update-only'].seen),
  ...fig('updateOnlyCancelDone', figures['update-only'].done),
  ...fig('updateOnlyEnding', figures['update-only'].ending),
  ...fig('waitCancelAck', figures.wait.ret),
  ...fig('waitCancelSeen', figures.wait.seen),
  ...fig('waitCancelDone', figures.wait.done),
  waitThrottleMs: wait.throttleMs,
  ackStates: Object.fromEntries(kinds.filter((k) => k.side === 'engine').map((k) => [k.key, figures[k.key].ackStates])),
  engineEndStates: endStates,
  cancels: args.cancels,
  concurrent: args.concurrent,
  heartbeatTimeoutMs,
  heartbeatThrottle: throttle,
  totalSeconds: round(totalMs / 1000, 1),
  quick,
  server: serverDesc,
  machine: m,
};
console.log(JSON.stringify(json));
