/**
 * Whom the embedded PostgreSQL runs as. PostgreSQL refuses to run as root, so when tapflow is
 * root the server runs as a `postgres` OS user (created when missing) that must own its data
 * directory and reach its binaries.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { exe } from './embedded-postgres-binaries';
import { EmbeddedPostgresError } from './errors';

export interface Owner {
  uid: number;
  gid: number;
  name: string;
}

/**
 * Whom the server runs as: `undefined` (this process's user) unless this process is root, which
 * PostgreSQL refuses; then `osUser`, created as a system user when missing.
 */
export function serverOwner(osUser: string): Owner | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const found = lookupUser(osUser);
  if (found) return found;
  try {
    execFileSync('groupadd', ['--system', osUser], { stdio: 'pipe' });
  } catch (err) {
    // Exit 9: the group exists already, which is fine.
    if ((err as { status?: number }).status !== 9) throw userCreationFailed(osUser, err);
  }
  try {
    execFileSync(
      'useradd',
      ['--system', '--gid', osUser, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', osUser],
      { stdio: 'pipe' },
    );
  } catch (err) {
    throw userCreationFailed(osUser, err);
  }
  const created = lookupUser(osUser);
  if (!created) throw userCreationFailed(osUser, new Error('not found after useradd'));
  return created;
}

export function lookupUser(name: string): Owner | undefined {
  try {
    const uid = Number.parseInt(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }), 10);
    const gid = Number.parseInt(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }), 10);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, name } : undefined;
  } catch {
    return undefined;
  }
}

export function userCreationFailed(name: string, err: unknown): EmbeddedPostgresError {
  const { stderr, message } = err as { stderr?: unknown; message?: unknown };
  const detail = String(stderr || message || err).trim().split('\n')[0];
  return new EmbeddedPostgresError(
    `PostgreSQL refuses to run as root and there is no "${name}" OS user to run it as; creating one failed (${detail}): ` +
      `create it (useradd --system ${name}) or run tapflow as another user`,
  );
}

/**
 * Whether `owner` passes `test -<flag> path` for every flag, run as that user: the kernel's own
 * answer, so every folder above `path` counts, not only the path's own mode bits.
 */
export function ownerPasses(owner: Owner, path: string, flags: readonly ('r' | 'w' | 'x')[]): boolean {
  const script = flags.map((flag) => `test -${flag} "$1"`).join(' && ');
  const probe = spawnSync('/bin/sh', ['-c', script, 'sh', path], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
  return probe.status === 0;
}

/** Checks, as the server's user, that it can use the data directory and run the binaries. */
export function checkAccess(dataDir: string, binDir: string, owner: Owner | undefined): void {
  if (!owner) return;
  if (!ownerPasses(owner, dataDir, ['r', 'w', 'x']) || !ownerPasses(owner, join(binDir, exe('postgres')), ['x'])) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as OS user "${owner.name}" (it refuses root), and that user cannot reach ${dataDir} or ${binDir}: ` +
        'make their parent directories traversable (chmod o+x) or choose a data directory elsewhere',
    );
  }
}

export function chownTree(path: string, owner: Owner): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    lchownSync(path, owner.uid, owner.gid);
    return;
  }
  chownSync(path, owner.uid, owner.gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}
