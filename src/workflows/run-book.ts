/**
 * The run book: what the pipeline workflow knows about every node of a run (state, attempts,
 * times, errors, outputs) and which nodes are ready to start. No Temporal calls, so the
 * scheduling rules are unit-tested without a server; the workflow drives it.
 */
import { buildGraph, MinIndexQueue, type PipelineGraph } from '../pipeline/graph';
import type { NodeSpec, PipelineSpec } from '../pipeline/types';
import type { NodeState, NodeStatus, Progress } from '../pipeline/states';

/** What the run book remembers of one node. */
export interface NodeRecord {
  state: NodeState;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  errorType?: string;
}

/** The run book in a form that survives continue-as-new. */
export interface RunBookSnapshot {
  nodes: Record<string, NodeRecord>;
  /** Outputs still needed: of completed nodes with a dependent not yet completed, and of leaves. */
  outputs: Record<string, unknown>;
}

/** Tracks a run's nodes; see the module comment. */
export class RunBook {
  readonly graph: PipelineGraph;
  private readonly specs: Map<string, NodeSpec>;
  private readonly records = new Map<string, NodeRecord>();
  private readonly outputs = new Map<string, unknown>();
  private readonly waitingOn = new Map<string, number>();
  private readonly ready: MinIndexQueue;
  private readonly running = new Set<string>();
  // Counts kept as nodes change state rather than counted from the records: progress is read on
  // every workflow task, and counting would make a long chain quadratic. `finish` and
  // `endPending` are the only places that move them.
  private finishedCount = 0;
  private completedCount = 0;
  private failedCount = 0;

  constructor(spec: PipelineSpec, snapshot?: RunBookSnapshot) {
    this.graph = buildGraph(spec.nodes);
    this.specs = new Map(spec.nodes.map((n) => [n.id, n]));
    this.ready = new MinIndexQueue(this.graph.index);
    for (const id of this.graph.ids) {
      const carried = snapshot?.nodes[id];
      // A node that was running when the run continued-as-new was drained first, so none is;
      // treat any such record as pending to be safe.
      const record: NodeRecord = carried ? { ...carried } : { state: 'pending', attempts: 0 };
      if (record.state === 'running') record.state = 'pending';
      this.records.set(id, record);
      if (record.state !== 'pending') this.finishedCount++;
      if (record.state === 'completed') this.completedCount++;
      if (record.state === 'failed') this.failedCount++;
    }
    for (const [id, output] of Object.entries(snapshot?.outputs ?? {})) this.outputs.set(id, output);
    for (const id of this.graph.ids) {
      const waiting = (this.graph.needs.get(id) ?? []).filter((n) => !this.isDone(n)).length;
      this.waitingOn.set(id, waiting);
      if (waiting === 0 && this.records.get(id)?.state === 'pending') this.ready.push(id);
    }
  }

  /** The spec of a node. */
  spec(id: string): NodeSpec {
    const spec = this.specs.get(id);
    if (!spec) throw new Error(`unknown node ${id}`);
    return spec;
  }

  /** How many nodes are in flight. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Ids of the nodes in flight. */
  runningIds(): string[] {
    return [...this.running];
  }

  /** Whether some node is ready to start. */
  hasReady(): boolean {
    return this.ready.size > 0;
  }

  /** Takes the earliest-declared ready node and marks it running. */
  startNext(now: string): string | undefined {
    if (this.ready.size === 0) return undefined;
    const id = this.ready.pop();
    const record = this.record(id);
    record.state = 'running';
    record.startedAt ??= now;
    this.running.add(id);
    return id;
  }

  /** The `upstream` argument of a node: the outputs of what it needs. */
  upstreamOf(id: string): Record<string, unknown> {
    const upstream: Record<string, unknown> = {};
    for (const need of this.graph.needs.get(id) ?? []) upstream[need] = this.outputs.get(need);
    return upstream;
  }

  /** Records a node's success and makes the dependents whose needs are now met ready. */
  complete(id: string, output: unknown, attempts: number, now: string): void {
    const record = this.finish(id, 'completed', now);
    record.attempts = Math.max(record.attempts, attempts);
    delete record.error;
    delete record.errorType;
    this.outputs.set(id, output);
    this.completedCount++;
    for (const dep of this.graph.dependents.get(id) ?? []) {
      const left = (this.waitingOn.get(dep) ?? 1) - 1;
      this.waitingOn.set(dep, left);
      if (left === 0 && this.record(dep).state === 'pending') this.ready.push(dep);
    }
  }

  /** Records a node's final failure. */
  fail(id: string, error: string, errorType: string | undefined, attempts: number, now: string): void {
    const record = this.finish(id, 'failed', now);
    record.attempts = Math.max(record.attempts, attempts);
    record.error = error;
    if (errorType) record.errorType = errorType;
    this.failedCount++;
  }

  /** Records that a node in flight was cancelled. */
  cancelled(id: string, attempts: number, now: string): void {
    const record = this.finish(id, 'cancelled', now);
    record.attempts = Math.max(record.attempts, attempts);
  }

  /** Ends every pending node with `state` (`skipped` after a failure, `cancelled` on cancel). */
  endPending(state: 'skipped' | 'cancelled', now: string): void {
    for (const id of this.graph.ids) {
      const record = this.record(id);
      if (record.state !== 'pending') continue;
      record.state = state;
      record.finishedAt = now;
      this.finishedCount++;
    }
    while (this.ready.size > 0) this.ready.pop();
  }

  /** Whether every node has reached a final state. */
  allFinished(): boolean {
    return this.finishedCount === this.graph.ids.length;
  }

  /** Node counts for status and search attributes. */
  progress(): Progress {
    const total = this.graph.ids.length;
    return {
      completed: this.completedCount,
      total,
      running: this.running.size,
      failed: this.failedCount,
      percent: total === 0 ? 100 : Math.floor((this.completedCount * 100) / total),
    };
  }

  /** Every node's status, in spec order. */
  nodeStatuses(): NodeStatus[] {
    return this.graph.ids.map((id) => {
      const r = this.record(id);
      const status: NodeStatus = {
        id,
        activity: this.spec(id).activity,
        needs: [...(this.graph.needs.get(id) ?? [])],
        state: r.state,
        attempts: r.attempts,
      };
      if (r.startedAt) status.startedAt = r.startedAt;
      if (r.finishedAt) status.finishedAt = r.finishedAt;
      if (r.error !== undefined) status.error = r.error;
      if (r.errorType !== undefined) status.errorType = r.errorType;
      return status;
    });
  }

  /** The run's result: each leaf's output. */
  result(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const leaf of this.graph.leaves) result[leaf] = this.outputs.get(leaf);
    return result;
  }

  /** State to carry across continue-as-new; outputs nobody will read again are dropped. */
  snapshot(): RunBookSnapshot {
    const nodes: Record<string, NodeRecord> = {};
    for (const id of this.graph.ids) nodes[id] = { ...this.record(id) };
    const outputs: Record<string, unknown> = {};
    for (const [id, output] of this.outputs) {
      const stillNeeded =
        this.graph.leaves.includes(id) ||
        (this.graph.dependents.get(id) ?? []).some((d) => this.record(d).state !== 'completed');
      if (stillNeeded) outputs[id] = output;
    }
    return { nodes, outputs };
  }

  private finish(id: string, state: NodeState, now: string): NodeRecord {
    const record = this.record(id);
    if (this.running.delete(id) || record.state === 'pending') this.finishedCount++;
    record.state = state;
    record.finishedAt = now;
    return record;
  }

  private record(id: string): NodeRecord {
    const record = this.records.get(id);
    if (!record) throw new Error(`unknown node ${id}`);
    return record;
  }

  private isDone(id: string): boolean {
    return this.records.get(id)?.state === 'completed';
  }
}
