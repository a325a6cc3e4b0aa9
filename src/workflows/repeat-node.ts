/**
 * `pipeline` nodes with `repeat: { until, max }`: the child pipeline runs again, each round a
 * child run of its own (`<parent>/<node>`, then `~2`, `~3`, ...), until `until` holds over the
 * round's output or `max` rounds have run (then the node fails with `TapflowRepeatExhausted`).
 * Each round's input is resolved again, with `previous` (the last round's output, `null` in round
 * 1) and `round`: the review-and-revise cycle, where a rejected draft goes back with its notes.
 *
 * A round that fails or is cancelled ends the node so. A paused run starts no next round until
 * it is resumed.
 */
import { isCancellation } from '@temporalio/workflow';
import { UNTIL_VARIABLES } from '../core/expressions/expression-ast';
import { expressionEngine } from '../core/expressions/load-expressions';
import { EXPRESSION_FAILED, REPEAT_EXHAUSTED } from '../core/failure-types';
import type { NodeSpec, PipelineSpec, RepeatSpec } from '../core/types';
import { describe } from '../core/value-checks';
import { runChild, type ChildStart } from './child-node';
import type { NodeOutcome } from './node-activity';
import { resolveInput } from './node-gate';

/** What a repeated node runs with. */
export interface RepeatStart {
  node: NodeSpec & { repeat: RepeatSpec };
  /** The child run id of round 1; later rounds add `~<round>`. */
  baseId: string;
  /** The child start, but for its id and its run input, which each round sets. */
  child: Omit<ChildStart, 'workflowId' | 'params' | 'spec'> & { spec: PipelineSpec };
  /** The node's input as written (templates unresolved), the run's params, its needs' outputs. */
  writtenInput: unknown;
  params: unknown;
  upstream: Record<string, unknown>;
  /** Told of each round as it starts: its number, child run id and resolved input. */
  onRound(round: number, childId: string, input: unknown): void;
  /** Resolves once the run may start work (not paused); rejects when the run is cancelled. */
  mayStart(): Promise<void>;
}

/** The child run id of a repeat's `round`. */
export function repeatRoundId(baseId: string, round: number): string {
  return round <= 1 ? baseId : `${baseId}~${round}`;
}

/** Runs the rounds and reports how the node ended (never throws). */
export async function runRepeat(start: RepeatStart, onOutcome: (outcome: NodeOutcome) => void): Promise<void> {
  const { repeat } = start.node;
  const needs = Object.keys(start.upstream);
  let previous: unknown = null;
  for (let round = 1; round <= repeat.max; round++) {
    if (round > 1) {
      try {
        await start.mayStart();
      } catch (err) {
        if (isCancellation(err)) return onOutcome({ kind: 'cancelled', attempts: 1 });
        throw err;
      }
    }
    const resolved = resolveInput(start.writtenInput, needs, { params: start.params, upstream: start.upstream, previous, round });
    if (!resolved.ok) return onOutcome(expressionFailure(`round ${round}: ${resolved.error}`));
    const childId = repeatRoundId(start.baseId, round);
    start.onRound(round, childId, resolved.input);
    const outcome = await roundOutcome({
      ...start.child,
      workflowId: childId,
      params: { input: resolved.input, params: start.params, upstream: start.upstream },
    });
    if (outcome.kind !== 'completed') return onOutcome(outcome);
    const until = expressionEngine().evaluateExpression(
      repeat.until,
      { variables: UNTIL_VARIABLES, needs },
      { output: outcome.output, round, params: start.params, upstream: start.upstream },
    );
    if (!until.ok) return onOutcome(expressionFailure(`repeat.until, round ${round}: ${until.error}`));
    if (typeof until.value !== 'boolean') {
      return onOutcome(expressionFailure(`repeat.until: ${repeat.until}: gave ${describe(until.value)}, not true or false`));
    }
    if (until.value) return onOutcome(outcome);
    previous = outcome.output;
  }
  const plural = repeat.max === 1 ? '' : 's';
  onOutcome({
    kind: 'failed',
    error: `ran its ${repeat.max} round${plural} without "${repeat.until}" holding`,
    errorType: REPEAT_EXHAUSTED,
    attempts: 1,
  });
}

/** One round's child run, as an outcome. */
function roundOutcome(start: ChildStart): Promise<NodeOutcome> {
  return new Promise((resolve) => {
    void runChild(start, resolve);
  });
}

function expressionFailure(error: string): NodeOutcome {
  return { kind: 'failed', error, errorType: EXPRESSION_FAILED, attempts: 1 };
}
