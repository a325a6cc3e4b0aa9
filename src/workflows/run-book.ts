/**
 * The run book: what the pipeline workflow knows about every node of a run (state, attempts,
 * times, errors, outputs, operator changes) and which nodes are ready to start. No Temporal
 * calls, so the scheduling rules and the operator's changes (hold, retry, skip, edit, rerun) are
 * unit-tested without a server; the workflow drives it.
 *
 * Once a node has ended, it counts for the nodes that need it as a success (`completed`, or
 * skipped by an operator or an event's timeout: their output stands in), a skip (by its
 * condition, or passed on by the trigger rules) or a failure. Each node's trigger rule turns
 * its needs' counts into run, skip (cause `upstream`) or wait; a skip passes on the same way.
 * A held node is `failed` with `held` set and is not finished: the run cannot end while it
 * waits for an operator, and what needs it waits too.
 */
import { buildGraph, downstreamOf, MinIndexQueue, type PipelineGraph } from '../core/graph';
import type { NodeSpec, PipelineSpec, TriggerRule } from '../core/types';
import type { NodeState, NodeStatus, Progress, SkipCause } from '../core/states';

/** What the run book remembers of one node. */
export interface NodeRecord {
  state: NodeState;
  /** Attempts in all, over every round. */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  errorType?: string;
  /** Failed and waiting for an operator. */
  held?: boolean;
  /** Attempts made before the current round (an operator's retry or rerun starts a round). */
  earlierAttempts?: number;
  /** An operator's input, used instead of the spec's `input`. */
  input?: unknown;
  inputEdited?: boolean;
  /** The output came from the run this one reruns. */
  reused?: boolean;
  /** Active-clock time (ms) the current round started at: sleeps and deadlines count from it. */
  activeStart?: number;
  /** A pipeline node's latest child run id. */
  childRunId?: string;
  /** A map node's item counts. */
  items?: { total: number; done: number };
  /** An event that arrived for this event node before it started. */
  inbox?: { data: unknown };
  /** A skipped node: why, and in words. */
  skipCause?: SkipCause;
  skipReason?: string;
  /**
   * Skipped because a need failed (or was skipped for that): it counts as failed for the nodes
   * that need it, as Airflow's `upstream_failed` does, so a failure reaches every join below it.
   */
  afterFailure?: boolean;
  /** The input the node's templates resolved to when it started (kept until its next round). */
  resolved?: { input: unknown };
  /** A repeated pipeline node's round, from 1. */
  round?: number;
}

/** How an ended node counts for the nodes that need it. */
type NeedOutcome = 'success' | 'skipped' | 'failed';

/** A node's needs that have ended, by how. */
interface NeedTally {
  success: number;
  skipped: number;
  failed: number;
}

/** The run book in a form that survives continue-as-new. */
export interface RunBookSnapshot {
  nodes: Record<string, NodeRecord>;
  /** Outputs still needed: of satisfied nodes with a dependent not yet satisfied, and of leaves. */
  outputs: Record<string, unknown>;
  /** Nodes whose output was dropped at an earlier continue-as-new. */
  dropped?: string[];
}

/** Outputs an operator or an earlier run gives a new run (see `rerun` of an ended run). */
export interface ReusedOutputs {
  /** Node id to output; these nodes start `completed` (or `skipped`) and never run. */
  outputs: Record<string, unknown>;
  /** Nodes the earlier run skipped. */
  skipped?: string[];
  /** Why the earlier run skipped them, by node (absent: an operator's skip, whose output stands in). */
  skipCauses?: Record<string, SkipCause>;
}

/** Tracks a run's nodes; see the module comment. */
export class RunBook {
  readonly graph: PipelineGraph;
  private readonly specs: Map<string, NodeSpec>;
  private readonly records = new Map<string, NodeRecord>();
  private readonly outputs = new Map<string, unknown>();
  private readonly dropped = new Set<string>();
  /** What running nodes wait for before their work starts (a concurrency slot), by node id. */
  private readonly waits = new Map<string, string>();
  /**
   * Nodes whose status may have changed since {@link takeChanged} was last called: every change
   * goes through `record(id)`, which marks the node (a read there marks it too, which only
   * sends an unchanged status again).
   */
  private readonly changed = new Set<string>();
  private readonly tallies = new Map<string, NeedTally>();
  private readonly triggers = new Map<string, TriggerRule>();
  private readonly ready: MinIndexQueue;
  /** Ids in `ready`; an id leaves the queue lazily when it is no longer startable. */
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /**
   * Outputs of the shards a failed map round finished, by node and shard index, for the node's
   * retry to reuse. Kept in memory only: after a continue-as-new a retry runs every shard.
   */
  private readonly finishedShards = new Map<string, ReadonlyMap<number, unknown[]>>();
  // Counts kept as nodes change state rather than counted from the records: progress is read on
  // every workflow task, and counting would make a long chain quadratic.
  private finishedCount = 0;
  private completedCount = 0;
  private skippedCount = 0;
  private failedCount = 0;
  private heldCount = 0;

  /**
   * @param now the time a node skipped by the trigger rules at once (a rerun's reused skips) is
   *   recorded with.
   */
  constructor(spec: PipelineSpec, snapshot?: RunBookSnapshot, reused?: ReusedOutputs, now = new Date(0).toISOString()) {
    this.graph = buildGraph(spec.nodes);
    this.specs = new Map(spec.nodes.map((n) => [n.id, n]));
    for (const node of spec.nodes) if (node.trigger) this.triggers.set(node.id, node.trigger);
    this.ready = new MinIndexQueue(this.graph.index);
    const reusedSkips = new Set(reused?.skipped ?? []);
    for (const id of this.graph.ids) {
      const carried = snapshot?.nodes[id];
      let record: NodeRecord = carried ? { ...carried } : { state: 'pending', attempts: 0 };
      if (!carried && reused && id in reused.outputs) {
        record = { state: reusedSkips.has(id) ? 'skipped' : 'completed', attempts: 0, reused: true };
        if (reusedSkips.has(id)) record.skipCause = reused.skipCauses?.[id] ?? 'operator';
        this.outputs.set(id, reused.outputs[id]);
      }
      // Nodes in flight when the run continued as new start again in the next execution: waiting
      // nodes (sleep, event) pick up where they were; activities and children are drained first.
      if (record.state === 'running') record.state = 'pending';
      this.records.set(id, record);
      this.changed.add(id);
      this.count(record, +1);
    }
    for (const [id, output] of Object.entries(snapshot?.outputs ?? {})) this.outputs.set(id, output);
    for (const id of snapshot?.dropped ?? []) this.dropped.add(id);
    for (const id of this.graph.ids) this.refreshWaiting(id, now);
  }

  /** The spec of a node. */
  spec(id: string): NodeSpec {
    const spec = this.specs.get(id);
    if (!spec) throw new Error(`unknown node ${id}`);
    return spec;
  }

  /** Whether the run has a node with this id. */
  has(id: string): boolean {
    return this.records.has(id);
  }

  /** What the book remembers of a node (read-only use). */
  recordOf(id: string): Readonly<NodeRecord> {
    return this.peek(id);
  }

  /** The input a node is called with: what its templates resolved to, else {@link writtenInputOf}. */
  inputOf(id: string): unknown {
    const record = this.peek(id);
    return record.resolved ? record.resolved.input : this.writtenInputOf(id);
  }

  /** A node's input as written: an operator's edit, else the spec's (templates unresolved). */
  writtenInputOf(id: string): unknown {
    const record = this.peek(id);
    return record.inputEdited ? record.input : this.spec(id).input;
  }

  /** Keeps what a node's input templates resolved to, for its call and its status. */
  setResolvedInput(id: string, input: unknown): void {
    this.record(id).resolved = { input };
  }

  /** Records a repeated node's round. */
  setRound(id: string, round: number): void {
    this.record(id).round = round;
  }

  /** How many nodes are in flight. */
  get inFlight(): number {
    return this.running.size;
  }

  /** How many nodes are held. */
  get held(): number {
    return this.heldCount;
  }

  /** Ids of the nodes in flight. */
  runningIds(): string[] {
    return [...this.running];
  }

  /** Ids of the held nodes, in spec order. */
  heldIds(): string[] {
    return this.graph.ids.filter((id) => this.peek(id).held);
  }

  /** Whether some node is ready to start. */
  hasReady(): boolean {
    this.dropStale();
    return this.ready.size > 0;
  }

  /** Takes the earliest-declared ready node and marks it running. */
  startNext(now: string, activeNow = 0): string | undefined {
    this.dropStale();
    if (this.ready.size === 0) return undefined;
    const id = this.ready.pop();
    this.queued.delete(id);
    const record = this.record(id);
    record.state = 'running';
    record.startedAt ??= now;
    record.activeStart ??= activeNow;
    this.running.add(id);
    return id;
  }

  /** The `upstream` argument of a node: the outputs of what it needs. */
  upstreamOf(id: string): Record<string, unknown> {
    const upstream: Record<string, unknown> = {};
    for (const need of this.graph.needs.get(id) ?? []) upstream[need] = this.outputs.get(need);
    return upstream;
  }

  /** The output of a node, when the run holds it. */
  outputOf(id: string): unknown {
    return this.outputs.get(id);
  }

  /** Records a node's success and passes it on to the nodes that need it. */
  complete(id: string, output: unknown, attempts: number, now: string): void {
    const record = this.finish(id, 'completed', now);
    record.attempts = Math.max(record.attempts, attempts);
    delete record.error;
    delete record.errorType;
    this.outputs.set(id, output);
    this.passOn(id, now);
  }

  /**
   * Records a node's final failure and passes it on: the nodes whose trigger rule it rules out
   * are skipped (cause `upstream`), and so on down the graph. Without `passOn` (runs recorded
   * before failures passed on) they stay pending until the run ends.
   */
  fail(id: string, error: string, errorType: string | undefined, attempts: number, now: string, passOn = true): void {
    const record = this.finish(id, 'failed', now);
    record.attempts = Math.max(record.attempts, attempts);
    record.error = error;
    if (errorType) record.errorType = errorType;
    if (passOn) this.passOn(id, now);
  }

  /**
   * Skips a node whose `when` was false (taken by {@link startNext}, or pending): its output is
   * `null`, and the nodes that need it follow their trigger rules.
   */
  skipForCondition(id: string, now: string): void {
    const record = this.record(id);
    if (record.state !== 'pending' && record.state !== 'running') throw new Error(`node ${id} is ${record.state}`);
    this.running.delete(id);
    this.count(record, -1);
    record.state = 'skipped';
    record.skipCause = 'condition';
    record.skipReason = 'condition false';
    record.finishedAt = now;
    delete record.startedAt;
    delete record.activeStart;
    this.count(record, +1);
    this.outputs.set(id, null);
    this.passOn(id, now);
  }

  /**
   * Whether a node downstream of `id` is still pending: one its trigger rule may yet run. A
   * failure ends the run at once only when none is.
   */
  pendingDownstream(id: string): boolean {
    return downstreamOf(this.graph, id).some((d) => this.peek(d).state === 'pending');
  }

  /** The nodes that failed for good (not held), earliest first. */
  failedIds(): string[] {
    const failed = this.graph.ids.filter((id) => {
      const r = this.peek(id);
      return r.state === 'failed' && !r.held;
    });
    return failed.sort((a, b) => (this.peek(a).finishedAt ?? '').localeCompare(this.peek(b).finishedAt ?? ''));
  }

  /**
   * Records a node's failure and holds it for an operator: the node is `failed` and `held`,
   * not finished, and what depends on it waits.
   */
  hold(id: string, error: string, errorType: string | undefined, attempts: number, now: string): void {
    this.running.delete(id);
    const record = this.record(id);
    this.count(record, -1);
    record.state = 'failed';
    record.held = true;
    record.finishedAt = now;
    record.attempts = Math.max(record.attempts, attempts);
    record.error = error;
    if (errorType) record.errorType = errorType;
    else delete record.errorType;
    this.count(record, +1);
  }

  /** Records that a node in flight was cancelled. */
  cancelled(id: string, attempts: number, now: string): void {
    const record = this.finish(id, 'cancelled', now);
    record.attempts = Math.max(record.attempts, attempts);
  }

  /**
   * Sends a held node round again: it is pending, with a fresh retry budget, and starts as soon
   * as the run is running. `input`, when given, replaces the node's input.
   */
  retry(id: string, input?: { value: unknown }): void {
    const record = this.record(id);
    if (!record.held) throw new Error(`node ${id} is not held`);
    this.count(record, -1);
    this.newRound(record);
    if (input) this.editInput(id, input.value);
    this.count(record, +1);
    // Its needs had all let it run before it failed, so it is queued rather than skipped.
    this.refreshWaiting(id, record.finishedAt ?? '');
  }

  /**
   * Marks a node `skipped` with `output`: its dependents take the output and go on. An operator
   * skips a held or pending node; an event node that times out with `onTimeout: "skip"` skips
   * itself while running.
   */
  skip(id: string, output: unknown, now: string, cause: 'operator' | 'timeout' = 'operator', reason?: string): void {
    const record = this.record(id);
    if (!record.held && record.state !== 'pending' && record.state !== 'running') {
      throw new Error(`node ${id} is ${record.state}`);
    }
    this.running.delete(id);
    this.finishedShards.delete(id);
    this.count(record, -1);
    delete record.held;
    record.state = 'skipped';
    record.skipCause = cause;
    if (reason !== undefined) record.skipReason = reason;
    else delete record.skipReason;
    record.finishedAt = now;
    this.count(record, +1);
    this.outputs.set(id, output);
    this.passOn(id, now);
  }

  /** Replaces a pending or held node's input. */
  editInput(id: string, input: unknown): void {
    const record = this.record(id);
    record.input = input;
    record.inputEdited = true;
    delete record.resolved;
    this.finishedShards.delete(id);
  }

  /**
   * Sends `from` and everything downstream of it round again; every other node keeps its state
   * and output. Call only when none of them is in flight.
   *
   * @returns the ids sent round again, in spec order.
   */
  rerun(from: string, now = new Date(0).toISOString()): string[] {
    const ids = [from, ...downstreamOf(this.graph, from)].sort(
      (a, b) => (this.graph.index.get(a) ?? 0) - (this.graph.index.get(b) ?? 0),
    );
    for (const id of ids) {
      if (this.running.has(id)) throw new Error(`node ${id} is in flight`);
    }
    for (const id of ids) {
      const record = this.record(id);
      this.count(record, -1);
      this.outputs.delete(id);
      this.dropped.delete(id);
      this.newRound(record);
      this.finishedShards.delete(id);
      delete record.startedAt;
      delete record.finishedAt;
      delete record.reused;
      delete record.items;
      this.count(record, +1);
    }
    for (const id of ids) this.refreshWaiting(id, now);
    return ids;
  }

  /**
   * Ends every pending (and held) node: `skipped` (cause `upstream`, with `reason`) after a
   * failure or the run's own limit, `cancelled` on cancel.
   */
  endPending(state: 'skipped' | 'cancelled', now: string, reason = 'the run ended before it started'): void {
    for (const id of this.graph.ids) {
      const record = this.record(id);
      if (record.held) {
        // It failed; it stays failed, no longer waiting for anyone.
        this.count(record, -1);
        delete record.held;
        this.count(record, +1);
        continue;
      }
      if (record.state !== 'pending') continue;
      this.count(record, -1);
      record.state = state;
      record.finishedAt = now;
      if (state === 'skipped') {
        record.skipCause = 'upstream';
        record.skipReason = reason;
      }
      this.count(record, +1);
    }
    while (this.ready.size > 0) this.ready.pop();
    this.queued.clear();
  }

  /** Keeps an event for a pending event node, which takes it when it starts. */
  deliver(id: string, data: unknown): void {
    this.record(id).inbox = { data };
  }

  /** Node `id` waits for `what` before its work starts (`waitingFor` in its status); `undefined`: no more. */
  waitFor(id: string, what: string | undefined): void {
    this.changed.add(id);
    if (what === undefined) this.waits.delete(id);
    else this.waits.set(id, what);
  }

  /** The event kept for a node, removed from the book. */
  takeDelivered(id: string): { data: unknown } | undefined {
    const record = this.record(id);
    const inbox = record.inbox;
    delete record.inbox;
    return inbox;
  }

  /** Sets a map node's item counts (shown in status). */
  setItems(id: string, items: { total: number; done: number }): void {
    this.record(id).items = items;
  }

  /**
   * Keeps the shards a map node's failed round finished (shard index to outputs), so a retry
   * with the same input runs only the others. An edit of the node's input, or a rerun through
   * it, drops them.
   */
  keepFinishedShards(id: string, shards: ReadonlyMap<number, unknown[]>): void {
    if (shards.size > 0) this.finishedShards.set(id, shards);
  }

  /** The finished shards kept for a map node, removed from the book. */
  takeFinishedShards(id: string): ReadonlyMap<number, unknown[]> | undefined {
    const shards = this.finishedShards.get(id);
    this.finishedShards.delete(id);
    return shards;
  }

  /** Records a pipeline node's child run id. */
  setChildRunId(id: string, childRunId: string): void {
    this.record(id).childRunId = childRunId;
  }

  /** Whether every node has reached a final state (a held node has not). */
  allFinished(): boolean {
    return this.finishedCount === this.graph.ids.length;
  }

  /**
   * Node counts for status and search attributes. Skipped nodes count as done in the percentage
   * (the run is past them), apart in `skipped`.
   */
  progress(): Progress {
    const total = this.graph.ids.length;
    const done = this.completedCount + this.skippedCount;
    return {
      completed: this.completedCount,
      skipped: this.skippedCount,
      total,
      running: this.running.size,
      failed: this.failedCount,
      percent: total === 0 ? 100 : Math.floor((done * 100) / total),
    };
  }

  /**
   * The ids of the nodes whose status may have changed since the last call (all of them on the
   * first), in no particular order; the next call starts afresh.
   */
  takeChanged(): string[] {
    const ids = [...this.changed];
    this.changed.clear();
    return ids;
  }

  /** Every node's status, in spec order. */
  nodeStatuses(): NodeStatus[] {
    return this.graph.ids.map((id) => this.nodeStatus(id));
  }

  /** One node's status. */
  nodeStatus(id: string): NodeStatus {
    const r = this.peek(id);
    const spec = this.spec(id);
    const status: NodeStatus = {
      id,
      activity: nodeLabel(spec),
      needs: [...(this.graph.needs.get(id) ?? [])],
      state: r.state,
      attempts: r.attempts,
    };
    if (spec.kind && spec.kind !== 'activity') status.kind = spec.kind;
    if (r.startedAt) status.startedAt = r.startedAt;
    if (r.finishedAt) status.finishedAt = r.finishedAt;
    if (r.error !== undefined) status.error = r.error;
    if (r.errorType !== undefined) status.errorType = r.errorType;
    if (spec.when !== undefined) status.when = spec.when;
    if (spec.trigger !== undefined && spec.trigger !== 'all_success') status.trigger = spec.trigger;
    if (r.skipCause && r.state === 'skipped') status.skipCause = r.skipCause;
    if (r.skipReason && r.state === 'skipped') status.skipReason = r.skipReason;
    if (r.resolved) status.input = r.resolved.input;
    if (r.round) status.round = r.round;
    if (r.held) status.held = true;
    if (r.earlierAttempts) status.earlierAttempts = r.earlierAttempts;
    if (r.inputEdited) status.inputEdited = true;
    if (r.reused) status.reused = true;
    if (r.childRunId) status.childRunId = r.childRunId;
    if (r.items) status.items = { ...r.items };
    if (spec.kind === 'event' && r.state === 'running' && spec.event) status.waitingFor = spec.event;
    const wait = this.waits.get(id);
    if (wait !== undefined && r.state === 'running') status.waitingFor = wait;
    if (this.dropped.has(id)) status.outputDropped = true;
    return status;
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
    for (const id of this.graph.ids) nodes[id] = { ...this.peek(id) };
    const outputs: Record<string, unknown> = {};
    const dropped = new Set(this.dropped);
    for (const [id, output] of this.outputs) {
      const stillNeeded =
        this.graph.leaves.includes(id) || (this.graph.dependents.get(id) ?? []).some((d) => !this.isPast(d));
      if (stillNeeded) outputs[id] = output;
      else dropped.add(id);
    }
    const snapshot: RunBookSnapshot = { nodes, outputs };
    if (dropped.size > 0) snapshot.dropped = [...dropped];
    return snapshot;
  }

  private newRound(record: NodeRecord): void {
    record.state = 'pending';
    if (record.attempts > 0) record.earlierAttempts = record.attempts;
    delete record.held;
    delete record.error;
    delete record.errorType;
    delete record.activeStart;
    delete record.skipCause;
    delete record.skipReason;
    delete record.afterFailure;
    delete record.resolved;
    delete record.round;
  }

  /** Adds (+1) or removes (-1) a record's share of the counts. */
  private count(record: NodeRecord, sign: 1 | -1): void {
    if (record.held) this.heldCount += sign;
    else if (record.state !== 'pending' && record.state !== 'running') this.finishedCount += sign;
    if (record.state === 'completed') this.completedCount += sign;
    if (record.state === 'skipped') this.skippedCount += sign;
    if (record.state === 'failed') this.failedCount += sign;
  }

  /**
   * Passes an ended node on to the nodes that need it: each counts it and decides by its trigger
   * rule, and a node skipped that way passes on in turn (a worklist, so a long chain does not
   * deepen the stack).
   */
  private passOn(id: string, now: string): void {
    const ended = [id];
    while (ended.length > 0) {
      const from = ended.pop() as string;
      const outcome = this.outcomeOf(from);
      if (outcome === undefined) continue;
      for (const dep of this.graph.dependents.get(from) ?? []) {
        const tally = this.tallyOf(dep);
        tally[outcome] += 1;
        if (this.decideAndQueue(dep, now)) ended.push(dep);
      }
    }
  }

  /** Counts a node's ended needs again and decides it (after a rerun, and when the book is built). */
  private refreshWaiting(id: string, now: string): void {
    const tally: NeedTally = { success: 0, skipped: 0, failed: 0 };
    for (const need of this.graph.needs.get(id) ?? []) {
      const outcome = this.outcomeOf(need);
      if (outcome !== undefined) tally[outcome] += 1;
    }
    this.tallies.set(id, tally);
    if (this.decideAndQueue(id, now)) this.passOn(id, now);
  }

  /**
   * Decides a pending node by its trigger rule: queues it when it may run, skips it (cause
   * `upstream`) when it never can.
   *
   * @returns whether it was skipped (the caller passes that on).
   */
  private decideAndQueue(id: string, now: string): boolean {
    const record = this.record(id);
    if (record.state !== 'pending' || record.held) return false;
    const decision = this.decide(id);
    if (decision === 'run') {
      this.enqueue(id);
      return false;
    }
    if (decision === 'wait') return false;
    this.count(record, -1);
    record.state = 'skipped';
    record.skipCause = 'upstream';
    record.skipReason = decision.skip;
    if (decision.afterFailure) record.afterFailure = true;
    record.finishedAt = now;
    this.count(record, +1);
    this.outputs.set(id, null);
    return true;
  }

  /** What a node's trigger rule says of its needs so far. */
  private decide(id: string): 'run' | 'wait' | { skip: string; afterFailure?: boolean } {
    const needs = this.graph.needs.get(id) ?? [];
    const t = this.tallyOf(id);
    const allEnded = t.success + t.skipped + t.failed === needs.length;
    const failed = (): { skip: string; afterFailure: boolean } => {
      const need = this.firstNeed(id, 'failed');
      const how = this.records.get(need)?.state === 'skipped' ? 'was skipped after a failure' : 'failed';
      return { skip: `need "${need}" ${how}`, afterFailure: true };
    };
    switch (this.triggers.get(id) ?? 'all_success') {
      case 'all_success':
        if (t.failed > 0) return failed();
        if (t.skipped > 0) return { skip: `need "${this.firstNeed(id, 'skipped')}" was skipped` };
        return allEnded ? 'run' : 'wait';
      case 'none_failed':
        if (t.failed > 0) return failed();
        if (!allEnded) return 'wait';
        return t.success > 0 ? 'run' : { skip: 'no need completed' };
      case 'one_success':
        if (t.success > 0) return 'run';
        return allEnded ? { skip: 'no need completed' } : 'wait';
      case 'all_done':
        return allEnded ? 'run' : 'wait';
    }
  }

  /** The first need (in `needs` order) that ended as `outcome`. */
  private firstNeed(id: string, outcome: NeedOutcome): string {
    return (this.graph.needs.get(id) ?? []).find((n) => this.outcomeOf(n) === outcome) ?? '';
  }

  private tallyOf(id: string): NeedTally {
    let tally = this.tallies.get(id);
    if (!tally) {
      tally = { success: 0, skipped: 0, failed: 0 };
      this.tallies.set(id, tally);
    }
    return tally;
  }

  /**
   * How an ended node counts for the nodes that need it; `undefined` while it has not ended
   * (pending, running, held). A node cancelled as the run stops counts as a failure.
   */
  private outcomeOf(id: string): NeedOutcome | undefined {
    const record = this.records.get(id);
    if (!record || record.held) return undefined;
    switch (record.state) {
      case 'completed':
        return 'success';
      case 'skipped':
        if (record.afterFailure) return 'failed';
        return record.skipCause === 'condition' || record.skipCause === 'upstream' ? 'skipped' : 'success';
      case 'failed':
      case 'cancelled':
        return 'failed';
      default:
        return undefined;
    }
  }

  private enqueue(id: string): void {
    if (this.peek(id).state !== 'pending' || this.queued.has(id)) return;
    this.queued.add(id);
    this.ready.push(id);
  }

  /** Pops queued ids that can no longer start (skipped, or waiting again after a rerun). */
  private dropStale(): void {
    while (this.ready.size > 0) {
      const top = this.ready.peek();
      if (this.peek(top).state === 'pending' && this.decide(top) === 'run') return;
      this.ready.pop();
      this.queued.delete(top);
    }
  }

  private finish(id: string, state: NodeState, now: string): NodeRecord {
    const record = this.record(id);
    this.running.delete(id);
    this.count(record, -1);
    record.state = state;
    record.finishedAt = now;
    this.count(record, +1);
    return record;
  }

  /** A node's record, to change: the node is marked changed for {@link takeChanged}. */
  private record(id: string): NodeRecord {
    const record = this.peek(id);
    this.changed.add(id);
    return record;
  }

  /** A node's record, to read. */
  private peek(id: string): NodeRecord {
    const record = this.records.get(id);
    if (!record) throw new Error(`unknown node ${id}`);
    return record;
  }

  /** Whether a node is past needing its needs' outputs: it completed or was skipped. */
  private isPast(id: string): boolean {
    const state = this.records.get(id)?.state;
    return state === 'completed' || state === 'skipped';
  }
}

/** What status shows as a node's "activity": the activity, or a label of what the node does. */
export function nodeLabel(spec: NodeSpec): string {
  switch (spec.kind) {
    case undefined:
    case 'activity':
      return spec.activity ?? '';
    case 'sleep':
      return 'sleep';
    case 'event':
      return `event:${spec.event ?? ''}`;
    case 'pipeline':
      return `pipeline:${typeof spec.pipeline === 'object' ? spec.pipeline.name : String(spec.pipeline)}`;
    case 'map':
      return `map:${spec.activity ?? (typeof spec.pipeline === 'object' ? spec.pipeline.name : '')}`;
  }
}
