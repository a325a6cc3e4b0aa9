/**
 * The packages tapflow uses but the application installs: the Temporal SDK (one copy, the
 * application's own, whatever version in the supported range) and the parts only some users need
 * (the HTTP server, the embedded PostgreSQL). A missing or out-of-range one is one clear error
 * naming what to install, raised when the part that needs it starts, never a native crash or a
 * `MODULE_NOT_FOUND` stack.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MissingDependencyError, SdkVersionError } from '../core/errors';
import { packageManifest } from './package-root';

/**
 * The Temporal SDK versions this tapflow supports: `>= min` and `< below`. Kept equal to the
 * `peerDependencies` ranges of package.json (a test holds them together).
 */
export const SUPPORTED_TEMPORAL_SDK = { min: '1.23.0', below: '2.0.0' } as const;

/** The SDK packages a worker loads; all must be one version, or their native parts disagree. */
export const WORKER_SDK_PACKAGES = ['@temporalio/worker', '@temporalio/workflow', '@temporalio/activity', '@temporalio/common', '@temporalio/client'] as const;

/**
 * The installed version of `name` as this package resolves it (the application's copy), or
 * `undefined` when it is not installed.
 */
export function installedVersion(name: string): string | undefined {
  let main: string;
  try {
    main = require.resolve(name);
  } catch {
    return undefined;
  }
  // Walk up from the package's main file to its own package.json.
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name) return manifest.version;
    } catch {
      // no package.json here; keep walking
    }
  }
  return undefined;
}

/**
 * Checks that `packages` are installed, for the part named `neededBy`.
 *
 * @throws {MissingDependencyError} naming every one missing and the one command that installs
 *   them, at the versions tapflow's `peerDependencies` ask for.
 */
export function requirePeers(packages: readonly string[], neededBy: string): void {
  const missing = packages.filter((name) => installedVersion(name) === undefined);
  if (missing.length > 0) throw new MissingDependencyError(missing.map(peerSpec), neededBy);
}

/**
 * `name@range` as tapflow's package.json asks for it in `peerDependencies` (only `name` when it
 * is not there), so a message names the versions tapflow is tested with.
 */
export function peerSpec(name: string): string {
  const range = packageManifest().peerDependencies?.[name];
  return range ? `${name}@${range}` : name;
}

/**
 * Checks the Temporal SDK a worker will use: every package of `packages` installed, all at one
 * version, within {@link SUPPORTED_TEMPORAL_SDK}.
 *
 * @throws {MissingDependencyError} when one is not installed.
 * @throws {SdkVersionError} when the versions differ or one is out of range.
 */
export function checkTemporalSdk(packages: readonly string[] = WORKER_SDK_PACKAGES, neededBy = 'tapflow/worker'): string {
  const range = `>=${SUPPORTED_TEMPORAL_SDK.min} <${SUPPORTED_TEMPORAL_SDK.below}`;
  const versions = packages.map((name) => {
    const version = installedVersion(name);
    if (version === undefined) throw new MissingDependencyError([peerSpec(name)], neededBy);
    return { name, version };
  });
  const distinct = [...new Set(versions.map((v) => v.version))];
  if (distinct.length > 1) {
    throw new SdkVersionError(
      `the Temporal SDK packages must be one version, found ${versions.map((v) => `${v.name}@${v.version}`).join(', ')}: install them at the same version (${range})`,
    );
  }
  const version = distinct[0] as string;
  if (compareVersions(version, SUPPORTED_TEMPORAL_SDK.min) < 0 || compareVersions(version, SUPPORTED_TEMPORAL_SDK.below) >= 0) {
    throw new SdkVersionError(`tapflow supports the Temporal SDK ${range}, and ${version} is installed: install @temporalio/* at a version in that range`);
  }
  return version;
}

/** Compares two `major.minor.patch` versions (a pre-release suffix is ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] => (v.split('-')[0] ?? '').split('.').map((n) => Number(n) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
