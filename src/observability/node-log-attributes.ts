/**
 * An activity interceptor that adds the node to the log attributes of every line an activity
 * attempt writes (the activity's own `Context.current().log` lines and the SDK's, such as
 * "Activity failed"): `nodeId`, and `mapIndex` for a map item. The SDK already adds
 * `workflowId` (the run), `activityType` and `attempt`.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** The node a call names: a node call's `node`, or a map batch's `nodeId`. */
function nodeOf(arg: unknown): { nodeId: string; mapIndex?: number } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const call = arg as { node?: { nodeId?: unknown }; index?: unknown; nodeId?: unknown };
  const nodeId = call.node?.nodeId ?? call.nodeId;
  if (typeof nodeId !== 'string') return undefined;
  return typeof call.index === 'number' ? { nodeId, mapIndex: call.index } : { nodeId };
}

/** Builds the worker's `interceptors.activity` entry; see the module comment. */
export function nodeLogAttributes(): ActivityInterceptorsFactory {
  return () => {
    let node: { nodeId: string; mapIndex?: number } | undefined;
    return {
      inbound: {
        execute(input, next) {
          node = nodeOf(input.args[0]);
          return next(input);
        },
      },
      outbound: {
        getLogAttributes(attributes, next) {
          return next(node ? { ...attributes, ...node } : attributes);
        },
      },
    };
  };
}
