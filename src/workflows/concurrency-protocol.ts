/**
 * How a run and the coordinator of a concurrency key speak (see `concurrency-workflow.ts`): the
 * coordinator's workflow type and argument, the signals that ask for, grant and give back a slot,
 * and the query that shows who holds and who waits. tapflow's own protocol, not the Temporal
 * contract: the names may change between versions, with a patch for runs in flight.
 *
 * No import of `@temporalio/workflow`: the client reads the query too.
 */
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';

/** The coordinator's workflow type. */
export const CONCURRENCY_WORKFLOW_TYPE = 'concurrencyWorkflow';

/** A run asks for a slot. Sent again (a new ticket) after the run withdrew while paused. */
export interface SlotRequest {
  /** Who holds the slot: `run:<workflow id>`. */
  holder: string;
  /** Where the grant is signalled. */
  workflowId: string;
  /** Which of the holder's requests this is; a grant names it, and a stale grant is ignored. */
  ticket: number;
  /** 1 (first) to 5 (last): the run's priority. */
  priority: number;
  /** When the run started (ISO): first come, first served within a priority, kept across a withdrawal. */
  arrivedAt: string;
  /** The limit the run's spec gives; the latest request's limit is the key's limit. */
  limit: number;
}

/** A holder gives its slot back, or withdraws its request. */
export interface SlotRelease {
  holder: string;
}

/** The coordinator grants a slot. */
export interface SlotGrant {
  holder: string;
  ticket: number;
}

/** One holder or waiter, as the query shows it. */
export interface SlotEntry {
  holder: string;
  workflowId: string;
  priority: number;
  arrivedAt: string;
  /** When it was granted (holders) or asked (waiters). */
  since: string;
  ticket: number;
}

/** The coordinator's state: what the query answers and continue-as-new carries. */
export interface SlotsState {
  key: string;
  limit: number;
  holders: SlotEntry[];
  /** In the order they will be granted. */
  waiting: SlotEntry[];
}

/** The coordinator's argument. */
export interface ConcurrencyCoordinatorInput {
  key: string;
  /** The state carried over by continue-as-new. */
  carried?: SlotsState;
}

function signal<Args extends unknown[]>(name: string): SignalDefinition<Args> {
  return { type: 'signal', name } as SignalDefinition<Args>;
}

/** Run to coordinator: a slot, please. */
export const acquireSlotSignal = signal<[SlotRequest]>('tapflowAcquireSlot');
/** Run to coordinator: the slot is free again (or the request is withdrawn). */
export const releaseSlotSignal = signal<[SlotRelease]>('tapflowReleaseSlot');
/** Coordinator to run: the slot is yours. */
export const slotGrantedSignal = signal<[SlotGrant]>('tapflowSlotGranted');
/** Who holds the key's slots and who waits. */
export const slotsQuery = { type: 'query', name: 'tapflowSlots' } as QueryDefinition<SlotsState>;
