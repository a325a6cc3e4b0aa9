/**
 * How bench/all.mjs merges the benchmarks' JSON lines (bench/merge-results.mjs), without running a
 * benchmark: the module is an ES module, so each case runs in a child `node` that imports it and
 * prints what the functions returned.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(join(__dirname, '..', '..', 'bench', 'merge-results.mjs')).href;

/** Runs `body` (ES module code with `m`, the module, in scope; it must print one JSON line) in a child node. */
function inModule(body: string): unknown {
  const code = `const m = await import(${JSON.stringify(MODULE)});\n${body}`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null');
}

const ISSUE_KEYS = [
  'loadRunsPerSecRatio',
  'loadStoreRunsPerSecRatio',
  'localChainSeconds',
  'localChainRatio',
  'localHopP50Ms',
  'historyEventsPerRunRatio',
  'workflowTasksPerRunRatio',
  'serverCpuPerRunRatio',
  'pauseInFlightP99Ratio',
  'pauseIdleP99Ratio',
];

test('the last line of a script is its JSON object, and nothing else counts as one', () => {
  const got = inModule(`
    console.log(JSON.stringify([
      m.lastJsonLine('table\\n{"not":"last"}\\n{"a":1,"b":[2]}\\n\\n'),
      m.lastJsonLine('{"a":1}\\nError: boom'),
      m.lastJsonLine('[1,2]'),
      m.lastJsonLine('null'),
      m.lastJsonLine(''),
      m.lastJsonLine('x\\r\\n{"crlf":true}\\r\\n'),
    ].map((x) => x === undefined ? 'undefined' : x)));
  `);
  expect(got).toEqual([{ a: 1, b: [2] }, 'undefined', 'undefined', 'undefined', 'undefined', { crlf: true }]);
});

test('every script under its own key, the issue keys at the top level, and what ran', () => {
  const got = inModule(`
    const results = {
      run: { json: { localChainSeconds: 21.5, localChainRatio: 6.1, localHopP50Ms: 0.9, pauseInFlightP99Ratio: 1.1, pauseIdleP99Ratio: 0.9, chainSeconds: 15 }, exitCode: 0, seconds: 600 },
      cancel: { json: { cancelSeenP99Ms: 300 }, exitCode: 0, seconds: 90 },
      load: { json: { loadRunsPerSecRatio: 0.7, loadStoreRunsPerSecRatio: 0.55, historyEventsPerRunRatio: 1.17, workflowTasksPerRunRatio: 1.01, serverCpuPerRunRatio: 1.4 }, exitCode: 0, seconds: 1200 },
      concurrency: { json: { bench: 'concurrency' }, exitCode: 0, seconds: 150 },
      import: { json: { importRatio: 1.1 }, exitCode: 0, seconds: 30 },
    };
    console.log(JSON.stringify({ keys: m.SCRIPTS.map((s) => s.key), files: m.SCRIPTS.map((s) => s.file), merged: m.mergeResults(results, { quick: true, seconds: 2070 }) }));
  `) as { keys: string[]; files: string[]; merged: Record<string, unknown> & { benchAll: Record<string, unknown> } };
  expect(got.keys).toEqual(['run', 'cancel', 'load', 'concurrency', 'import']);
  expect(got.files).toEqual(['run.mjs', 'cancel.mjs', 'load.mjs', 'concurrency.mjs', 'import.mjs']);
  const { merged } = got;
  for (const key of ISSUE_KEYS) expect(merged[key]).not.toBeNull();
  expect(merged).toMatchObject({
    localChainSeconds: 21.5,
    loadRunsPerSecRatio: 0.7,
    pauseIdleP99Ratio: 0.9,
    run: { chainSeconds: 15 },
    cancel: { cancelSeenP99Ms: 300 },
    concurrency: { bench: 'concurrency' },
    import: { importRatio: 1.1 },
  });
  expect(merged.benchAll).toEqual({
    quick: true,
    seconds: 2070,
    scripts: {
      run: { exitCode: 0, seconds: 600, json: true },
      cancel: { exitCode: 0, seconds: 90, json: true },
      load: { exitCode: 0, seconds: 1200, json: true },
      concurrency: { exitCode: 0, seconds: 150, json: true },
      import: { exitCode: 0, seconds: 30, json: true },
    },
    missingKeys: [],
    ok: true,
  });
  // The last line bench/all.mjs prints is this object, on one line.
  expect(JSON.stringify(merged)).not.toContain('\n');
});

test('a script that failed leaves null under its key and its issue keys, and the merge says so', () => {
  const got = inModule(`
    const results = {
      run: { json: { localChainSeconds: 21.5, localChainRatio: 6.1, localHopP50Ms: 0.9, pauseInFlightP99Ratio: 1.1, pauseIdleP99Ratio: 0.9 }, exitCode: 0, seconds: 600 },
      load: { json: undefined, exitCode: 1, seconds: 12 },
    };
    console.log(JSON.stringify(m.mergeResults(results, { seconds: 700, scripts: ['run', 'load'] })));
  `) as Record<string, unknown> & { benchAll: { missingKeys: string[]; ok: boolean; quick: boolean; scripts: Record<string, unknown> } };
  expect(got.run).toMatchObject({ localChainSeconds: 21.5 });
  expect(got.load).toBeNull();
  expect(got).not.toHaveProperty('cancel');
  expect(got.loadRunsPerSecRatio).toBeNull();
  expect(got.localChainRatio).toBe(6.1);
  expect(got.benchAll.missingKeys).toEqual([
    'loadRunsPerSecRatio',
    'loadStoreRunsPerSecRatio',
    'historyEventsPerRunRatio',
    'workflowTasksPerRunRatio',
    'serverCpuPerRunRatio',
  ]);
  expect(got.benchAll.scripts).toEqual({ run: { exitCode: 0, seconds: 600, json: true }, load: { exitCode: 1, seconds: 12, json: false } });
  expect(got.benchAll.ok).toBe(false);
  expect(got.benchAll.quick).toBe(false);
});
