/**
 * Reads what one node attempt returned, wherever the store keeps it.
 */
import type { Queryable } from '../pool';
import { ATTEMPT_OUTPUTS_REF } from './upsert-attempt-rows';

// The side table is joined only when the row points to it, so an inline output is read from
// the row alone. `has_output` tells a JSON null (the activity returned null) from no output.
const SQL = /* sql */ `
SELECT a.output IS NOT NULL AS has_output, a.output, a.output_ref, o.output AS large_output, o.bytes,
       o.workflow_id IS NOT NULL AS has_large
FROM tapflow.node_attempts a
LEFT JOIN tapflow.attempt_outputs o
  ON a.output_ref = '${ATTEMPT_OUTPUTS_REF}'
 AND o.workflow_id = a.workflow_id AND o.node_id = a.node_id AND o.attempt = a.attempt
WHERE a.workflow_id = $1 AND a.node_id = $2 AND a.attempt = $3`;

/**
 * An attempt's output as the store keeps it:
 * - `inline`: in the attempt's row (`node_attempts.output`);
 * - `attempt_outputs`: too large for the row, in `tapflow.attempt_outputs` (`bytes` is the size
 *   of its JSON);
 * - `elsewhere`: not in the store; `outputRef` says where the writer put it, or why it was not
 *   kept.
 */
export type AttemptOutput =
  | { kept: 'inline'; output: unknown }
  | { kept: 'attempt_outputs'; output: unknown; bytes: number }
  | { kept: 'elsewhere'; outputRef: string };

interface Row {
  has_output: boolean;
  output: unknown;
  output_ref: string | null;
  large_output: unknown;
  bytes: number | null;
  has_large: boolean;
}

/**
 * What attempt `attempt` of node `nodeId` of run `workflowId` returned, whether it is kept inline
 * or by reference in `tapflow.attempt_outputs`.
 *
 * @returns `undefined` when the store has no such attempt or no output for it (the attempt is
 *   running, failed or was cancelled).
 */
export async function getAttemptOutput(
  client: Queryable,
  workflowId: string,
  nodeId: string,
  attempt: number,
): Promise<AttemptOutput | undefined> {
  const { rows } = await client.query<Row>(SQL, [workflowId, nodeId, attempt]);
  const row = rows[0];
  if (!row) return undefined;
  if (row.has_large) return { kept: 'attempt_outputs', output: row.large_output, bytes: row.bytes ?? 0 };
  if (row.has_output) return { kept: 'inline', output: row.output };
  if (row.output_ref !== null) return { kept: 'elsewhere', outputRef: row.output_ref };
  return undefined;
}
