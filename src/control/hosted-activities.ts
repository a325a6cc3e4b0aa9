/**
 * Refusing, before a run starts, a node whose activity no live worker on its task queue hosts:
 * without the check the run would start and the node would wait, then time out attempt after
 * attempt. Workers publish the activities they host to the store (`hosted_activities`); a task
 * queue no worker has published for (a worker of another kind, or none up yet) is not checked.
 */
import { UnknownActivityError } from '../core/errors';
import type { NodeSpec, PipelineSpec } from '../core/types';
import type { Queryable } from '../store/pool';
import { listHostedActivities } from '../store/sql/list-hosted-activities';
import { isConnectionError } from '../store/connection-errors';

/** How long a worker counts as live after it last published, in seconds: it publishes every minute. */
export const HOSTED_FRESH_SECONDS = 300;

/** A node that calls an activity, where it is in the spec, and the task queue its activity runs on. */
interface ActivityUse {
  path: string;
  node: string;
  activity: string;
  taskQueue: string;
}

/** What {@link checkHostedActivities} found. */
export interface HostedActivitiesCheck {
  /** Task queues no live worker has published its activities for: their nodes were not checked. */
  unchecked: string[];
}

/**
 * Checks every activity `spec` calls (in child pipelines too) against what live workers host.
 *
 * @param taskQueue the run's task queue (nodes without their own run there).
 * @throws {UnknownActivityError} naming every node whose activity no live worker on its queue hosts.
 */
export async function checkHostedActivities(db: Queryable, spec: PipelineSpec, taskQueue: string): Promise<HostedActivitiesCheck> {
  const uses = activityUses(spec, taskQueue, 'nodes');
  if (uses.length === 0) return { unchecked: [] };
  const queues = [...new Set(uses.map((u) => u.taskQueue))];
  const hosted = await listHostedActivities(db, queues, HOSTED_FRESH_SECONDS);
  const missing = uses.filter((u) => hosted.has(u.taskQueue) && !hosted.get(u.taskQueue)?.includes(u.activity));
  if (missing.length > 0) {
    throw new UnknownActivityError(
      missing.map(
        (m) =>
          `${m.path} "${m.node}": no live worker on task queue "${m.taskQueue}" hosts activity "${m.activity}"; hosted there: ${(hosted.get(m.taskQueue) ?? []).join(', ')}`,
      ),
    );
  }
  return { unchecked: queues.filter((q) => !hosted.has(q)) };
}

/**
 * {@link checkHostedActivities}, skipped when the store cannot answer (away, or a schema from
 * before workers published their activities): the check helps, it must not stop a start.
 *
 * @throws {UnknownActivityError} as {@link checkHostedActivities} does.
 */
export async function checkHostedActivitiesIfReadable(db: Queryable, spec: PipelineSpec, taskQueue: string): Promise<HostedActivitiesCheck | undefined> {
  try {
    return await checkHostedActivities(db, spec, taskQueue);
  } catch (err) {
    if (err instanceof UnknownActivityError) throw err;
    const code = (err as { code?: unknown }).code;
    // undefined_table, invalid_schema_name: a store not (yet) migrated to hold what workers host.
    if (isConnectionError(err) || code === '42P01' || code === '3F000') return undefined;
    throw err;
  }
}

/** Every activity the spec calls, with the task queue it runs on, as the workflow would schedule it. */
function activityUses(spec: PipelineSpec, runQueue: string, at: string): ActivityUse[] {
  const uses: ActivityUse[] = [];
  spec.nodes.forEach((node: NodeSpec, i) => {
    const path = `${at}[${i}]`;
    const kind = node.kind ?? 'activity';
    if ((kind === 'activity' || kind === 'map') && node.activity) {
      uses.push({ path, node: node.id, activity: node.activity, taskQueue: node.taskQueue ?? spec.defaults?.taskQueue ?? runQueue });
    }
    if ((kind === 'pipeline' || kind === 'map') && node.pipeline && typeof node.pipeline === 'object') {
      // A child run runs on the node's task queue, else its parent's.
      uses.push(...activityUses(node.pipeline, node.taskQueue ?? runQueue, `${path}.pipeline.nodes`));
    }
  });
  return uses;
}
