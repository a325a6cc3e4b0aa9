/**
 * The small wrapper a tapflow worker puts around a node's outcome, so the workflow learns how
 * many attempts a node took (Temporal retries activities on the server and does not tell the
 * workflow). Pure: used by the worker's activity wrapper and by the workflow.
 */

/** A node's output as the worker returns it. */
export interface NodeEnvelope {
  tapflow: 1;
  output: unknown;
  /** The attempt that succeeded (1 for the first). */
  attempt: number;
  /** Paths of files the activity reported producing (`call.report({ products })`), when any. */
  products?: string[];
  /** Paths of plots the activity reported drawing (`call.report({ plots })`), when any. */
  plots?: string[];
  /**
   * How long the attempt took, in milliseconds: given by local steps only. It is in the step's
   * history marker, so the workflow can count the time its task has been open by it, the same on
   * every replay (see `workflows/local-steps.ts`).
   */
  ms?: number;
}

/** Failure details the worker attaches to a node's error. */
export interface NodeFailureDetails {
  tapflow: 1;
  attempt: number;
}

/** Whether a value is a {@link NodeEnvelope}. */
export function isNodeEnvelope(value: unknown): value is NodeEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as NodeEnvelope).tapflow === 1 &&
    typeof (value as NodeEnvelope).attempt === 'number' &&
    'output' in value
  );
}

/** Whether a failure detail is {@link NodeFailureDetails}. */
export function isNodeFailureDetails(value: unknown): value is NodeFailureDetails {
  return typeof value === 'object' && value !== null && (value as NodeFailureDetails).tapflow === 1;
}
