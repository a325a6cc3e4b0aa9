// Installs a Debian package for the setup scripts when a file it provides is missing: as root,
// with apt-get, quietly (its output is shown only when it fails). Otherwise one line says how to
// install it. Used for Chromium (scripts/setup-chromium.mjs) and Redis (scripts/setup-compare.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of the executable `name` on PATH, or undefined. */
export function onPath(name) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => dir && join(dir, name))
    .find((p) => p && existsSync(p));
}

/** Runs apt-get quietly; its output is kept and shown only when it fails. */
function aptGet(args) {
  const result = spawnSync('apt-get', ['-qq', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/**
 * Makes sure what `isPresent` looks for exists, installing Debian's package `pkg` when it may
 * (root, apt-get on PATH). A fresh machine has no package lists yet, so a failed install is tried
 * again once after `apt-get update`.
 *
 * @param {object} options
 * @param {string} options.pkg the Debian package (`chromium`, `redis-server`)
 * @param {() => boolean} options.isPresent whether the file the package provides is there
 * @param {string} options.what how the lines name it (`Chromium (/usr/bin/chromium)`)
 * @param {string} options.why what it is for (`for the console's browser test`)
 * @param {string} options.how how a user installs it themselves
 * @param {(line: string) => void} options.step prints one line of setup progress
 * @returns whether it is present now
 */
export function ensureDebianPackage({ pkg, isPresent, what, why, how, step }) {
  if (isPresent()) return true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    step(`${what} is missing ${why}: ${how}`);
    return false;
  }
  step(`installing ${what} ${why} (apt-get install -y ${pkg}, Debian's package)`);
  let install = aptGet(['install', '-y', pkg]);
  if (!install.ok && aptGet(['update']).ok) install = aptGet(['install', '-y', pkg]);
  if (!install.ok || !isPresent()) {
    if (install.output) process.stderr.write(`${install.output.split('\n').slice(-5).join('\n')}\n`);
    step(`could not install ${what}: ${how}`);
    return false;
  }
  return true;
}
