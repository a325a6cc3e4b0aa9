#!/usr/bin/env node
// Installs what the side-by-side comparison (bench/compare/, `npm run bench:compare`) needs beyond
// tapflow's own setup, and does nothing when it is all there:
//   1. Redis: Debian's `redis-server` package, with apt-get when it is missing (as root; otherwise
//      one line says how to install it);
//   2. Celery and redis-py, pinned, with every dependency pinned too, into the git-ignored
//      .tools/python-compare/ (`pip install --target`), so nothing lands in the system Python.
// BullMQ and ioredis are npm devDependencies; `npm ci` (scripts/setup.mjs) installs them.
// Not run by `npm test`: only the comparison needs any of this. Exits 1, with one line saying what
// is missing, when something cannot be installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackage, onPath } from './debian-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the Celery side's Python packages go (put on PYTHONPATH by bench/compare/run.mjs). */
export const PYTHON_COMPARE_DIR = join(root, '.tools', 'python-compare');

/**
 * Celery with the Redis transport and every package it pulls in, each pinned, so each run of the
 * comparison uses the same code. Installed with `--no-deps`: this list is the whole set (resolved
 * once by pip for `celery[redis]==5.7.0` on Python 3.11).
 */
export const CELERY_PACKAGES = [
  'celery==5.7.0',
  'kombu==5.7.0',
  'redis==8.1.0',
  'billiard==4.3.2',
  'vine==5.1.0',
  'amqp==5.4.2',
  'click==8.5.1',
  'click-didyoumean==0.3.1',
  'click-plugins==1.1.1.2',
  'click-repl==0.4.1',
  'prompt_toolkit==3.0.53',
  'wcwidth==0.9.4',
  'python-dateutil==2.9.0.post0',
  'six==1.17.0',
  'tzlocal==5.4.5',
  'packaging==26.3',
  'typing_extensions==4.16.0',
];

const HOW_REDIS = 'install it with "sudo apt-get install -y redis-server" (Debian/Ubuntu), or put a redis-server (6.2 or later) on PATH';

function step(message) {
  process.stderr.write(`setup-compare: ${message}\n`);
}

/** The `redis-server` binary: on PATH, else Debian's place; undefined when there is none. */
export function redisServerPath() {
  return onPath('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
}

/** The Python that has pip (python3, else python); undefined when there is none. */
export function pythonWithPip() {
  for (const python of ['python3', 'python']) {
    if (spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0) return python;
  }
  return undefined;
}

/** Makes sure a `redis-server` exists, installing Debian's package when it may; whether it does. */
function ensureRedis() {
  return ensureDebianPackage({
    pkg: 'redis-server',
    isPresent: () => redisServerPath() !== undefined,
    what: 'redis-server',
    why: 'for the comparison',
    how: HOW_REDIS,
    step,
  });
}

/** Makes sure the pinned Celery set is in {@link PYTHON_COMPARE_DIR}; whether it is. */
function ensureCelery() {
  const [celery] = CELERY_PACKAGES;
  const marker = join(PYTHON_COMPARE_DIR, `${celery.replace('==', '-')}.dist-info`);
  if (existsSync(marker)) return true;
  const python = pythonWithPip();
  if (!python) {
    step('Python 3 with pip is missing for the Celery side: install python3 and python3-pip');
    return false;
  }
  step(`installing ${celery} with redis-py into .tools/python-compare/ (pip install --target, pinned)`);
  mkdirSync(PYTHON_COMPARE_DIR, { recursive: true });
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--root-user-action=ignore', '--no-deps', '--upgrade', '--target', PYTHON_COMPARE_DIR, ...CELERY_PACKAGES];
  const result = spawnSync(python, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0 || !existsSync(marker)) {
    step(`could not install Celery from PyPI (${python} -m pip install --target .tools/python-compare ${CELERY_PACKAGES.join(' ')})`);
    return false;
  }
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const redis = ensureRedis();
  const celery = ensureCelery();
  if (!redis || !celery) process.exit(1);
}
