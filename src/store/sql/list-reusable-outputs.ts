/**
 * Reads the outputs an ended run's nodes produced, for a rerun that reuses them.
 */
import type { Queryable } from '../pool';
import { ATTEMPT_OUTPUTS_REF } from './upsert-attempt-rows';

// The last completed attempt of each node (an output kept in the side table is joined in), and
// the outputs the workflow recorded on the run's row for nodes that are not activities (sleeps,
// events, skips): the second part wins, since a skip after a completion is the later word.
const SQL = /* sql */ `
SELECT node_id, output, kept, source FROM (
  SELECT DISTINCT ON (a.node_id) a.node_id,
         CASE WHEN o.workflow_id IS NOT NULL THEN o.output ELSE a.output END AS output,
         (o.workflow_id IS NOT NULL OR a.output IS NOT NULL) AS kept, 1 AS source
  FROM tapflow.node_attempts a
  LEFT JOIN tapflow.attempt_outputs o
    ON a.output_ref = '${ATTEMPT_OUTPUTS_REF}'
   AND o.workflow_id = a.workflow_id AND o.node_id = a.node_id AND o.attempt = a.attempt
  WHERE a.workflow_id = $1 AND a.outcome = 'completed'
  ORDER BY a.node_id, a.attempt DESC
) attempts
UNION ALL
SELECT e.key, e.value, true, 2
FROM tapflow.runs r CROSS JOIN LATERAL jsonb_each(coalesce(r.outputs, '{}'::jsonb)) e
WHERE r.workflow_id = $1
ORDER BY 1, 4`;

/**
 * The outputs the store holds for run `workflowId`'s nodes: each completed activity node's last
 * completed attempt, and the outputs the run recorded for its other nodes (sleep, event, skipped).
 * A node whose output the store does not hold (kept elsewhere, or never recorded) is absent.
 */
export async function listReusableOutputs(client: Queryable, workflowId: string): Promise<Map<string, unknown>> {
  const { rows } = await client.query<{ node_id: string; output: unknown; kept: boolean }>(SQL, [workflowId]);
  const outputs = new Map<string, unknown>();
  for (const row of rows) if (row.kept) outputs.set(row.node_id, row.output);
  return outputs;
}
