/** `tapflow children ID`: the child runs of a run's `pipeline` nodes. */
import { print, printJson, withClient, type GlobalOptions } from './io';
import { table } from './render';

/**
 * Lists a run's child runs with their states.
 *
 * @throws {RunNotFoundError} for an unknown id (exit 2).
 */
export function childrenCommand(id: string, options: GlobalOptions): Promise<number> {
  return withClient(options, async (client) => {
    const children = await client.children(id);
    if (options.json) {
      printJson({ workflowId: id, children });
      return 0;
    }
    if (children.length === 0) {
      print(`${id} has no child runs`);
      return 0;
    }
    print(
      ...table(
        ['NODE', 'CHILD RUN', 'PIPELINE', 'STATE', 'PROGRESS'],
        children.map((c) => [c.node, c.workflowId, c.pipeline ?? '', c.state ?? '', c.progressPercent === undefined ? '' : `${c.progressPercent}%`]),
      ),
    );
    return 0;
  });
}
