// What bench/all.mjs does with the benchmarks' output, as pure functions (no I/O), so that a test
// can check the merging without running a benchmark: which scripts run, in which order, under
// which key; how a script's JSON line is found in its output; and the one object bench/all.mjs
// prints last.

/** The benchmarks bench/all.mjs runs, in order: each one's file (in bench/) and its key in the merged object. */
export const SCRIPTS = [
  { key: 'run', file: 'run.mjs' },
  { key: 'cancel', file: 'cancel.mjs' },
  { key: 'load', file: 'load.mjs' },
  { key: 'concurrency', file: 'concurrency.mjs' },
  { key: 'import', file: 'import.mjs' },
];

/**
 * The figures, copied to the top level of the merged object: each key, and the key of
 * the script whose JSON line holds it (under the same name).
 */
export const HEADLINE_KEYS = {
  loadRunsPerSecRatio: 'load',
  loadStoreRunsPerSecRatio: 'load',
  localChainSeconds: 'run',
  localChainRatio: 'run',
  localHopP50Ms: 'run',
  historyEventsPerRunRatio: 'load',
  workflowTasksPerRunRatio: 'load',
  serverCpuPerRunRatio: 'load',
  pauseInFlightP99Ratio: 'run',
  pauseIdleP99Ratio: 'run',
};

/**
 * The JSON object on the last non-empty line of `text` (a benchmark's whole standard output), or
 * undefined when that line is not a JSON object (the script failed before printing it).
 */
export function lastJsonLine(text) {
  const lines = String(text).split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      const value = JSON.parse(line);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The one object bench/all.mjs prints last.
 *
 * @param results per script key (`run`, `cancel`, ...): `{ json, exitCode, seconds }`, `json` the
 *   script's last-line object or undefined; a script that did not run is left out.
 * @param meta `{ quick, seconds, scripts }`: the mode, the whole run's seconds and the script keys
 *   asked for (default: every key of {@link SCRIPTS}).
 * @returns the keys (null where a script did not give one), then each script's object
 *   under its key (null when it gave none), then `benchAll`: each script's exit code and seconds,
 *   the keys missing, and whether every script ran to its end with its JSON line (`ok`).
 */
export function mergeResults(results, meta = {}) {
  const keys = meta.scripts ?? SCRIPTS.map((s) => s.key);
  const merged = {};
  const missing = [];
  for (const [key, from] of Object.entries(HEADLINE_KEYS)) {
    const value = results[from]?.json?.[key];
    merged[key] = value === undefined ? null : value;
    if (value === undefined) missing.push(key);
  }
  const scripts = {};
  for (const key of keys) {
    const r = results[key];
    merged[key] = r?.json ?? null;
    scripts[key] = { exitCode: r?.exitCode ?? null, seconds: r?.seconds ?? null, json: r?.json !== undefined };
  }
  const ok = keys.every((key) => scripts[key].exitCode === 0 && scripts[key].json);
  merged.benchAll = { quick: Boolean(meta.quick), seconds: meta.seconds ?? null, scripts, missingKeys: missing, ok };
  return merged;
}
