/**
 * Loads activity modules given on the command line: each exported function becomes an activity
 * under its export name.
 */
import { TapflowError } from '../core/errors';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { NodeFunction } from './wrap';
import { importFile } from './import-file';

/** A module that could not be loaded or exports nothing usable; the message is one line. */
export class ActivityModuleError extends TapflowError {
  readonly code = 'activity_module';

  constructor(message: string) {
    super(message);
  }
}

/**
 * Imports each module (ESM or CommonJS, by `import()`) and collects its exported functions.
 * A later module's export replaces an earlier one of the same name.
 *
 * @throws {ActivityModuleError} when a file is missing, fails to load, or exports no function.
 */
export async function loadActivityModules(paths: readonly string[]): Promise<Record<string, NodeFunction>> {
  const activities: Record<string, NodeFunction> = {};
  for (const path of paths) {
    const file = resolve(path);
    if (!existsSync(file)) throw new ActivityModuleError(`activity module not found: ${path}`);
    let mod: Record<string, unknown>;
    try {
      mod = await importFile(file);
    } catch (err) {
      throw new ActivityModuleError(`cannot load activity module ${path}: ${(err as Error).message.split('\n')[0]}`);
    }
    const exports = collectFunctions(mod);
    if (Object.keys(exports).length === 0) {
      throw new ActivityModuleError(`activity module ${path} exports no function`);
    }
    Object.assign(activities, exports);
  }
  return activities;
}

function collectFunctions(mod: Record<string, unknown>): Record<string, NodeFunction> {
  const out: Record<string, NodeFunction> = {};
  const add = (source: Record<string, unknown>): void => {
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === 'function' && name !== 'default') out[name] = value as NodeFunction;
    }
  };
  add(mod);
  // CommonJS modules imported with import() put module.exports under `default`.
  const def = mod.default;
  if (def && typeof def === 'object') add(def as Record<string, unknown>);
  return out;
}
