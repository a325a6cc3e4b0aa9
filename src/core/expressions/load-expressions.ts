/**
 * Loads the expression engine (and the CEL library with it) on first use, so that code which
 * never meets an expression, `import('tapflow')` first of all, does not pay for loading it.
 */
import type * as Engine from './expression-engine';

let engine: typeof Engine | undefined;

/** The expression engine, loaded on the first call. */
export function expressionEngine(): typeof Engine {
  // A require rather than an import: the module loads only when a spec holds an expression.
  engine ??= require('./expression-engine') as typeof Engine;
  return engine;
}
