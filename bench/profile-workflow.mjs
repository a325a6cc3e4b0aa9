#!/usr/bin/env node
// Where the pipeline workflow's own time goes. Not part of `npm run bench`: a tool for whoever
// optimises src/workflows/pipeline-workflow.ts.
//
//   npm run build && node bench/profile-workflow.mjs [--chain N] [--wide N] [--parallel N] [--reps N] [--live N]
//
// 1. Records, on a dev server, one chain run and one wide run through the engine and through the
//    hand-written baselines (bench/workflows.ts).
// 2. Replays the recorded histories with no server in the loop (Worker.runReplayHistory): the
//    worker runs exactly the activations it ran live, so the time is the workflow code's and the
//    SDK's CPU cost per workflow task, without network or server noise.
// 3. Replays the engine's histories again with variants of pipeline-workflow.ts, each leaving one
//    thing out. A variant issues the same commands as the original for a run where every node
//    completes, so it replays the same history; the difference in replay time is what that thing
//    costs. Variants are made from the current source by text substitution into bench/.variants/
//    (deleted afterwards); a variant whose substitution no longer matches the source is skipped.
// 4. With --live N (default 3), runs the chain live N times each through the engine as it is, the
//    `lean` variant (on a second worker) and the baseline, alternating, so the replay figures can be
//    checked against wall-clock time.
//
// Replay reps are interleaved; the fastest (least disturbed) and the median are reported, with the
// number of promises created per node (the SDK captures a stack trace for every promise workflow
// code creates, which is most of a workflow task's CPU). The machine may be shared: compare
// figures within one run only.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promiseHooks } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { dist, require, root, temporalWorker } from './tapflow-dist.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { Worker, bundleWorkflowCode } = temporalWorker;
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { createWorker } = dist('worker.js');
const { TapflowClient } = dist('client.js');
const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');
const { PIPELINE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } = dist('workflows', 'definitions.js');

const opts = { chain: 1000, wide: 1000, parallel: 50, reps: 7, live: 3 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i]?.replace(/^--/, '');
  if (!key || !(key in opts) || process.argv[i + 1] === undefined) {
    console.error(`profile: unknown or incomplete option "${process.argv[i]}"; options: --chain N --wide N --parallel N --reps N --live N`);
    process.exit(2);
  }
  opts[key] = Number(process.argv[i + 1]);
}

// ---------------------------------------------------------------------------------------------
// Variants of src/workflows/pipeline-workflow.ts: [what it leaves out, edits]. An edit is
// [search, replacement]; search is a string or a RegExp and must match.

const SOURCE = readFileSync(join(root, 'src', 'workflows', 'pipeline-workflow.ts'), 'utf8');
const EDITS = {
  'no-current-details': {
    what: 'publish() without setCurrentDetails (the details text is rebuilt and set on every loop turn)',
    edits: [[/\n {4}setCurrentDetails\([\s\S]*?\n {4}\);/, '']],
  },
  'no-history-check': {
    what: 'no historyIsLong() check (workflowInfo() on every loop turn)',
    edits: [['const draining = historyIsLong();', 'const draining = false as boolean;']],
  },
  'no-live-writes': {
    what: "no live store writes (reportState() returns at once; the sink's payload is every node's status)",
    edits: [['  const reportState = (force = false): void => {\n    if (!reporter.enabled) return;', '  const reportState = (force = false): void => {\n    if (force || !force) return;']],
  },
};
const VARIANTS = [
  { name: 'as-is', what: 'src/workflows/pipeline-workflow.ts unchanged', edits: [] },
  ...Object.entries(EDITS).map(([name, v]) => ({ name, ...v })),
  {
    name: 'lean',
    what: 'all of the above together',
    edits: Object.values(EDITS).flatMap((v) => v.edits),
  },
];

function variantSource(edits) {
  let src = SOURCE;
  for (const [search, replacement] of edits) {
    const found = typeof search === 'string' ? src.includes(search) : search.test(src);
    if (!found) return undefined;
    src = src.replace(search, replacement);
  }
  // The copy lives two folders below bench/: point its relative imports back at src/.
  return src.replace(/from '\.\.\//g, "from '../../../src/").replace(/from '\.\//g, "from '../../../src/workflows/");
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const variantsDir = join(here, '.variants');

async function bundleVariants() {
  rmSync(variantsDir, { recursive: true, force: true });
  const out = [];
  try {
    for (const v of VARIANTS) {
      const src = variantSource(v.edits);
      if (src === undefined) {
        console.log(`  variant ${v.name}: skipped, its substitution no longer matches the source`);
        continue;
      }
      const dir = join(variantsDir, v.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'pipeline-workflow.ts'), src);
      writeFileSync(join(dir, 'index.ts'), "export { pipelineWorkflow } from './pipeline-workflow';\n");
      const { code } = await bundleWorkflowCode({ workflowsPath: join(dir, 'index.ts'), logger: quiet });
      out.push({ ...v, code });
    }
  } finally {
    rmSync(variantsDir, { recursive: true, force: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const nodeId = (i) => `n${String(i).padStart(4, '0')}`;
const chainSpec = (n) => ({
  name: 'bench-chain',
  nodes: Array.from({ length: n }, (_, i) => (i === 0 ? { id: nodeId(i), activity: 'noop' } : { id: nodeId(i), activity: 'noop', needs: [nodeId(i - 1)] })),
});
const wideSpec = (n, p) => ({ name: 'bench-wide', maxParallel: p, nodes: Array.from({ length: n }, (_, i) => ({ id: nodeId(i), activity: 'noop' })) });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const workflowTasks = (history) => history.events.filter((e) => e.attributes === 'workflowTaskCompletedEventAttributes').length;

console.log('profile of the pipeline workflow by replay');
console.log(`  bundling the bench workflows and ${VARIANTS.length} variants of pipeline-workflow.ts ...`);
const { code: benchCode } = await bundleWorkflowCode({ workflowsPath: join(here, 'workflows.ts'), logger: quiet });
const variants = await bundleVariants();

console.log(`  recording: chain of ${opts.chain}, wide of ${opts.wide} @ maxParallel ${opts.parallel}, engine and baseline`);
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: { type: 'existing-path', path: temporalCliPath() },
    searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
    // Recording only: lift the dev server's transfer-queue poll limit so recording is quick.
    extraArgs: ['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=10000'],
  },
});
const TASK_QUEUE = 'tapflow-profile';
const tf = new TapflowClient(env.client, { taskQueue: TASK_QUEUE });
const LEAN_QUEUE = 'tapflow-profile-lean';
const worker = await createWorker({
  connection: env.nativeConnection,
  taskQueue: TASK_QUEUE,
  workerOptions: { workflowBundle: { code: benchCode }, workflowsPath: undefined },
});
const lean = variants.find((v) => v.name === 'lean');
const leanWorker =
  lean &&
  (await createWorker({
    connection: env.nativeConnection,
    taskQueue: LEAN_QUEUE,
    workerOptions: { workflowBundle: { code: lean.code }, workflowsPath: undefined },
  }));
const live = { 'engine as-is': [], 'engine lean variant': [], baseline: [] };
const work = (async () => {
  const engine = async (spec) => {
    const { workflowId } = await tf.startRun(spec, { id: `profile-${spec.name}-${process.pid}` });
    await tf.result(workflowId, { wait: true });
    return env.client.workflow.getHandle(workflowId).fetchHistory();
  };
  const baseline = async (type, args) => {
    const workflowId = `profile-${type}-${process.pid}`;
    await env.client.workflow.execute(type, { taskQueue: TASK_QUEUE, workflowId, args });
    return env.client.workflow.getHandle(workflowId).fetchHistory();
  };
  const recorded = {
    chain: { engine: await engine(chainSpec(opts.chain)), baseline: await baseline('baselineChainWorkflow', [opts.chain]) },
    wide: {
      engine: await engine(wideSpec(opts.wide, opts.parallel)),
      baseline: await baseline('baselineWideWorkflow', [opts.wide, opts.parallel]),
    },
  };
  if (leanWorker && opts.live > 0) {
    console.log(`  live: chain of ${opts.chain}, ${opts.live} rounds of engine as-is / lean variant / baseline, rotating the order`);
    let k = 0;
    const runs = {
      'engine as-is': async () => {
        const { workflowId } = await tf.startRun(chainSpec(opts.chain), { id: `live-asis-${process.pid}-${++k}` });
        await tf.result(workflowId, { wait: true });
      },
      'engine lean variant': async () => {
        const { workflowId } = await tf.startRun(chainSpec(opts.chain), { id: `live-lean-${process.pid}-${++k}`, taskQueue: LEAN_QUEUE });
        await tf.result(workflowId, { wait: true });
      },
      baseline: () =>
        env.client.workflow.execute('baselineChainWorkflow', { taskQueue: TASK_QUEUE, workflowId: `live-base-${process.pid}-${++k}`, args: [opts.chain] }),
    };
    const names = Object.keys(runs);
    for (let r = 0; r < opts.live; r++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(r + j) % names.length];
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const t0 = performance.now();
        await runs[name]();
        live[name].push(performance.now() - t0);
      }
      console.log(`    round ${r + 1}: ${names.map((n) => `${n} ${(live[n][r] / 1000).toFixed(2)} s`).join(', ')}`);
    }
  }
  return recorded;
})();
const [histories] = await Promise.all([worker.runUntil(work), leanWorker ? leanWorker.runUntil(work) : work]);
await env.teardown();
if (live.baseline.length > 0) {
  const base = median(live.baseline);
  console.log('');
  console.log(`live chain of ${opts.chain}, median of ${opts.live}:`);
  for (const [name, xs] of Object.entries(live)) {
    const ms = median(xs);
    console.log(`  ${name.padEnd(20)} ${(ms / 1000).toFixed(2)} s   ${(ms / opts.chain).toFixed(2)} ms / node   ratio to baseline ${(ms / base).toFixed(3)}`);
  }
}

async function replay(code, history, name) {
  const t0 = performance.now();
  await Worker.runReplayHistory({ workflowBundle: { code }, replayName: name }, history, name);
  return performance.now() - t0;
}

/**
 * Promises created in this thread while replaying (workflow code and SDK alike): one untimed pass.
 * With `sites`, also counts the promises made in workflow code by the first line of tapflow or
 * bench code on the stack that created them (source-mapped by the SDK's own stack formatter).
 */
async function promisesDuring(code, history, name, sites) {
  let count = 0;
  const stop = promiseHooks.onInit((promise) => {
    count++;
    if (!sites) return;
    const WorkflowError = promise.constructor.constructor('return globalThis.Error')();
    if (WorkflowError === Error) return; // made outside the workflow sandbox
    const frames = (new WorkflowError().stack ?? '').split('\n').slice(1);
    const at = frames
      .map((f) => /[(\s]([^()\s]*?[\\/](?:src|bench)[\\/][^()\s]*?):(\d+):\d+\)?$/.exec(f))
      .find((mt) => mt && !/node_modules|profile-workflow/.test(mt[1]));
    // A variant's copy has the same lines as the source it was made from.
    const key = at ? `${at[1].replace(/^.*?[\\/]bench[\\/]\.variants[\\/][^\\/]+[\\/]/, 'src/workflows/').replace(/^.*?[\\/]((?:src|bench)[\\/])/, '$1')}:${at[2]}` : '';
    sites.set(key, (sites.get(key) ?? 0) + 1);
  });
  try {
    await Worker.runReplayHistory({ workflowBundle: { code }, replayName: name }, history, name);
  } finally {
    stop();
  }
  return count;
}

const minimum = (xs) => Math.min(...xs);
for (const [shape, h] of Object.entries(histories)) {
  const wftEngine = workflowTasks(h.engine);
  const wftBaseline = workflowTasks(h.baseline);
  const codes = [
    { name: 'baseline', what: 'hand-written workflow, replaying its own history', code: benchCode, history: h.baseline, wfts: wftBaseline },
    ...variants.map((v) => ({ name: v.name, what: v.what, code: v.code, history: h.engine, wfts: wftEngine })),
  ];
  const times = new Map(codes.map((c) => [c.name, []]));
  for (let r = 0; r < opts.reps; r++) {
    for (const c of codes) times.get(c.name).push(await replay(c.code, c.history, `${c.name}-${shape}-${r}`));
  }
  const promises = new Map();
  for (const c of codes) promises.set(c.name, await promisesDuring(c.code, c.history, `${c.name}-${shape}-count`));
  const nodes = shape === 'chain' ? opts.chain : opts.wide;
  const asIs = minimum(times.get('as-is'));
  const base = minimum(times.get('baseline'));
  console.log('');
  console.log(
    `${shape} of ${nodes} nodes: engine history ${h.engine.events.length} events, ${wftEngine} workflow tasks; ` +
      `baseline ${h.baseline.events.length} events, ${wftBaseline} workflow tasks. Replay ms: fastest (median) of ${opts.reps}`,
  );
  const rows = codes.map((c) => {
    const min = minimum(times.get(c.name));
    return [
      c.name,
      `${min.toFixed(0)} (${median(times.get(c.name)).toFixed(0)})`,
      (min / nodes).toFixed(3),
      c.name === 'baseline' ? '' : (min - asIs).toFixed(0),
      (min / base).toFixed(2),
      (promises.get(c.name) / nodes).toFixed(1),
      c.what,
    ];
  });
  if (shape === 'chain') {
    console.log('');
    console.log(`  promises made inside the workflow sandbox per node, by the line of workflow code that made them (chain, one pass):`);
    for (const c of codes.filter((x) => x.name === 'as-is' || x.name === 'baseline')) {
      const sites = new Map();
      await promisesDuring(c.code, c.history, `${c.name}-${shape}-sites`, sites);
      const total = [...sites.values()].reduce((a, b) => a + b, 0);
      console.log(`  ${c.name}: ${(total / nodes).toFixed(1)} per node`);
      for (const [site, n] of [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
        if (n / nodes < 0.05) continue;
        const [file, line] = site ? site.split(':') : [];
        const text = file ? readFileSync(join(root, file), 'utf8').split('\n')[Number(line) - 1]?.trim() : undefined;
        const where = site ? `${site.padEnd(40)} ${text ?? ''}` : 'no tapflow frame on the stack: SDK and promise machinery continuing earlier work';
        console.log(`    ${(n / nodes).toFixed(2).padStart(6)}  ${where}`);
      }
    }
    console.log('');
  }
  const header = ['code replayed', 'replay ms', 'ms / node', 'vs as-is', 'vs baseline', 'promises / node (whole thread)', 'what'];
  const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '  ' + r.map((v, i) => (i === 0 || i === r.length - 1 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('   ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
