#!/usr/bin/env node
// Every benchmark in turn, each in its own `node` process: bench/run.mjs, bench/cancel.mjs,
// bench/load.mjs, bench/concurrency.mjs, bench/import.mjs (`npm run bench` runs this after the
// setup). Their output streams through as it comes; each one's last line is its JSON object, and
// this script prints, last, one JSON object holding them all: each under its own key (`run`,
// `cancel`, `load`, `concurrency`, `import`), the figures copied to the top level, and
// `benchAll` (each script's exit code and time). A script that fails does not stop the others;
// its key then holds null, and this script exits 1 after printing the merged line. Like the
// benchmarks, it never passes or fails on time.
//
//   node bench/all.mjs [--quick] [--only run,cancel,load,concurrency,import]
//
// --quick passes --quick to every script: smaller sizes, the same figures and keys (see
// BENCHMARKS.md for what each one runs then). --only runs the named scripts alone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HEADLINE_KEYS, lastJsonLine, mergeResults, SCRIPTS } from './merge-results.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
let quick = false;
let only = SCRIPTS.map((s) => s.key);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--quick') quick = true;
  else if (argv[i] === '--only' && argv[i + 1] !== undefined) {
    only = argv[++i].split(',').map((x) => x.trim()).filter(Boolean);
    const unknown = only.filter((k) => !SCRIPTS.some((s) => s.key === k));
    if (unknown.length) {
      console.error(`bench/all.mjs: unknown benchmark ${unknown.join(', ')}; benchmarks: ${SCRIPTS.map((s) => s.key).join(', ')}`);
      process.exit(2);
    }
  } else {
    console.error(`bench/all.mjs: unknown or incomplete option "${argv[i]}"; options: --quick, --only ${SCRIPTS.map((s) => s.key).join(',')}`);
    process.exit(2);
  }
}

/** Runs one benchmark, its output streamed through; resolves to its exit code, its whole standard output and its seconds. */
function runScript(file, args) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(here, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => {
      chunks.push(chunk);
      process.stdout.write(chunk);
    });
    const done = (exitCode) => resolve({ exitCode, out: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - started) / 1000 });
    child.on('error', (err) => {
      console.error(`bench/all.mjs: could not start ${file}: ${err.message}`);
      done(null);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? `signal ${signal}` : null)));
  });
}

/**
 * Waits until dist/ is there, at most 2 minutes: `npm run build` (or another checkout's setup)
 * empties it before it compiles, and a benchmark started meanwhile would stop at once.
 */
async function distReady() {
  const marker = join(here, '..', 'dist', 'worker.js');
  for (let i = 0; i < 240 && !existsSync(marker); i++) {
    if (i === 0) console.log('bench/all.mjs: dist/ is not there (a build in progress?); waiting for it, at most 2 minutes');
    await delay(500);
  }
}

const started = performance.now();
const results = {};
for (const { key, file } of SCRIPTS.filter((s) => only.includes(s.key))) {
  const args = quick ? ['--quick'] : [];
  await distReady();
  console.log(`\n=== bench/all.mjs: node bench/${file} ${args.join(' ')}`.trimEnd());
  console.log('');
  const r = await runScript(file, args);
  const json = lastJsonLine(r.out);
  results[key] = { json, exitCode: r.exitCode, seconds: Math.round(r.seconds * 10) / 10 };
  console.log('');
  console.log(
    `=== bench/all.mjs: bench/${file} ended (exit ${r.exitCode}) after ${r.seconds.toFixed(1)} s` +
      `${json ? '' : '; its last line is not a JSON object, so its key holds null'}`,
  );
}
const seconds = Math.round((performance.now() - started) / 100) / 10;
const merged = mergeResults(results, { quick, seconds, scripts: only });

console.log('');
console.log(`bench/all.mjs: ${only.length} benchmark(s)${quick ? ' (quick)' : ''} in ${Math.floor(seconds / 60)} m ${Math.round(seconds % 60)} s`);
for (const key of only) {
  const s = merged.benchAll.scripts[key];
  console.log(`  ${key.padEnd(12)} exit ${s.exitCode}, ${s.seconds} s${s.json ? '' : ', no JSON line'}`);
}
for (const key of Object.keys(HEADLINE_KEYS)) console.log(`  ${key.padEnd(26)} ${merged[key] === null ? '-' : merged[key]}`);
console.log('');
console.log(JSON.stringify(merged));
process.exit(merged.benchAll.ok ? 0 : 1);
