#!/usr/bin/env node
// tapflow's fault-injection suite: a workload of mixed pipelines on real processes (the Temporal
// dev server on a SQLite file, the embedded PostgreSQL, `tapflow worker` processes), while workers
// are SIGKILLed mid-node, the server is restarted, PostgreSQL is stopped and a worker is drained.
// It then checks that no run was lost or left stuck, no side effect was applied twice, and every
// run's end in Temporal matches the store, and reports how long each fault took to recover from.
// Then the concurrency-limit scenarios (chaos/concurrency.mjs) run on the same processes: a worker
// killed while runs hold a key's slots, a slot holder terminated (on a quiet and on a busy key),
// and the server restarted while runs wait queued. Last the local-step scenarios
// (chaos/local-steps.mjs): a worker killed while runs are mid-way through chains of local steps,
// and pause, status and cancel during such a chain.
// The last line of output is one JSON object with the counts. Exit code 0 when every count that
// must be zero is zero, 1 otherwise, 2 for a bad option.
//
//   npm run chaos                       # the full suite: 200 runs, 20 kills, 5 restarts, ...
//   node chaos/run.mjs --runs 24 --kills 3 --restarts 1 --pg-stop-ms 4000 --duration-ms 40000   # a short one
//   node chaos/run.mjs --runs 0 --kills 0 --restarts 0 --pg-stops 0 --drains 0 --duration-ms 0 --concurrency kill,terminate
//                                       # only the concurrency scenarios named
//   node chaos/run.mjs --runs 0 --kills 0 --restarts 0 --pg-stops 0 --drains 0 --duration-ms 0 --concurrency none --local-steps kill,control
//                                       # only the local-step scenarios
//
// What each figure means is written up in RELIABILITY.md.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencySummary, parseArgs, printMachine, seededRandom } from '../bench/common.mjs';
import { drive } from './driver.mjs';
import { injectFaults, scheduleFaults } from './faults.mjs';
import { CONCURRENCY_SCENARIOS, runConcurrencyScenarios } from './concurrency.mjs';
import { createLedger, openLedgerPool } from './ledger.mjs';
import { LOCAL_STEP_SCENARIOS, runLocalStepScenarios } from './local-steps.mjs';
import { TemporalServer, WorkerPool } from './processes.mjs';
import { printReport } from './report.mjs';
import { checkLedger, recoveryTimes, settleRuns } from './verify.mjs';
import { HEARTBEAT_TIMEOUT_MS, planRuns } from './workload.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
if (!existsSync(join(root, 'dist', 'worker.js'))) {
  console.error('chaos: dist/ is missing; run "npm run build" first');
  process.exit(2);
}
const { TapflowClient } = require(join(root, 'dist', 'client.js'));
const { startDevServer } = require(join(root, 'dist', 'devstack', 'temporal-dev-server.js'));
const { startEmbeddedPostgres } = require(join(root, 'dist', 'devstack', 'embedded-postgres.js'));
const { migrate } = require(join(root, 'dist', 'store', 'migrate.js'));
const { createPool, withPgClient } = require(join(root, 'dist', 'store', 'pool.js'));
const { freePort } = require(join(root, 'dist', 'observability', 'ports.js'));
const { temporalCliPath } = require(join(root, 'dist', 'devstack', 'temporal-binaries.js'));

const args = parseArgs(process.argv.slice(2), {
  runs: 200, // runs of the mixed pipelines, started evenly over the fault window
  kills: 20, // workers SIGKILLed mid-node
  restarts: 5, // Temporal dev server restarts (every other one a SIGKILL)
  'pg-stops': 1, // PostgreSQL outages
  'pg-stop-ms': 10_000, // how long each outage lasts
  drains: 1, // workers sent SIGTERM to drain
  workers: 2, // workers running at once
  'duration-ms': 240_000, // the fault window; runs start over its first 85%
  'settle-ms': 180_000, // most time runs get to end after the last fault
  'grace-s': 10, // each worker's --shutdown-grace
  seed: 1,
  'worker-log-level': 'warn', // the workers' --log-level (their logs are kept in the logs folder)
  // 1: the activities write their side effect first, keyed by attempt (see ledger-activities.mjs),
  // so the suite must report doubled effects: a check of the suite itself.
  'naive-activities': 0,
  // The concurrency-limit scenarios to run after the workload (chaos/concurrency.mjs), or "none".
  concurrency: CONCURRENCY_SCENARIOS.join(','),
  // 1: the kill scenario in its small form (6 runs of 2 s rather than 8 of 3 s), as CI runs it.
  'concurrency-small': 0,
  // The local-step scenarios to run after them (chaos/local-steps.mjs), or "none".
  'local-steps': LOCAL_STEP_SCENARIOS.join(','),
  // 1: their small form (the kill on 2 runs rather than 4, one round of control rather than 3), as CI runs it.
  'local-steps-small': 0,
});
const scenarioNames = args.concurrency === 'none' ? [] : args.concurrency.split(',').filter(Boolean);
const unknownScenario = scenarioNames.find((n) => !CONCURRENCY_SCENARIOS.includes(n));
if (unknownScenario) {
  console.error(`chaos: no concurrency scenario "${unknownScenario}"; there are: ${CONCURRENCY_SCENARIOS.join(', ')} (or none)`);
  process.exit(2);
}
const localStepNames = args['local-steps'] === 'none' ? [] : args['local-steps'].split(',').filter(Boolean);
const unknownLocal = localStepNames.find((n) => !LOCAL_STEP_SCENARIOS.includes(n));
if (unknownLocal) {
  console.error(`chaos: no local-step scenario "${unknownLocal}"; there are: ${LOCAL_STEP_SCENARIOS.join(', ')} (or none)`);
  process.exit(2);
}

const started = Date.now();
const log = (line) => console.log(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const machine = printMachine('tapflow chaos', temporalCliPath());
console.log(`  options   ${Object.entries(args).map(([k, v]) => `--${k} ${v}`).join(' ')}`);

const workDir = mkdtempSync(join(os.tmpdir(), 'tapflow-chaos-'));
console.log(`  logs      ${workDir}`);
const cleanups = [];
const cleanUp = async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
};
process.once('SIGINT', () => cleanUp().then(() => process.exit(130)));

let exitCode = 1;
try {
  // PostgreSQL: the run store and the ledger, in one database, fsync on (it is a system of record).
  const postgres = await startEmbeddedPostgres({ durable: true });
  cleanups.push(() => postgres.stop());
  const pool = createPool(postgres.url, { max: 3 });
  pool.on('error', () => {});
  cleanups.push(() => pool.end());
  await withPgClient(pool, (c) => migrate(c));
  await createLedger(postgres.url);
  const ledger = openLedgerPool(postgres.url);
  cleanups.push(() => ledger.end());

  // Temporal: the dev server as `tapflow dev` runs it, on fixed ports so restarts come back there.
  const temporal = new TemporalServer({ startDevServer, dataDir: join(workDir, 'temporal'), port: await freePort('127.0.0.1'), uiPort: await freePort('127.0.0.1') });
  await temporal.start();
  cleanups.push(() => temporal.stop());
  log(`Temporal dev server on ${temporal.address}, PostgreSQL on port ${postgres.port}`);

  const taskQueue = 'chaos';
  const workers = new WorkerPool({
    root,
    logDir: workDir,
    taskQueue,
    shutdownGrace: `${args['grace-s']}s`,
    logLevel: args['worker-log-level'],
    env: { TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: postgres.url, CHAOS_LEDGER_URL: postgres.url, CHAOS_STATE_DIR: workDir, CHAOS_NAIVE_ACTIVITIES: String(args['naive-activities']) },
    onEvent: (e) => {
      if (e.kind === 'worker-exited') log(`worker ${e.pid} exited on its own (code ${e.code}, signal ${e.signal}); a fresh one starts`);
      if (e.kind === 'worker-start-failed') log(`a worker failed to start: ${e.error}`);
    },
  });
  cleanups.push(() => workers.close());
  await Promise.all(Array.from({ length: args.workers }, () => workers.start()));
  log(`${args.workers} workers polling task queue "${taskQueue}"`);

  const tf = await TapflowClient.connect({ address: temporal.address, taskQueue });
  cleanups.push(() => tf.close());

  const random = seededRandom(args.seed);
  const plan = planRuns({ runs: args.runs, spreadMs: args['duration-ms'] * 0.85, seed: args.seed });
  const schedule = scheduleFaults({
    kills: args.kills,
    restarts: args.restarts,
    pgStops: args['pg-stops'],
    drains: args.drains,
    durationMs: args['duration-ms'],
    random,
  });
  const t0 = Date.now();
  log(`workload: ${plan.length} runs over ${(args['duration-ms'] * 0.85 / 1000).toFixed(0)} s; ${schedule.length} faults`);
  const ctx = { t0, workers, temporal, postgres, ledger, stateDir: workDir, postgresStopMs: args['pg-stop-ms'], log };
  const [faults] = await Promise.all([injectFaults(schedule, ctx), drive(tf, plan, { taskQueue, t0, log })]);
  log('faults over; waiting for the runs to end');

  const startedRuns = plan.filter((r) => r.started);
  const findings = await settleRuns({ client: tf.client, pool, runs: startedRuns, settleMs: args['settle-ms'], log });
  const ledgerCheck = await checkLedger({ ledger, runs: startedRuns, findings });
  const recovery = await recoveryTimes({ ledger, stateDir: workDir, faults, runs: startedRuns, findings });

  if (scenarioNames.length > 0) log(`concurrency scenarios: ${scenarioNames.join(', ')}`);
  const scenarios = await runConcurrencyScenarios(scenarioNames, { tf, workers, temporal, ledger, stateDir: workDir, taskQueue, seed: args.seed, log }, { small: args['concurrency-small'] === 1 });

  if (localStepNames.length > 0) log(`local-step scenarios: ${localStepNames.join(', ')}`);
  const localSteps = await runLocalStepScenarios(localStepNames, { tf, workers, ledger, stateDir: workDir, taskQueue, seed: args.seed, log }, { small: args['local-steps-small'] === 1 });

  const summary = summarise({ plan, findings, ledgerCheck, recovery, scenarios, localSteps, workers, seconds: (Date.now() - started) / 1000 });
  printReport({ summary, recovery, ledgerCheck, findings, plan, scenarios, localSteps });
  exitCode = summary.ok ? 0 : 1;
  console.log(JSON.stringify({ ...summary, machine }));
} catch (err) {
  console.error(`chaos: ${err.stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

/** The counts and figures of the run, as the JSON line carries them. */
function summarise({ plan, findings, ledgerCheck, recovery, scenarios, localSteps, workers, seconds }) {
  const started = plan.filter((r) => r.started);
  const count = (pred) => started.filter((r) => pred(findings.get(r.id))).length;
  const ends = {};
  for (const r of started) ends[findings.get(r.id).temporal] = (ends[findings.get(r.id).temporal] ?? 0) + 1;
  const ENDED = ['completed', 'failed', 'cancelled'];
  const kills = recovery.filter((f) => f.kind === 'worker-kill');
  const killTimes = kills.map((f) => f.recoveryMs).filter((x) => x !== undefined);
  const killNodeTimes = kills.flatMap((f) => f.nodeMs);
  const targetMs = HEARTBEAT_TIMEOUT_MS + 2000;
  const graceMs = args['grace-s'] * 1000;
  const ms = (xs) => xs.map((x) => (x === undefined ? null : Math.round(x)));
  const counts = {
    lost: count((f) => f.temporal === 'lost') + plan.filter((r) => !r.started).length,
    stuck: count((f) => f.temporal !== 'lost' && !ENDED.includes(f.temporal)),
    doubled: ledgerCheck.doubled,
    effectsLost: ledgerCheck.effectsLost,
    storeMismatches: count((f) => f.store !== f.temporal),
    wrongEnd: started.filter((r) => ENDED.includes(findings.get(r.id).temporal) && findings.get(r.id).temporal !== r.expectedEnd).length,
    attemptsMissing: ledgerCheck.attemptsMissing,
    // A drained worker must finish what it had in flight and exit 0.
    drainsUnclean: recovery.filter((f) => f.kind === 'worker-drain' && (f.exitCode !== 0 || f.finishedInFlight < f.inFlight)).length,
    // A concurrency scenario whose checks failed (chaos/concurrency.mjs).
    concurrencyFailed: scenarios.filter((c) => !c.ok).length,
    // A local-step scenario whose checks failed (chaos/local-steps.mjs).
    localStepsFailed: localSteps.filter((c) => !c.ok).length,
  };
  return {
    runs: plan.length,
    started: started.length,
    ends,
    ...counts,
    faults: {
      workerKills: kills.length,
      killedInFlight: kills.reduce((a, f) => a + f.inFlight, 0),
      serverRestarts: recovery.filter((f) => f.kind === 'server-restart').length,
      postgresStops: recovery.filter((f) => f.kind === 'postgres-stop').length,
      workerDrains: recovery.filter((f) => f.kind === 'worker-drain').length,
    },
    recovery: {
      targetMs,
      workerKill: { ...roundAll(latencySummary(killTimes)), overTarget: killTimes.filter((x) => x > targetMs).length, unrecovered: kills.reduce((a, f) => a + f.unrecovered, 0) },
      // The same per node in flight (a kill's figure is its slowest node's).
      killedNode: { ...roundAll(latencySummary(killNodeTimes)), overTarget: killNodeTimes.filter((x) => x > targetMs).length },
      // From a killed node's retry finishing to its run's next node starting (see verify.mjs).
      runMovedOn: roundAll(latencySummary(kills.flatMap((f) => f.movedOnMs))),
      serverRestartMs: ms(recovery.filter((f) => f.kind === 'server-restart').map((f) => f.recoveryMs)),
      serverDownMs: ms(recovery.filter((f) => f.kind === 'server-restart').map((f) => f.downMs)),
      postgresMs: ms(recovery.filter((f) => f.kind === 'postgres-stop').map((f) => f.recoveryMs)),
      drain: recovery.filter((f) => f.kind === 'worker-drain').map((f) => ({ inFlight: f.inFlight, finished: f.finishedInFlight, exitCode: f.exitCode, ms: f.drainMs, graceMs })),
    },
    // Each concurrency scenario's checks and figures, by name.
    concurrency: Object.fromEntries(scenarios.map((c) => [c.name, { ...c, name: undefined, outcome: undefined }])),
    // Each local-step scenario's checks and figures, by name.
    localSteps: Object.fromEntries(localSteps.map((c) => [c.name, { ...c, name: undefined, outcome: undefined }])),
    executions: ledgerCheck.totals.executions,
    nodesRunAgain: ledgerCheck.totals.rerunKeys,
    workerUnexpectedExits: workers.unexpectedExits,
    seconds: Math.round(seconds),
    ok: Object.values(counts).every((n) => n === 0),
  };
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number.isFinite(v) ? Math.round(v) : null]));
}
