/**
 * Throwaway npm projects that install the packed checkout as a team would, for the tests of
 * test/package/: pack, create a project, install it, run commands in it, all as child processes
 * with explicit timeouts, in a temporary folder removed afterwards.
 */
import { spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The checkout's root (the package being packed). */
export const CHECKOUT = join(__dirname, '..', '..');

/** The consumer project's files, copied as they are into every throwaway project. */
export const FIXTURES = join(__dirname, 'consumer');

/** The Temporal binaries the checkout's `npm run setup` installed; the projects never download them. */
export const TEMPORAL_BIN = join(CHECKOUT, '.tools', 'bin', 'temporal');
export const TEST_SERVER_BIN = join(CHECKOUT, '.tools', 'bin', 'temporal-test-server');

/** Every Temporal SDK package tapflow has as a peer dependency, required and optional. */
export const TEMPORAL_PACKAGES = [
  '@temporalio/client',
  '@temporalio/common',
  '@temporalio/envconfig',
  '@temporalio/worker',
  '@temporalio/workflow',
  '@temporalio/activity',
  '@temporalio/testing',
] as const;

/** What a child process did. */
export interface CommandResult {
  /** The exit code; `null` when it was killed (see `signal`, `timedOut`). */
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Whether it ran past its timeout and was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** How long it ran, in ms. */
  ms: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string;
  /** Most time it may take; then it and every process it started are killed. */
  timeoutMs: number;
  /** Variables added to {@link consumerEnv}'s. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `command args` to its end. It leads a process group of its own, which is killed whole
 * afterwards: a Temporal server started by a script that timed out or crashed must not outlive it.
 */
export function run(command: string, args: readonly string[], options: RunOptions): CommandResult {
  // `detached` (a process group of its own) is honoured by spawnSync as by spawn, though Node's
  // types leave it out of spawnSync's options.
  const spawnOptions: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    cwd: options.cwd,
    env: consumerEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    detached: true,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  const started = Date.now();
  const result = spawnSync(command, args, spawnOptions);
  if (result.pid) {
    try {
      process.kill(-result.pid, 'SIGKILL');
    } catch {
      // nothing of the group is left: the usual case
    }
  }
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw result.error;
  return {
    status: result.status,
    signal: result.signal,
    timedOut: (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ms: Date.now() - started,
  };
}

/** A one-paragraph account of a command's end and the tails of its output, for a failure message. */
export function describeRun(label: string, result: CommandResult): string {
  const end = result.timedOut ? `timed out after ${result.ms} ms` : result.signal ? `was killed (${result.signal})` : `exited ${result.status}`;
  return `${label} ${end}\n--- stderr (tail) ---\n${tail(result.stderr)}\n--- stdout (tail) ---\n${tail(result.stdout)}`;
}

/**
 * Runs a command that must succeed.
 *
 * @throws Error with its exit status and the tails of its output when it fails or times out.
 */
export function runOk(label: string, command: string, args: readonly string[], options: RunOptions): CommandResult {
  const result = run(command, args, options);
  if (result.status !== 0) throw new Error(describeRun(label, result));
  return result;
}

/**
 * The environment of every command run in a throwaway project: this process's, without what
 * would reach into the checkout or a developer's own setup: npm's variables of the `npm test`
 * running us (its `local_prefix` is the checkout; its cache and registry settings are kept),
 * Temporal and tapflow settings, a database URL, jest's worker id.
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keepNpm = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cafile']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keepNpm.has(key.toLowerCase())) continue;
    if (/^(TEMPORAL_|TAPFLOW_)/.test(key) || ['INIT_CWD', 'DATABASE_URL', 'JEST_WORKER_ID'].includes(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The version of `name` installed in the checkout (what its own tests ran against). */
export function checkoutVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(CHECKOUT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** The fields of the checkout's package.json these tests read. */
export interface PackageManifest {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
}

/** The checkout's package.json. */
export function checkoutManifest(): PackageManifest {
  return JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as PackageManifest;
}

/** A tarball `npm pack` made, and what npm says is in it. */
export interface PackedTarball {
  /** Absolute path of the .tgz. */
  path: string;
  /** Bytes, compressed. */
  size: number;
  /** Bytes, unpacked. */
  unpackedSize: number;
  /** Every file in it, relative to the package root. */
  files: string[];
}

/**
 * Packs the checkout into `destination` as it is: `--ignore-scripts`, because `prepare` would
 * delete and rebuild dist/ under other tests that use it (so dist/ must be built already).
 *
 * @throws Error when dist/ is not built or npm fails.
 */
export function packCheckout(destination: string): PackedTarball {
  if (!existsSync(join(CHECKOUT, 'dist', 'index.js'))) throw new Error('dist/ is not built: run "npm run build" (npm test builds it)');
  mkdirSync(destination, { recursive: true });
  const result = runOk('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: CHECKOUT,
    timeoutMs: 120_000,
  });
  const [report] = JSON.parse(result.stdout) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  if (!report) throw new Error(`npm pack printed no report: ${result.stdout}`);
  return { path: join(destination, report.filename), size: report.size, unpackedSize: report.unpackedSize, files: report.files.map((f) => f.path) };
}

/** A fresh folder under the OS's temporary folder; remove it with {@link removeDir}. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a folder made by {@link makeTempDir}, whatever is left in it. */
export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Options of {@link createProject}. */
export interface ProjectOptions {
  /** `dependencies` of its package.json. */
  dependencies: Record<string, string>;
  /** Copy the consumer project's files ({@link FIXTURES}) in. Default: true. */
  fixtures?: boolean;
}

/** Writes a project `name` under `root` (package.json, and the fixtures); returns its folder. */
export function createProject(root: string, name: string, options: ProjectOptions): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const manifest = { name, version: '1.0.0', private: true, description: 'throwaway consumer of the packed tapflow', dependencies: options.dependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (options.fixtures ?? true) {
    for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(dir, file), { recursive: true });
  }
  return dir;
}

/**
 * `npm install` in a project: offline first (the checkout's own install filled npm's cache), no
 * audit or funding calls.
 *
 * @throws Error with npm's exit status and the tail of its stderr when it fails or times out.
 */
export function npmInstall(dir: string, timeoutMs: number, extraArgs: readonly string[] = []): CommandResult {
  return runOk(`npm install in ${dir}`, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...extraArgs], { cwd: dir, timeoutMs });
}

/** The JSON a fixture script printed on its `consumer-report: ` line. */
export function readReport<T>(result: CommandResult): T {
  const line = result.stdout.split('\n').find((l) => l.startsWith('consumer-report: '));
  if (!line) throw new Error(describeRun('the script printed no consumer-report line:', result));
  return JSON.parse(line.slice('consumer-report: '.length)) as T;
}

/** The version of `name` installed in a project (its top-level copy). */
export function installedVersion(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The last `lines` lines of `text`. */
function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
