/** `tapflow validate SPEC`: the order and parallel levels, or every problem with where it is. */
import { buildGraph } from '../core/graph';
import { formatProblem, validateSpec, type ValidationResult } from '../core/validate';
import { MAX_NAME_LENGTH, textProblem } from '../core/run-text';
import { UsageError } from '../core/errors';
import { print, printJson, readSpecFile, type GlobalOptions } from './io';

/** Problems in a spec, for exit code 2 with each problem printed on its own line. */
export class SpecProblemsError extends UsageError {
  override readonly code = 'invalid_spec';

  constructor(
    readonly source: string,
    readonly lines: string[],
  ) {
    super(lines.map((l) => `${source}: ${l}`).join('\n'));
  }
}

/**
 * {@link validateSpec}, and the rule `start` adds to the spec's name (printable, at most
 * {@link MAX_NAME_LENGTH} characters), so a spec that validates also starts. The name rule stays
 * out of `validateSpec`: the workflow validates its spec too, and a rule added there would fail
 * the replay of runs started before it.
 */
function startableSpec(parsed: unknown): ValidationResult {
  const result = validateSpec(parsed);
  if (!result.ok) return result;
  const problem = textProblem(result.spec.name, MAX_NAME_LENGTH);
  return problem ? { ok: false, problems: [{ path: 'name', message: problem }] } : result;
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
  const result = startableSpec(parsed);
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
