/**
 * The short version of the concurrency-limit benchmark (`npm run bench:concurrency` runs the full
 * one): `node bench/concurrency.mjs --quick`, 20 runs of each kind in one round, on its own dev
 * server and worker. It checks that every kind ran and completed, that the figures are sane
 * (positive, finite, the limit held), and that a limited run costs more history than an unlimited
 * one. Times are printed by the script, never checked here: the machine is shared and a slow run
 * is not a broken one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface KindFigures {
  runsPerSecond: number;
  firstNodeP50Ms: number;
  firstNodeP90Ms: number;
  eventsPerRun: number;
  completed: number;
}

interface LimitedFigures extends KindFigures {
  coordinatorEvents: number;
  coordinatorEventsPerAdmitted: number;
  admitted: number;
  admissionsPerSecond: number;
  mostHeld: number;
  rounds: { lastRunStateAfterStarts?: string }[];
}

interface ConcurrencySummary {
  bench: string;
  quick: boolean;
  runs: number;
  rounds: number;
  limit: number;
  unlimited: KindFigures;
  limitAtRuns: LimitedFigures;
  limitWaits: LimitedFigures;
}

function runBench(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'concurrency.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

jest.setTimeout(5 * 60_000);

test('a concurrency-limited start, beside an unlimited one: every run completes, the limit holds, figures are sane', async () => {
  const { code, out } = await runBench(['--quick']);
  const last = out.trim().split('\n').at(-1) ?? '';
  let summary: ConcurrencySummary;
  try {
    summary = JSON.parse(last) as ConcurrencySummary;
  } catch {
    throw new Error(`bench/concurrency.mjs did not end with its JSON line (exit ${code}):\n${out}`);
  }
  if (code !== 0) console.log(out);
  expect(code).toBe(0);
  expect(summary).toMatchObject({ bench: 'concurrency', quick: true, runs: 20, rounds: 1, limit: 5 });

  const { unlimited: a, limitAtRuns: b, limitWaits: c } = summary;
  for (const k of [a, b, c]) {
    expect(k.completed).toBe(summary.runs);
    for (const figure of [k.runsPerSecond, k.firstNodeP50Ms, k.firstNodeP90Ms, k.eventsPerRun]) {
      expect(Number.isFinite(figure)).toBe(true);
      expect(figure).toBeGreaterThan(0);
    }
    expect(k.firstNodeP90Ms).toBeGreaterThanOrEqual(k.firstNodeP50Ms);
  }
  // A limited run asks for a slot, is granted one and gives it back: more history than an unlimited run.
  expect(b.eventsPerRun).toBeGreaterThan(a.eventsPerRun);
  expect(c.eventsPerRun).toBeGreaterThan(a.eventsPerRun);
  for (const k of [b, c]) {
    // One coordinator admitted every run, each once, in a few events per run.
    expect(k.admitted).toBe(summary.runs);
    expect(k.coordinatorEvents).toBeGreaterThanOrEqual(3 * summary.runs);
    expect(k.coordinatorEventsPerAdmitted).toBeGreaterThan(0);
    expect(Number.isFinite(k.admissionsPerSecond)).toBe(true);
    expect(k.admissionsPerSecond).toBeGreaterThan(0);
  }
  // The limit held: never more slots held at once than the limit, by the coordinator's own history.
  expect(b.mostHeld).toBeLessThanOrEqual(summary.runs);
  expect(c.mostHeld).toBeGreaterThanOrEqual(1);
  expect(c.mostHeld).toBeLessThanOrEqual(summary.limit);
  expect(out).toContain('(a) unlimited');
  expect(out).toContain('admissions / s');
});
