/**
 * Loads a module the application names by path (its activities, its data converter) as Node
 * would: ESM or CommonJS, through a real `import()`.
 */
import { pathToFileURL } from 'node:url';

// TypeScript's CommonJS output would turn `import()` into `require()`, which cannot load an ES
// module; a function built at run time keeps the real `import()`.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/** The namespace of the module at the absolute path `file`. */
export function importFile(file: string): Promise<Record<string, unknown>> {
  return dynamicImport(pathToFileURL(file).href);
}
