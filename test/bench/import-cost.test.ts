/**
 * The short version of the import-cost benchmark (`npm run bench:import` runs the full one):
 * `node bench/import.mjs --runs 3`, each sample a fresh `node` process. It checks the promise of
 * the `tapflow` entry, that it loads no worker, no native code, no HTTP server and no database
 * driver, and that the script measured both subjects. Times are printed by the script, never
 * checked here: the machine is shared and a slow run is not a broken one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface SubjectFigures {
  specifier: string;
  via: string;
  loadMs: number;
  modules: number;
  forbidden: string[];
}

interface ImportSummary {
  runs: number;
  tapflow: SubjectFigures;
  client: SubjectFigures;
  tapflowForbidden: string[];
  importRatio: number;
}

function runBench(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'import.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

jest.setTimeout(5 * 60_000);

test("import('tapflow') loads nothing it promises not to, beside @temporalio/client alone", async () => {
  const { code, out } = await runBench(['--runs', '3']);
  const last = out.trim().split('\n').at(-1) ?? '';
  let summary: ImportSummary;
  try {
    summary = JSON.parse(last) as ImportSummary;
  } catch {
    throw new Error(`bench/import.mjs did not end with its JSON line:\n${out}`);
  }
  // On failure, the printed table says what was loaded.
  if (code !== 0) console.log(out);
  expect(summary.tapflow.forbidden).toEqual([]);
  expect(summary.tapflowForbidden).toEqual([]);
  expect(code).toBe(0);
  // Both subjects were measured and printed.
  expect(summary.runs).toBe(3);
  expect(summary.tapflow).toMatchObject({ specifier: 'tapflow', via: 'import' });
  expect(summary.client).toMatchObject({ specifier: '@temporalio/client', via: 'import' });
  expect(summary.tapflow.modules).toBeGreaterThan(0);
  expect(summary.client.modules).toBeGreaterThan(0);
  expect(out).toContain("import('tapflow')");
  expect(out).toContain("import('@temporalio/client')");
});
