/**
 * What the run reconciler needs of some runs' rows: their state and the Temporal execution that
 * last wrote them, without the bulky fields.
 */
import type { NodeStatus, RunState } from '../../core/states';
import type { Queryable } from '../pool';

/** One run's row, as far as the reconciler reads it. */
export interface RunExecution {
  workflowId: string;
  pipeline: string;
  state: RunState;
  nodes: NodeStatus[] | null;
  executionRunId: string | null;
  executionStartedAt: Date | null;
}

const SQL = /* sql */ `
SELECT r.workflow_id AS "workflowId", r.pipeline, r.state, r.nodes, r.execution_run_id AS "executionRunId",
       r.execution_started_at AS "executionStartedAt"
FROM tapflow.runs r
WHERE r.workflow_id = ANY($1::text[])`;

/** The rows of the runs with these ids the store has, by id. */
export async function listRunExecutions(client: Queryable, workflowIds: readonly string[]): Promise<Map<string, RunExecution>> {
  if (workflowIds.length === 0) return new Map();
  const { rows } = await client.query<RunExecution>(SQL, [[...new Set(workflowIds)]]);
  return new Map(rows.map((r) => [r.workflowId, r]));
}
