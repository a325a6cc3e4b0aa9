/**
 * What the pipeline workflow is started with on the wire: the public argument
 * ({@link PipelineRunInput}) and the fields tapflow adds for itself. These stay as they are in
 * running histories and continue-as-new inputs, so a field here is never renamed or retyped.
 */
import type { PipelineRunInput } from './definitions';
import type { ReusedOutputs } from './run-book';

/** The pipeline workflow's whole argument. */
export interface PipelineRunArgs extends PipelineRunInput {
  /**
   * Continue-as-new once the history has this many events. Default: 8,000 (Temporal warns at
   * 10,240). Lower it to keep histories short; tests lower it to exercise continue-as-new.
   */
  continueAsNewAfterEvents?: number;
  /** Carried across continue-as-new; never set by callers. */
  carried?: unknown;
  /**
   * A rerun of an ended run: the outputs it takes from that run (those nodes never run), the run
   * it reruns and the node it reruns from. Set by `TapflowClient` when it reruns an ended run.
   */
  reuse?: ReusedOutputs & { of: string; from: string };
  /** A child run: how deep it is nested (the top-level run is 0) and the limit it inherits. */
  nesting?: { depth: number; maxDepth: number };
}
