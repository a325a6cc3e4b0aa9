/** `tapflow graph SPEC-or-ID`: the pipeline as a Mermaid flowchart; for a run, coloured by state. */
import { existsSync } from 'node:fs';
import { toMermaid } from '../core/mermaid';
import { formatProblem, validateSpec } from '../core/validate';
import { print, printJson, readSpecFile, type GlobalOptions } from './io';
import { runStatus } from './status';
import { SpecProblemsError } from './validate';

/**
 * Draws a spec file, or a run when no file has that name (from the store when Temporal no
 * longer has the run).
 *
 * @throws {UsageError} for an invalid spec or an unknown run.
 */
export async function graphCommand(target: string, options: GlobalOptions): Promise<number> {
  if (existsSync(target)) {
    const checked = validateSpec(readSpecFile(target));
    if (!checked.ok) throw new SpecProblemsError(target, checked.problems.map(formatProblem));
    // A spec node is drawn with its `when` (dotted edges in) and a trigger that is not the default.
    const mermaid = toMermaid(
      checked.spec.nodes.map((n) => ({ id: n.id, activity: n.activity, needs: n.needs, when: n.when, trigger: n.trigger })),
      checked.spec.name,
    );
    if (options.json) printJson({ pipeline: checked.spec.name, mermaid });
    else print(mermaid);
    return 0;
  }
  const status = await runStatus(target, options);
  // A run's node is drawn with its state, a skip's cause, a repeated node's round, and the spec's
  // `when` and trigger as its status carries them (statuses written before they were carried have
  // none).
  const mermaid = toMermaid(
    status.nodes.map((n) => ({
      id: n.id,
      activity: n.activity,
      needs: n.needs,
      state: n.state,
      skipCause: n.skipCause,
      round: n.round,
      when: n.when,
      trigger: n.trigger,
    })),
    `${status.pipeline}: ${status.workflowId} (${status.state})`,
  );
  if (options.json) printJson({ workflowId: status.workflowId, pipeline: status.pipeline, state: status.state, mermaid });
  else print(mermaid);
  return 0;
}
