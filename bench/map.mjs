#!/usr/bin/env node
// tapflow's map benchmark: a `map` node running many short items, one activity task per item and
// in batches (`batchSize`), side by side with hand-written Temporal baselines of the same shape
// measured in the same run, on one dev server and one in-process worker. It only prints; it never
// passes or fails on time. The last line of output is one JSON object with every figure.
//
//   npm run build && node bench/map.mjs [--items N] [--batch N] [--parallel N] [--rounds N]
//                                       [--transfer-poll-rps N]
//
// What each figure measures and how is written up in BENCHMARKS.md ("Map items: one activity
// each, or in batches").
import { fmtS, median, parseArgs, printMachine, round, SETTLE_MS, table, timed, WORKER_OPTIONS } from './common.mjs';
import { bundleBenchWorkflows, dist, require, startTapflowDevServer } from './tapflow-dist.mjs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const { Context } = require('@temporalio/activity');
const { createWorker } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');
const { MAP_SHARD_SIZE } = dist('workflows', 'map-shard-workflow.js');

// ---------------------------------------------------------------------------------------------
// Settings

const args = parseArgs(process.argv.slice(2), {
  // Items in the map (and in each baseline). 10,000 rather than 20,000: one activity task per item
  // runs at about 300 items a second on 2 cores, and 20,000 would take a full run to about 8 minutes.
  items: 10000,
  batch: 100, // batchSize of the batched figures
  parallel: 100, // the map's maxParallel (and the baselines')
  rounds: 3, // measured rounds; each runs all four figures
  // As in bench/run.mjs: lifts the dev server's cap on how often a shard reads new tasks (default
  // 20 a second); pass 0 for the dev server's own setting.
  'transfer-poll-rps': 10000,
});
for (const key of ['items', 'batch', 'parallel', 'rounds']) {
  if (!Number.isInteger(args[key]) || args[key] < 1) {
    console.error(`bench: --${key} must be a whole number of at least 1, got ${args[key]}`);
    process.exit(2);
  }
}
if (args.batch > 1000) {
  console.error(`bench: --batch must be at most 1000 (tapflow's limit), got ${args.batch}`);
  process.exit(2);
}
const TASK_QUEUE = 'tapflow-bench-map';
/** Items of each warm-up run (not counted). */
const WARM_ITEMS = Math.min(args.items, 1000);

// ---------------------------------------------------------------------------------------------
// Small helpers


const perSecond = (n, ms) => n / (ms / 1000);



// ---------------------------------------------------------------------------------------------
// Machine, server, worker

const m = printMachine('tapflow map benchmark', temporalCliPath());

const { code, bundleMs } = await bundleBenchWorkflows();

const { env, extraArgs } = await startTapflowDevServer({ transferPollRps: args['transfer-poll-rps'] });
const client = env.client;
const tf = new TapflowClient(client, { taskQueue: TASK_QUEUE });

/** The items list: `{ items: [0, 1, ..., n-1] }` (the map's upstream node). */
async function range(call) {
  return { items: Array.from({ length: call.input.n }, (_, i) => i) };
}

/**
 * The batched baseline's activity: a null per item of `call.item` (an array), heartbeating after
 * each item as a batch that can be resumed would (throttled by the worker, as tapflow's are).
 */
async function noopBatch(call) {
  const ctx = Context.current();
  const outputs = [];
  for (let i = 0; i < call.item.length; i++) {
    outputs.push(null);
    ctx.heartbeat(i);
  }
  return outputs;
}

const worker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: TASK_QUEUE,
  activities: { range, noopBatch },
  workerOptions: { ...WORKER_OPTIONS, workflowBundle: { code }, workflowsPath: undefined },
});
const wo = worker.options;
const serverDesc =
  'temporal server start-dev, in memory, log level warn' +
  (extraArgs.length ? `, ${extraArgs[1]}` : ', default dynamic config');
const shards = Math.ceil(args.items / MAP_SHARD_SIZE);
const running = Math.max(1, Math.min(shards, args.parallel));
const perShard = Math.max(1, Math.floor(args.parallel / running));
console.log(`  server    ${serverDesc}`);
console.log(
  `  worker    in-process, task queue ${TASK_QUEUE}; maxConcurrentWorkflowTaskExecutions ${WORKER_OPTIONS.maxConcurrentWorkflowTaskExecutions}, ` +
    `maxConcurrentActivityTaskExecutions ${WORKER_OPTIONS.maxConcurrentActivityTaskExecutions}, maxCachedWorkflows ${wo.maxCachedWorkflows}, ` +
    `workflow/activity pollers ${WORKER_OPTIONS.workflowTaskPollerBehavior.maximum}/${WORKER_OPTIONS.activityTaskPollerBehavior.maximum}`,
);
console.log(`  workflows one bundle (bench/workflows.ts: pipelineWorkflow, mapShardWorkflow + baselines), bundled in ${fmtS(bundleMs)}`);
console.log(
  `  plan      ${args.items} items, maxParallel ${args.parallel}: ${shards} shards of up to ${MAP_SHARD_SIZE}, ${running} at once, ` +
    `${perShard} units in flight each; per item and in batches of ${args.batch}; ${args.rounds} measured rounds after a warm-up ` +
    `of ${WARM_ITEMS} items each, tapflow and baseline alternating, ${SETTLE_MS} ms idle before each run, median reported`,
);
console.log('');

// ---------------------------------------------------------------------------------------------
// Runs

let seq = 0;
const newId = (prefix) => `${prefix}-${process.pid}-${++seq}`;

function mapSpec(n, batchSize) {
  return {
    name: batchSize > 1 ? 'bench-map-batched' : 'bench-map',
    nodes: [
      { id: 'list', activity: 'range', input: { n } },
      {
        id: 'each',
        kind: 'map',
        needs: ['list'],
        over: 'list.items',
        activity: 'noop',
        maxParallel: args.parallel,
        ...(batchSize > 1 ? { batchSize } : {}),
      },
    ],
  };
}

function checkOutputs(label, workflowId, outputs, n) {
  if (!Array.isArray(outputs) || outputs.length !== n) {
    const got = Array.isArray(outputs) ? `${outputs.length} outputs` : typeof outputs;
    throw new Error(`${label} run ${workflowId} returned ${got}, expected ${n} outputs`);
  }
}

/** A tapflow map run from start to result; `batchSize` 1 runs one activity task per item. */
async function tapflowRun(n, batchSize) {
  await delay(SETTLE_MS);
  const spec = mapSpec(n, batchSize);
  const workflowId = newId(spec.name);
  const { ms, value } = await timed(async () => {
    await tf.startRun(spec, { id: workflowId });
    return tf.result(workflowId, { wait: true });
  });
  checkOutputs('tapflow', workflowId, value?.each, n);
  return { ms, workflowId, shardId: (k) => `${workflowId}/each/shard-${k}` };
}

/** A baseline map run from start to result; `batchSize` 1 calls `noop` once per item. */
async function baselineRun(n, batchSize) {
  await delay(SETTLE_MS);
  const [workflowType, wfArgs] =
    batchSize > 1 ? ['baselineBatchedMapWorkflow', [n, args.parallel, batchSize]] : ['baselineMapWorkflow', [n, args.parallel]];
  const workflowId = newId(workflowType);
  const { ms, value } = await timed(() => client.workflow.execute(workflowType, { taskQueue: TASK_QUEUE, workflowId, args: wfArgs }));
  checkOutputs('baseline', workflowId, value, n);
  return { ms, workflowId, shardId: (k) => `${workflowId}/shard-${k}` };
}

/** History events of a run: its own and all its shards' (as Temporal describes them). */
async function historyEvents(run, n) {
  const length = async (id) => (await client.workflow.getHandle(id).describe()).historyLength;
  let total = await length(run.workflowId);
  for (let k = 0; k < Math.ceil(n / MAP_SHARD_SIZE); k++) total += await length(run.shardId(k));
  return total;
}

const FIGURES = [
  { key: 'tapflowPerItem', label: 'tapflow map, batchSize 1', run: () => tapflowRun(args.items, 1) },
  { key: 'baselinePerItem', label: 'baseline, noop per item', run: () => baselineRun(args.items, 1) },
  { key: 'tapflowBatched', label: `tapflow map, batchSize ${args.batch}`, run: () => tapflowRun(args.items, args.batch) },
  { key: 'baselineBatched', label: `baseline, noopBatch of ${args.batch}`, run: () => baselineRun(args.items, args.batch) },
];

// ---------------------------------------------------------------------------------------------
// The benchmark

const results = await worker.runUntil(async () => {
  const warmStarted = performance.now();
  // Warm-up, not counted: loads the workflow code and JIT-compiles every path.
  await tapflowRun(WARM_ITEMS, 1);
  await baselineRun(WARM_ITEMS, 1);
  await tapflowRun(WARM_ITEMS, args.batch);
  await baselineRun(WARM_ITEMS, args.batch);
  console.log(`warm-up done in ${fmtS(performance.now() - warmStarted)}`);
  console.log('');

  const ms = Object.fromEntries(FIGURES.map((f) => [f.key, []]));
  let last = {};
  for (let r = 0; r < args.rounds; r++) {
    // Tapflow first in even rounds, the baseline first in odd ones; per item, then batched.
    const order = r % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
    const runs = {};
    for (const i of order) {
      const f = FIGURES[i];
      runs[f.key] = await f.run();
      ms[f.key].push(runs[f.key].ms);
    }
    last = runs;
    const show = (k) => `${fmtS(runs[k].ms)}`;
    console.log(
      `  round ${r + 1}/${args.rounds}: per item: tapflow ${show('tapflowPerItem')}, baseline ${show('baselinePerItem')}, ` +
        `ratio ${(runs.tapflowPerItem.ms / runs.baselinePerItem.ms).toFixed(3)}; batched: tapflow ${show('tapflowBatched')}, ` +
        `baseline ${show('baselineBatched')}, ratio ${(runs.tapflowBatched.ms / runs.baselineBatched.ms).toFixed(3)}; ` +
        `load ${os.loadavg()[0].toFixed(2)}`,
    );
  }
  const events = {};
  for (const f of FIGURES) events[f.key] = await historyEvents(last[f.key], args.items);
  console.log('');
  return { ms, events };
});
await env.teardown();

// ---------------------------------------------------------------------------------------------
// Report

const med = Object.fromEntries(FIGURES.map((f) => [f.key, median(results.ms[f.key])]));
const rate = (k) => perSecond(args.items, med[k]);
const perItemRatio = med.tapflowPerItem / med.baselinePerItem;
const batchedRatio = med.tapflowBatched / med.baselineBatched;
const speedup = med.tapflowPerItem / med.tapflowBatched;
const baselineSpeedup = med.baselinePerItem / med.baselineBatched;

console.log(`results (median of ${args.rounds} rounds; ${args.items} items, maxParallel ${args.parallel}; events: last round, parent and shards)`);
table(
  ['figure', 'median', 'items / s', 'history events', 'tapflow / baseline'],
  [
    [FIGURES[0].label, fmtS(med.tapflowPerItem), rate('tapflowPerItem').toFixed(0), results.events.tapflowPerItem, perItemRatio.toFixed(3)],
    [`  ${FIGURES[1].label}`, fmtS(med.baselinePerItem), rate('baselinePerItem').toFixed(0), results.events.baselinePerItem, ''],
    [FIGURES[2].label, fmtS(med.tapflowBatched), rate('tapflowBatched').toFixed(0), results.events.tapflowBatched, batchedRatio.toFixed(3)],
    [`  ${FIGURES[3].label}`, fmtS(med.baselineBatched), rate('baselineBatched').toFixed(0), results.events.baselineBatched, ''],
  ],
);
console.log('');
console.log(
  `batchSize ${args.batch} against 1: tapflow ${speedup.toFixed(2)} x as fast (baselines: ${baselineSpeedup.toFixed(2)} x). ` +
    'For reference only; nothing here passes or fails.',
);
console.log('');

const secondsOf = (k) => round(med[k] / 1000, 3);
const roundsOf = (k) => results.ms[k].map((x) => round(x / 1000, 3));
const json = {
  items: args.items,
  batchSize: args.batch,
  maxParallel: args.parallel,
  shards,
  tapflowPerItemSeconds: secondsOf('tapflowPerItem'),
  baselinePerItemSeconds: secondsOf('baselinePerItem'),
  perItemOverheadRatio: round(perItemRatio, 3),
  tapflowBatchedSeconds: secondsOf('tapflowBatched'),
  baselineBatchedSeconds: secondsOf('baselineBatched'),
  batchedOverheadRatio: round(batchedRatio, 3),
  tapflowBatchSpeedup: round(speedup, 2),
  baselineBatchSpeedup: round(baselineSpeedup, 2),
  tapflowPerItemItemsPerSecond: round(rate('tapflowPerItem'), 1),
  baselinePerItemItemsPerSecond: round(rate('baselinePerItem'), 1),
  tapflowBatchedItemsPerSecond: round(rate('tapflowBatched'), 1),
  baselineBatchedItemsPerSecond: round(rate('baselineBatched'), 1),
  tapflowPerItemRoundsSeconds: roundsOf('tapflowPerItem'),
  baselinePerItemRoundsSeconds: roundsOf('baselinePerItem'),
  tapflowBatchedRoundsSeconds: roundsOf('tapflowBatched'),
  baselineBatchedRoundsSeconds: roundsOf('baselineBatched'),
  historyEventsLastRound: results.events,
  rounds: args.rounds,
  server: serverDesc,
  machine: m,
};
console.log(JSON.stringify(json));
