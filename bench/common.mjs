// What tapflow's benchmarks share: option parsing, statistics and tables, the machine banner, and
// the dev server and worker settings every figure is measured on (see BENCHMARKS.md, "What runs").
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Idle time before each measured run, so every run meets the server in the same state. */
export const SETTLE_MS = 2000;

/** The in-process worker's settings, for the engine and the baselines alike. */
export const WORKER_OPTIONS = {
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxCachedWorkflows: 1000,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 10 },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 10 },
};

/**
 * Takes `--quick` out of `argv` (in place) and says whether the quick form was asked for, by it or
 * by `TAPFLOW_BENCH_QUICK=1` (how `bench/all.mjs --quick` asks each script).
 */
export function takeQuickFlag(argv) {
  const at = argv.indexOf('--quick');
  if (at >= 0) argv.splice(at, 1);
  return at >= 0 || process.env.TAPFLOW_BENCH_QUICK === '1';
}

/**
 * `--name N` options over `defaults` (`--name TEXT` where the default is a string); an unknown or
 * incomplete one exits 2 with the list.
 */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  const isText = (k) => typeof defaults[k] === 'string';
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]?.replace(/^--/, '');
    if (!key || !(key in defaults) || argv[i + 1] === undefined) {
      console.error(`bench: unknown or incomplete option "${argv[i]}"; options: ${Object.keys(defaults).map((k) => `--${k} ${isText(k) ? 'TEXT' : 'N'}`).join(' ')}`);
      process.exit(2);
    }
    out[key] = isText(key) ? argv[++i] : Number(argv[++i]);
  }
  return out;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x, digits = 2) => Number(x.toFixed(digits));
export const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Nearest-rank percentile `p` (0 to 100) of `xs`. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** How many samples, their p50, p90, p99, max and mean (NaN for each figure when there are none). */
export function latencySummary(xs) {
  if (xs.length === 0) return { n: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  return {
    n: xs.length,
    p50: percentile(xs, 50),
    p90: percentile(xs, 90),
    p99: percentile(xs, 99),
    max: xs.reduce((a, b) => Math.max(a, b), -Infinity),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}

/**
 * CPU seconds used so far by process `pid` and its children: its own time, what its exited
 * children used, and each live child's time (a PostgreSQL server and its backends). NaN without
 * /proc or without `pid`.
 */
export function processTreeCpuSeconds(pid) {
  if (!pid) return Number.NaN;
  try {
    let ticks = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === pid) ticks += Number(fields[13]) + Number(fields[14]);
      if (Number(entry) === pid || Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / 100; // USER_HZ
  } catch {
    return Number.NaN;
  }
}

/** The machine's CPU time so far, busy and in all, in ticks (from /proc/stat); undefined without /proc. */
export function machineCpuTicks() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** Prints rows under a header, the first column left-aligned and the others right-aligned. */
export function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
  const line = (r) => '  ' + r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('   ');
  console.log(line(header));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('   '));
  for (const r of rows) console.log(line(r));
}

/** Runs `fn`, resolving to its value and the milliseconds it took. */
export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Runs `fn` on every item, at most `n` at once; resolves to its results, in the items' order. */
export async function mapLimited(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

/** A small seeded pseudo-random generator (mulberry32): the same seed draws the same numbers in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Settles as `promise` does, or rejects if it has not settled after `ms` (`what` names it in the error). */
export const within = (promise, ms, what) =>
  Promise.race([
    promise,
    delay(ms, undefined, { ref: false }).then(() => {
      throw new Error(`bench: ${what} took longer than ${fmtS(ms)}`);
    }),
  ]);

/** Prints `title` and the machine the figures come from; returns the machine's facts (for the JSON line). */
export function printMachine(title, temporalCliPath) {
  const cpus = os.cpus();
  let temporal = 'unknown';
  try {
    temporal = execFileSync(temporalCliPath, ['--version'], { encoding: 'utf8' }).trim();
  } catch (err) {
    temporal = `unavailable (${err.message})`;
  }
  const m = {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: `${cpus.length} x ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    temporal,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
  console.log(title);
  console.log(`  machine   ${m.os}; ${m.cpus}; ${m.memory}`);
  console.log(`  node      ${m.node}`);
  console.log(`  temporal  ${m.temporal}`);
  console.log(`  load      ${m.loadavg} (1/5/15 min, at start; the machine is shared, figures may be noisy)`);
  return m;
}

/**
 * Starts the dev server every figure runs on: in-memory, warn-level logs, tapflow's search
 * attributes, and `history.transferProcessorMaxPollRPS` lifted to `transferPollRps` (0 keeps the
 * dev server's own setting). `dbFilename` keeps the state in that SQLite file instead of memory,
 * opened with `sqlitePragmas` (`name=value` each, `--sqlite-pragma`). Resolves to the environment
 * and the extra arguments it was given.
 */
export async function startDevServer({ TestWorkflowEnvironment, cliPath, searchAttributes, transferPollRps, dbFilename, sqlitePragmas = [] }) {
  const extraArgs = [];
  if (transferPollRps > 0) extraArgs.push('--dynamic-config-value', `history.transferProcessorMaxPollRPS=${transferPollRps}`);
  for (const pragma of sqlitePragmas) extraArgs.push('--sqlite-pragma', pragma);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cliPath },
      searchAttributes,
      log: { format: 'pretty', level: 'warn' },
      extraArgs,
      ...(dbFilename ? { dbFilename } : {}),
    },
  });
  return { env, extraArgs };
}
