// Chromium for the operator console's browser test (test/console/console.test.ts): Debian's
// package `chromium` at /usr/bin/chromium, driven by playwright-core. Installed with apt-get when
// it is missing and we may (root, apt-get present); otherwise one line says how to install it.
// Never fails the setup: everything else works without a browser, and the browser test itself
// says what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where the browser test looks for Chromium (Debian's `chromium` package installs it there). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const HOW = `install it with "sudo apt-get install -y chromium" (Debian/Ubuntu), or set TAPFLOW_SKIP_BROWSER=1 to skip the console's browser test`;

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
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
 * Makes sure {@link CHROMIUM_PATH} exists: as root with apt-get, installs the `chromium` package
 * (refreshing the package lists first when apt cannot find it, as on a fresh machine).
 *
 * @param {(message: string) => void} step prints one setup line.
 * @returns {boolean} whether Chromium is there afterwards.
 */
export function ensureChromium(step) {
  if (existsSync(CHROMIUM_PATH)) return true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    step(`Chromium (${CHROMIUM_PATH}) is missing for the console's browser test: ${HOW}`);
    return false;
  }
  step(`installing Chromium for the console's browser test (apt-get install -y chromium, Debian's package: ${CHROMIUM_PATH})`);
  let install = aptGet(['install', '-y', 'chromium']);
  if (!install.ok) {
    // A fresh machine has no package lists yet: apt cannot locate the package until updated.
    const update = aptGet(['update']);
    if (update.ok) install = aptGet(['install', '-y', 'chromium']);
  }
  if (!install.ok || !existsSync(CHROMIUM_PATH)) {
    if (install.output) process.stderr.write(`${install.output.split('\n').slice(-5).join('\n')}\n`);
    step(`could not install Chromium: ${HOW}`);
    return false;
  }
  return true;
}
