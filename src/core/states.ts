/**
 * Run and node states, the status shape, and which control action each state accepts.
 * Pure: shared by the workflow (to accept or refuse an action) and the client (to explain it).
 */
import type { TriggerRule } from './types';

/**
 * Every run state, in the order a run usually meets them. The one list: the type, the API's
 * schema and the console derive from it, and a test holds the store's check constraint to it.
 * - `queued`: waiting for a concurrency slot; no node has started.
 * - `running`: nodes start as their needs complete.
 * - `pausing`: pause asked; no node starts, nodes in flight are finishing.
 * - `paused`: nothing in flight and nothing starts until resumed.
 * - `held`: a node failed and the run waits for an operator.
 * - `cancelling`: cancel asked; nodes in flight are being cancelled.
 * - `cancelled`, `completed`, `failed`: final, ended by the run itself.
 * - `terminated`: final, ended by Temporal rather than by the run (a terminate, an execution
 *   timeout); the reason is Temporal's.
 *
 * A new state is an additive change: a client shows a state it does not know as it is.
 */
export const RUN_STATES = [
  'queued',
  'running',
  'pausing',
  'paused',
  'held',
  'cancelling',
  'cancelled',
  'completed',
  'failed',
  'terminated',
] as const;

/** State of a run; see {@link RUN_STATES}. */
export type RunState = (typeof RUN_STATES)[number];

/** Every node state. */
export const NODE_STATES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'] as const;

/** State of one node in a run. */
export type NodeState = (typeof NODE_STATES)[number];

/**
 * Why a node was skipped:
 * - `condition`: its `when` was false;
 * - `upstream`: its trigger rule can no longer be met (a need failed or was skipped), or the run
 *   ended before it started;
 * - `operator`: `tapflow skip` (the operator's output stands in for the node's);
 * - `timeout`: an event node's timeout with `onTimeout: "skip"`.
 * An operator's or a timeout's skip satisfies the nodes that need it; a condition's or an
 * upstream skip passes on by their trigger rules.
 */
export const SKIP_CAUSES = ['condition', 'upstream', 'operator', 'timeout'] as const;

/** Why a node was skipped; see {@link SKIP_CAUSES}. */
export type SkipCause = (typeof SKIP_CAUSES)[number];

/** States a run never leaves. */
export const FINAL_RUN_STATES: ReadonlySet<RunState> = new Set(['cancelled', 'completed', 'failed', 'terminated']);

/** Whether a run in `state` has ended. */
export function isFinal(state: RunState): boolean {
  return FINAL_RUN_STATES.has(state);
}

/** A control action a person or a script can ask of a whole run. */
export type ControlAction = 'pause' | 'resume' | 'cancel';

/**
 * What an operator can do to a node or with a run's data, beyond pause, resume and cancel
 * (see `operator-rules.ts` for when each applies). Recorded in the store like control actions.
 */
export type OperatorAction = 'retry' | 'skip' | 'rerun' | 'edit' | 'send';

/** One node's part of a run's status. */
export interface NodeStatus {
  id: string;
  /** The node's kind when it is not `activity`. */
  kind?: 'sleep' | 'event' | 'pipeline' | 'map';
  /**
   * The activity it calls; for other kinds a label: `sleep`, `event:<name>`, `pipeline:<child
   * name>`, `map:<activity or child name>`.
   */
  activity: string;
  /** The nodes this one needs (from the spec). */
  needs: string[];
  state: NodeState;
  /** Attempts made so far (0 before the first starts). */
  attempts: number;
  /** ISO time the node first started. */
  startedAt?: string;
  /** ISO time the node reached its final state. */
  finishedAt?: string;
  /** The last error's message. */
  error?: string;
  /** The last error's type (an error's `name`, or an `ApplicationFailure`'s `type`). */
  errorType?: string;
  /** The node's `when` from the spec, when it has one: views draw it as conditional. */
  when?: string;
  /** The node's trigger rule from the spec, when it is not the default `all_success`. */
  trigger?: TriggerRule;
  /** A skipped node: why (absent on statuses written before causes were kept). */
  skipCause?: SkipCause;
  /** A skipped node: the reason in words (`condition false`, `needs "a" failed`). */
  skipReason?: string;
  /** The input the node was called with, when its spec's input held `${{ }}` templates. */
  input?: unknown;
  /** A repeated `pipeline` node: the round running or last run, from 1. */
  round?: number;
  /** The node failed and waits for an operator (`retry`, `skip`, or cancel the run). */
  held?: boolean;
  /** Attempts made in earlier rounds (before an operator's retry or rerun), when any. */
  earlierAttempts?: number;
  /** An operator changed the node's input (`tapflow edit`, `tapflow retry --input`). */
  inputEdited?: boolean;
  /** The node was not run in this run: its output was taken from the run it reruns. */
  reused?: boolean;
  /** A waiting `event` node: the event it waits for. */
  waitingFor?: string;
  /** A `pipeline` node's child run id (the latest one), once started. */
  childRunId?: string;
  /** A `map` node: items in all, and items done. */
  items?: { total: number; done: number };
  /**
   * The run no longer holds the node's output (dropped when the run continued as new, since
   * nothing still to run needed it); a rerun from a node that needs it must start further up.
   */
  outputDropped?: boolean;
}

/**
 * Counts of nodes by how far they got. Every view of a run (the `status` query, the API, the
 * event streams, the store's row, the CLI, the console, the `TapflowProgress` search attribute)
 * shows these same numbers.
 */
export interface Progress {
  /** Nodes completed (not skipped ones: see `skipped`). */
  completed: number;
  /**
   * Nodes skipped: by a false `when`, an operator's skip, an event's timeout that skips, or
   * after a failure ended the run. Absent from statuses written before it was counted (read
   * as 0).
   */
  skipped: number;
  total: number;
  running: number;
  failed: number;
  /**
   * Whole percent of nodes done, skipped nodes counting as done:
   * `floor(100 * (completed + skipped) / total)`, 100 when there are no nodes. Failed and
   * cancelled nodes do not count.
   */
  percent: number;
}

/** A run's status: what the `status` query, `tapflow status --json` and the API return. */
export interface RunStatus {
  workflowId: string;
  /** The Temporal run id of the first execution of this run. */
  runId: string;
  pipeline: string;
  /** The registered version of the pipeline the run was started from, when it was started by name. */
  pipelineVersion?: number;
  /** The schedule that started the run, when one did. */
  scheduleId?: string;
  state: RunState;
  /** Why the run was paused, cancelled or failed, when it was. */
  reason?: string;
  progress: Progress;
  nodes: NodeStatus[];
  startedAt: string;
  finishedAt?: string;
}
