/**
 * Where a running `tapflow dev` listens, written down so the other commands find it on any
 * ports without environment variables. `tapflow dev` writes `stack.json` in its data folder and
 * the same file as `dev-stack.json` in the per-user cache (the last stack started), and removes
 * both when it stops. A command reads the one in `./.tapflow/` (the default data folder) first,
 * else the per-user one, and takes it only while the process that wrote it is alive.
 */
import { readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tapflowCacheDir } from '../control/cache-dir';
import { processAlive } from './process-alive';

/** What a running dev stack says about itself. */
export interface DevStackInfo {
  /** The `tapflow dev` process. */
  pid: number;
  /** The Temporal server's gRPC address (`127.0.0.1:7233`). */
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The embedded store's port, when the stack runs one (not with `DATABASE_URL`). */
  storePort?: number;
  apiUrl: string;
  uiUrl: string;
  dataDir: string;
}

/** A stack found on disk, and which file said so (for messages). */
export interface FoundDevStack {
  info: DevStackInfo;
  file: string;
}

const DATA_DIR_FILE = 'stack.json';
const USER_FILE = 'dev-stack.json';

/** The files a stack is written to: in its data folder, and the per-user one. */
export function devStackFiles(dataDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [join(dataDir, DATA_DIR_FILE), join(tapflowCacheDir(env), USER_FILE)];
}

/** Writes where the stack listens (through a rename, so a reader never sees half a file). A file that cannot be written is skipped. */
export function writeDevStack(info: DevStackInfo, env: NodeJS.ProcessEnv = process.env): void {
  for (const file of devStackFiles(info.dataDir, env)) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, `${JSON.stringify(info, null, 2)}\n`);
      renameSync(partial, file);
    } catch {
      // a read-only cache: the commands fall back to the environment and the defaults
    }
  }
}

/** Removes what {@link writeDevStack} wrote, unless another stack has written over it since. */
export function removeDevStack(info: DevStackInfo, env: NodeJS.ProcessEnv = process.env): void {
  for (const file of devStackFiles(info.dataDir, env)) {
    if (readStackFile(file)?.pid === info.pid) rmSync(file, { force: true });
  }
}

/**
 * The running dev stack this command should use: the one in `./.tapflow/`, else the per-user one;
 * `undefined` when none is running.
 */
export function findDevStack(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): FoundDevStack | undefined {
  for (const file of [join(resolve(cwd), '.tapflow', DATA_DIR_FILE), join(tapflowCacheDir(env), USER_FILE)]) {
    const info = readStackFile(file);
    if (info && processAlive(info.pid)) return { info, file };
  }
  return undefined;
}

function readStackFile(file: string): DevStackInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevStackInfo>;
    return typeof info.pid === 'number' && typeof info.temporalAddress === 'string' ? (info as DevStackInfo) : undefined;
  } catch {
    return undefined;
  }
}
