/** `tapflow validate SPEC`: the order and parallel levels, or every problem with where it is. */
import { buildGraph } from '../pipeline/graph';
import { formatProblem, validateSpec } from '../pipeline/validate';
import { UsageError } from '../errors';
import { print, printJson, readSpecFile, type GlobalOptions } from './io';

/** Problems in a spec, for exit code 2 with each problem printed on its own line. */
export class SpecProblemsError extends UsageError {
  constructor(
    readonly source: string,
    readonly lines: string[],
  ) {
    super(lines.map((l) => `${source}: ${l}`).join('\n'));
    this.name = 'SpecProblemsError';
  }
}

/**
 * Checks a spec file.
 *
 * @throws {UsageError} when the file cannot be read or parsed, or the spec is invalid.
 */
export function validateCommand(path: string, options: GlobalOptions): number {
  let parsed: unknown;
  try {
    parsed = readSpecFile(path);
  } catch (err) {
    if (options.json && err instanceof UsageError) {
      printJson({ valid: false, problems: [{ path: '', message: err.message }] });
      return 2;
    }
    throw err;
  }
  const result = validateSpec(parsed);
  if (!result.ok) {
    if (options.json) {
      printJson({ valid: false, problems: result.problems });
      return 2;
    }
    throw new SpecProblemsError(path, result.problems.map(formatProblem));
  }
  const spec = result.spec;
  const graph = buildGraph(spec.nodes);
  if (options.json) {
    printJson({ valid: true, name: spec.name, nodes: spec.nodes.length, order: graph.order, levels: graph.levels, leaves: graph.leaves });
    return 0;
  }
  print(
    `${path}: valid pipeline "${spec.name}", ${spec.nodes.length} node${spec.nodes.length === 1 ? '' : 's'}, ${graph.levels.length} level${graph.levels.length === 1 ? '' : 's'}`,
    ...graph.levels.map((level, i) => `level ${i}: ${level.join(', ')}`),
    `order: ${graph.order.join(', ')}`,
  );
  return 0;
}
