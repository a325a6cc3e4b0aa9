/**
 * The worker's side of a run's live writes of its nodes. A run sends every node's status with
 * its first live write on a worker (and every so often after), and then only the statuses that
 * changed (see `LiveRunWrite`): building and handing over a thousand statuses for each node that
 * ends would make a long chain quadratic. This keeps each run's last whole list and lays the
 * changes over it, so every write the store gets still carries every node.
 *
 * The lists are kept for a bounded number of nodes in all, the least recently written run's
 * dropped first. A run whose list was dropped writes its other fields and leaves the stored nodes
 * as they were until its next whole list (at most a few dozen writes later); the final record
 * always carries every node.
 */
import type { NodeStatus } from '../core/states';
import type { LiveRunWrite, RunWrite } from '../core/record-writes';

/** Most node statuses kept over all runs. */
export const DEFAULT_MAX_KEPT_NODES = 500_000;

interface KeptList {
  nodes: NodeStatus[];
  /** Index of each node id in `nodes`. */
  at: Map<string, number>;
}

/** See the module comment. One per worker. */
export class LiveNodeStatuses {
  /** By workflow id, least recently written first. */
  private readonly runs = new Map<string, KeptList>();
  private kept = 0;

  constructor(private readonly maxNodes = DEFAULT_MAX_KEPT_NODES) {}

  /** Runs whose lists are kept. */
  get size(): number {
    return this.runs.size;
  }

  /**
   * The store write for a live write: a whole list is kept and passed on; changes are laid over
   * the kept list, which the write then carries whole. Changes for a run whose list is not kept
   * are left out (the rest of the write is passed on).
   */
  resolve(write: LiveRunWrite): RunWrite {
    const { nodeChanges, ...rest } = write;
    if (rest.nodes) {
      this.keep(rest.workflowId, { nodes: [...rest.nodes], at: new Map(rest.nodes.map((n, i) => [n.id, i])) });
      return rest;
    }
    if (!nodeChanges || nodeChanges.length === 0) return rest;
    const list = this.runs.get(rest.workflowId);
    if (!list) return rest;
    // A new array: a write still waiting in the queue may hold the old one.
    const nodes = list.nodes.slice();
    for (const change of nodeChanges) {
      const i = list.at.get(change.id);
      if (i === undefined) {
        list.at.set(change.id, nodes.length);
        nodes.push(change);
      } else {
        nodes[i] = change;
      }
    }
    this.keep(rest.workflowId, { nodes, at: list.at });
    return { ...rest, nodes };
  }

  /** Forgets a run's list (its final record has been written). */
  forget(workflowId: string): void {
    const list = this.runs.get(workflowId);
    if (!list) return;
    this.kept -= list.nodes.length;
    this.runs.delete(workflowId);
  }

  private keep(workflowId: string, list: KeptList): void {
    this.forget(workflowId);
    this.runs.set(workflowId, list);
    this.kept += list.nodes.length;
    for (const [id, oldest] of this.runs) {
      if (this.kept <= this.maxNodes || id === workflowId) break;
      this.kept -= oldest.nodes.length;
      this.runs.delete(id);
    }
  }
}
