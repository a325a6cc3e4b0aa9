// The benchmarks' way into tapflow's built code (dist/) and the Temporal SDK. Importing this module
// first checks that dist/ exists (else one line, exit 2), then installs the Temporal runtime with
// WARN logs before anything else creates one, so that a worker's INFO lines (one per pause or
// cancel) stay off the benchmark's output. ES modules run their imports in order, so every
// benchmark that imports it gets both before its own code runs.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startDevServer } from './common.mjs';

/** The repository's root folder. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `require` for the benchmarks: the SDK's CommonJS packages and tapflow's dist/. */
export const require = createRequire(import.meta.url);

/** Loads a module of tapflow's dist/: `dist('store', 'pool.js')`. */
export const dist = (...path) => require(join(root, 'dist', ...path));

if (!existsSync(join(root, 'dist', 'worker.js'))) {
  console.error(`${basename(process.argv[1] ?? 'bench')}: dist/ is missing; run "npm run build" first`);
  process.exit(2);
}

/** `@temporalio/worker`, with its runtime installed (logs at WARN). */
export const temporalWorker = require('@temporalio/worker');
temporalWorker.Runtime.install({ logger: new temporalWorker.DefaultLogger('WARN') });

/** A logger for the SDK's bundler and workers that keeps only errors. */
export const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * Bundles `bench/workflows.ts`: tapflow's workflows and the hand-written baselines.
 *
 * @returns the bundle's code, and how long bundling took in ms.
 */
export async function bundleBenchWorkflows() {
  const started = performance.now();
  const { code } = await temporalWorker.bundleWorkflowCode({ workflowsPath: join(root, 'bench', 'workflows.ts'), logger: quietLogger });
  return { code, bundleMs: performance.now() - started };
}

/**
 * Starts a dev server from the Temporal CLI tapflow finds, with tapflow's search attributes
 * registered; the other options are those of `startDevServer` (bench/common.mjs).
 *
 * @returns what `startDevServer` returns: the environment and the extra server arguments.
 */
export function startTapflowDevServer(options = {}) {
  const { TestWorkflowEnvironment } = require('@temporalio/testing');
  const { temporalCliPath } = dist('devstack', 'temporal-binaries.js');
  const { PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE } = dist('workflows', 'definitions.js');
  return startDevServer({
    TestWorkflowEnvironment,
    cliPath: temporalCliPath(),
    searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
    ...options,
  });
}
