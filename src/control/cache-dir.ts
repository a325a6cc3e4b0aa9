/**
 * tapflow's per-user cache: the Temporal binaries `tapflow setup` installs and the bundled
 * workflow code of tapflow's own workflows. Safe to delete; it fills again on use.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `TAPFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/tapflow`, else `~/.cache/tapflow`. */
export function tapflowCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TAPFLOW_CACHE_DIR) return resolve(env.TAPFLOW_CACHE_DIR);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'tapflow');
}
