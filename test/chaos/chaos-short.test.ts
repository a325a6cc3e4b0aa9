/**
 * The short version of the fault-injection suite (`npm run chaos` runs the full one): the same
 * script on real processes with fewer runs and faults. Workers are SIGKILLed mid-node, the
 * Temporal dev server is restarted (once cleanly, once by SIGKILL), PostgreSQL is stopped, a
 * worker is drained, and afterwards no run may be lost or stuck, no side effect doubled or
 * missing, and the store must agree with Temporal on every run's end.
 *
 * The same run then plays two of the concurrency-limit scenarios (chaos/concurrency.mjs):
 * `kill` in its small form (6 runs of one key, limit 2, the worker running the two slot holders
 * SIGKILLed mid-node) and `terminate` (limit 1, the holder terminated through Temporal while two
 * runs wait). Every run must complete, no sample may see more runs of a key past their start than
 * its limit, and the run behind a terminated holder must get its slot. They add about 30 s.
 *
 * Last it plays the local-step scenarios (chaos/local-steps.mjs) in their small form: `kill`
 * (2 runs of 40 local steps, the worker(s) running them SIGKILLed mid-chain: every run completes,
 * each side effect once, and the steps done since the run's last workflow task run again on
 * another worker, at least one and no more than one task's worth) and `control` (a local chain
 * paused mid-chain comes to rest `paused` and completes once resumed; another is cancelled
 * mid-chain). They add about 25 s.
 *
 * Only counts are asserted: recovery times are printed by the script, never checked here.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface ChaosSummary {
  runs: number;
  started: number;
  ends: Record<string, number>;
  lost: number;
  stuck: number;
  doubled: number;
  effectsLost: number;
  storeMismatches: number;
  wrongEnd: number;
  attemptsMissing: number;
  drainsUnclean: number;
  concurrencyFailed: number;
  concurrency: Record<string, ScenarioResult>;
  localStepsFailed: number;
  localSteps: Record<string, LocalStepResult>;
  faults: { workerKills: number; killedInFlight: number; serverRestarts: number; postgresStops: number; workerDrains: number };
  recovery: { workerKill: { unrecovered: number }; drain: Array<{ inFlight: number; finished: number; exitCode: number }> };
  executions: number;
  nodesRunAgain: number;
  ok: boolean;
}

interface ScenarioResult {
  ok: boolean;
  problems: string[];
  runs: number;
  limit: number;
  completed: number;
  samples: number;
  mostPastStart: number;
  mostWorking?: number;
  holderNodesKilled?: number;
  slotBackMs?: number | null;
}

interface LocalStepResult {
  ok: boolean;
  problems: string[];
  runs: number;
  steps: number;
  completed: number;
  workersKilled?: number;
  inFlightAtKill?: number;
  ranAgain?: number;
  doneRanAgain?: number;
  bound?: { steps: number; ms: number };
  perRun?: Array<{ id: string; inFlight: number; ranAgain: number; doneRanAgain: number }>;
  paused?: number;
  cancelled?: number;
}

function runChaos(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'chaos', 'run.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

jest.setTimeout(10 * 60_000);

test('a short chaos run loses nothing, doubles nothing and leaves nothing stuck', async () => {
  const { code, out } = await runChaos([
    '--runs', '24', '--kills', '3', '--restarts', '2', '--pg-stops', '1', '--pg-stop-ms', '4000', '--drains', '1',
    '--duration-ms', '50000', '--settle-ms', '120000', '--seed', '7',
    '--concurrency', 'kill,terminate', '--concurrency-small', '1',
    '--local-steps', 'kill,control', '--local-steps-small', '1',
  ]);
  const last = out.trim().split('\n').at(-1) ?? '';
  let summary: ChaosSummary;
  try {
    summary = JSON.parse(last) as ChaosSummary;
  } catch {
    throw new Error(`the chaos run did not end with its JSON line:\n${out}`);
  }
  // On failure, the report says which runs and side effects were wrong.
  if (code !== 0) console.log(out);
  expect({
    lost: summary.lost,
    stuck: summary.stuck,
    doubled: summary.doubled,
    effectsLost: summary.effectsLost,
    storeMismatches: summary.storeMismatches,
    wrongEnd: summary.wrongEnd,
    attemptsMissing: summary.attemptsMissing,
    drainsUnclean: summary.drainsUnclean,
    concurrencyFailed: summary.concurrencyFailed,
    // Named, so a failure says which scenario's check broke and what it saw.
    concurrencyProblems: Object.entries(summary.concurrency).flatMap(([name, c]) => c.problems.map((p) => `${name}: ${p}`)),
    localStepsFailed: summary.localStepsFailed,
    localStepProblems: Object.entries(summary.localSteps).flatMap(([name, c]) => c.problems.map((p) => `${name}: ${p}`)),
    unrecovered: summary.recovery.workerKill.unrecovered,
  }).toEqual({
    lost: 0, stuck: 0, doubled: 0, effectsLost: 0, storeMismatches: 0, wrongEnd: 0, attemptsMissing: 0, drainsUnclean: 0,
    concurrencyFailed: 0, concurrencyProblems: [], localStepsFailed: 0, localStepProblems: [], unrecovered: 0,
  });
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
  // Every fault happened, and the kills hit workers with nodes in flight, which then ran again.
  expect(summary.faults).toMatchObject({ workerKills: 3, serverRestarts: 2, postgresStops: 1, workerDrains: 1 });
  expect(summary.faults.killedInFlight).toBeGreaterThan(0);
  expect(summary.nodesRunAgain).toBeGreaterThan(0);
  expect(summary.started).toBe(24);
  expect(Object.values(summary.ends).reduce((a, b) => a + b, 0)).toBe(24);

  // The concurrency scenarios: each was played (the kill hit slot holders mid-node), every run
  // completed, and the limit held at every sample and by the workers' own notes.
  const { kill, terminate } = summary.concurrency;
  expect(kill).toMatchObject({ ok: true, problems: [], runs: 6, limit: 2, completed: 6 });
  expect(kill?.mostPastStart).toBeLessThanOrEqual(2);
  expect(kill?.mostWorking).toBeLessThanOrEqual(2);
  expect(kill?.holderNodesKilled).toBeGreaterThan(0);
  expect(kill?.samples).toBeGreaterThan(20);
  // The run behind the terminated holder completed: the slot came back (how soon is printed).
  expect(terminate).toMatchObject({ ok: true, problems: [], completed: 2, mostPastStart: 1 });

  // The local steps: the kill hit the runs mid-chain, every run completed, and the steps the
  // dead worker had in its open workflow task ran again (how many is printed), within one task's
  // worth per run.
  const local = summary.localSteps;
  expect(local.kill).toMatchObject({ ok: true, problems: [], runs: 2, completed: 2 });
  expect(local.kill?.workersKilled).toBeGreaterThan(0);
  expect(local.kill?.inFlightAtKill).toBeGreaterThan(0);
  expect(local.kill?.ranAgain).toBeGreaterThan(0);
  for (const run of local.kill?.perRun ?? []) expect(run.ranAgain).toBeLessThanOrEqual((local.kill?.bound?.steps ?? 0) + run.inFlight);
  // A run paused mid-chain rested paused and completed once resumed; another was cancelled.
  expect(local.control).toMatchObject({ ok: true, problems: [], runs: 2, paused: 1, completed: 1, cancelled: 1 });
});

test('the suite catches doubled side effects: careless activities killed mid-node are reported', async () => {
  // The activities write first, keyed by attempt: each kill of a node in flight repeats its effect.
  const { code, out } = await runChaos([
    '--runs', '6', '--kills', '2', '--restarts', '0', '--pg-stops', '0', '--drains', '0',
    '--duration-ms', '20000', '--settle-ms', '90000', '--naive-activities', '1', '--concurrency', 'none',
  ]);
  const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '') as ChaosSummary;
  expect(summary.faults.killedInFlight).toBeGreaterThan(0);
  expect(summary.doubled).toBeGreaterThan(0);
  expect(summary.ok).toBe(false);
  expect(code).toBe(1);
  expect(out).toMatch(/side effect of \S+ applied \d+ times/);
});
