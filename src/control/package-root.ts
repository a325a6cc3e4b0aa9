/**
 * Where this package lies (the checkout, or `node_modules/tapflow`) and what its package.json
 * says: the same two folders up from every compiled or source file of a part.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's root folder. */
export const PACKAGE_ROOT = join(__dirname, '..', '..');

/** What tapflow's own package.json declares, as far as tapflow reads it. */
export interface PackageManifest {
  version?: string;
  peerDependencies?: Record<string, string>;
}

let manifest: PackageManifest | undefined;

/** The package's package.json, read once; empty when it cannot be read. */
export function packageManifest(): PackageManifest {
  if (!manifest) {
    try {
      manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageManifest;
    } catch {
      manifest = {};
    }
  }
  return manifest;
}
