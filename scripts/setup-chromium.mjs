// Chromium for the operator console's browser test (test/console/console.test.ts): Debian's
// package `chromium` at /usr/bin/chromium, driven by playwright-core. Installed with apt-get when
// it is missing and we may (root, apt-get present); otherwise one line says how to install it.
// Never fails the setup: everything else works without a browser, and the browser test itself
// says what is missing.
import { existsSync } from 'node:fs';
import { ensureDebianPackage } from './debian-package.mjs';

/** Where the browser test looks for Chromium (Debian's `chromium` package installs it there). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const HOW = `install it with "sudo apt-get install -y chromium" (Debian/Ubuntu), or set TAPFLOW_SKIP_BROWSER=1 to skip the console's browser test`;

/**
 * Makes sure {@link CHROMIUM_PATH} exists: as root with apt-get, installs the `chromium` package
 * (refreshing the package lists first when apt cannot find it, as on a fresh machine).
 *
 * @param {(message: string) => void} step prints one setup line.
 * @returns {boolean} whether Chromium is there afterwards.
 */
export function ensureChromium(step) {
  return ensureDebianPackage({
    pkg: 'chromium',
    isPresent: () => existsSync(CHROMIUM_PATH),
    what: `Chromium (${CHROMIUM_PATH})`,
    why: "for the console's browser test",
    how: HOW,
    step,
  });
}
