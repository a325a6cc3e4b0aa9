/**
 * `tapflow validate SPEC`: the order and parallel levels (each conditional node marked with its
 * `when`, a trigger that is not the default and a `repeat`), or every problem with where it is.
 */
import { buildGraph } from '../core/graph';
import { formatProblem, validateSpec, type ValidationResult } from '../core/validate';
import { MAX_NAME_LENGTH, textProblem } from '../core/run-text';
import { UsageError } from '../core/errors';
import type { NodeSpec, TriggerRule } from '../core/types';
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
export function startableSpec(parsed: unknown): ValidationResult {
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
    printJson({
      valid: true,
      name: spec.name,
      nodes: spec.nodes.length,
      order: graph.order,
      levels: graph.levels,
      leaves: graph.leaves,
      // Added after the fields above, which keep their shape: by node id, only the nodes that have one.
      conditions: Object.fromEntries(spec.nodes.flatMap((n) => (n.when === undefined ? [] : [[n.id, n.when]]))),
      triggers: Object.fromEntries(spec.nodes.flatMap((n) => (n.trigger === undefined || n.trigger === DEFAULT_TRIGGER ? [] : [[n.id, n.trigger]]))),
      repeats: Object.fromEntries(spec.nodes.flatMap((n) => (n.repeat === undefined ? [] : [[n.id, n.repeat]]))),
    });
    return 0;
  }
  const byId = new Map(spec.nodes.map((n) => [n.id, n]));
  const shown = (id: string): string => {
    const node = byId.get(id);
    const marks = node ? nodeMarks(node) : [];
    return marks.length > 0 ? `${id} (${marks.join(', ')})` : id;
  };
  print(
    `${path}: valid pipeline "${spec.name}", ${spec.nodes.length} node${spec.nodes.length === 1 ? '' : 's'}, ${graph.levels.length} level${graph.levels.length === 1 ? '' : 's'}`,
    ...graph.levels.map((level, i) => `level ${i}: ${level.map(shown).join(', ')}`),
    `order: ${graph.order.join(', ')}`,
  );
  return 0;
}

/** The rule a node without `trigger` follows; not worth a mark. */
const DEFAULT_TRIGGER: TriggerRule = 'all_success';

/**
 * What the levels should say of a node beyond its id, since each changes whether or how often it
 * runs: `when: <condition>` (it may be skipped), `trigger: <rule>` when not the default, and
 * `repeat until <condition>, max <n>`. A condition is put on one line: CEL may span lines.
 */
function nodeMarks(node: NodeSpec): string[] {
  const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
  const marks: string[] = [];
  if (node.when !== undefined) marks.push(`when: ${oneLine(node.when)}`);
  if (node.trigger !== undefined && node.trigger !== DEFAULT_TRIGGER) marks.push(`trigger: ${node.trigger}`);
  if (node.repeat) marks.push(`repeat until ${oneLine(node.repeat.until)}, max ${node.repeat.max}`);
  return marks;
}
