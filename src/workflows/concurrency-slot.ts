/**
 * The side of a concurrency limit a run holds: a run's own slot (its pipeline's `concurrency`) or
 * one of its nodes' (a node's). Asks the key's coordinator for a slot, takes the grant, withdraws
 * while the run is paused, and gives the slot back at the end (see `concurrency-workflow.ts`).
 *
 * Each request has a ticket; a grant names the ticket it answers, and one for a request the run
 * has since withdrawn is ignored (the withdrawal, sent after, frees that slot at the coordinator).
 */
import { getExternalWorkflowHandle, log, proxyLocalActivities } from '@temporalio/workflow';
import { concurrencyCoordinatorId, type ConcurrencyScope } from '../core/concurrency';
import { ACQUIRE_SLOT_ACTIVITY } from '../core/types';
import { releaseSlotSignal, type SlotGrant, type SlotRequest } from './concurrency-protocol';

/** Runs that may pass a concurrency limit take this patch: the asking and waiting are new commands. */
export const CONCURRENCY_PATCH = 'tapflow-concurrency';

/** The worker function behind the request (see `activities/concurrency.ts`). */
export interface AcquireSlotActivities {
  [ACQUIRE_SLOT_ACTIVITY](call: { coordinatorId: string; key: string; taskQueue: string; request: SlotRequest }): Promise<void>;
}

// A request must reach the coordinator: retried for as long as it takes (the run waits anyway).
const requests = proxyLocalActivities<AcquireSlotActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** What carries over to the next execution. */
export interface SlotSnapshot {
  key: string;
  limit: number;
  admitted: boolean;
  /** Whether a request is out (not withdrawn). */
  asked: boolean;
  ticket: number;
}

/** Who holds the slot, for its requests. */
export interface SlotOwner {
  /** Runs or nodes: which coordinator of the key. */
  scope: ConcurrencyScope;
  /** The holder's name (`run:<id>`, `node:<id>/<node>#<n>`). */
  holder: string;
  /** The run: where grants are signalled. */
  workflowId: string;
  taskQueue: string;
  /** 1 (first) to 5 (last). */
  priority: number;
  /** When it first asked (ISO: the run's start, a node's first ask): its place in the queue within a priority. */
  arrivedAt: string;
}

/** See the module comment. */
export class ConcurrencySlot {
  private state: SlotSnapshot;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly owner: SlotOwner,
    carried: SlotSnapshot,
  ) {
    this.state = { ...carried };
  }

  /** The holder's name, which grants name. */
  get holder(): string {
    return this.owner.holder;
  }

  /** Whether it holds its slot. */
  get admitted(): boolean {
    return this.state.admitted;
  }

  /** The key and limit, for the run's reason while queued. */
  get key(): string {
    return this.state.key;
  }

  get limit(): number {
    return this.state.limit;
  }

  /** Why the run is queued, as its status says it. */
  get waitingReason(): string {
    return `waiting for a concurrency slot: key ${JSON.stringify(this.state.key)}, limit ${this.state.limit}`;
  }

  /** What a node waiting for it shows (`waitingFor`). */
  get waitingFor(): string {
    return `concurrency ${this.state.key}`;
  }

  /** Asks for a slot (a new ticket); the request goes out in the background. */
  ask(): void {
    if (this.state.admitted || this.state.asked) return;
    this.state.asked = true;
    this.state.ticket += 1;
    const request: SlotRequest = {
      holder: this.owner.holder,
      workflowId: this.owner.workflowId,
      ticket: this.state.ticket,
      priority: this.owner.priority,
      arrivedAt: this.owner.arrivedAt,
      limit: this.state.limit,
    };
    const previous = this.pending ?? Promise.resolve();
    // In order after any earlier release, so the coordinator never sees them swapped.
    this.pending = previous.then(() =>
      requests[ACQUIRE_SLOT_ACTIVITY]({
        coordinatorId: concurrencyCoordinatorId(this.owner.scope, this.state.key),
        key: this.state.key,
        taskQueue: this.owner.taskQueue,
        request,
      }),
    );
  }

  /** Takes a grant: whether it admits the run (a grant for this ticket, while asking). */
  accept(grant: SlotGrant): boolean {
    if (this.state.admitted || !this.state.asked || grant.ticket !== this.state.ticket) return false;
    this.state.admitted = true;
    return true;
  }

  /** Withdraws the request (the run was paused while it waited). */
  withdraw(): void {
    if (this.state.admitted || !this.state.asked) return;
    this.state.asked = false;
    this.sendRelease();
  }

  /** Gives the slot back, or withdraws the request, at the end; waits for both to be sent. */
  async release(): Promise<void> {
    if (this.state.admitted || this.state.asked) {
      this.state.admitted = false;
      this.state.asked = false;
      this.sendRelease();
    }
    await this.pending?.catch(() => undefined);
  }

  /** Waits until the requests and releases sent so far have gone out. */
  async flush(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }

  snapshot(): SlotSnapshot {
    return { ...this.state };
  }

  private sendRelease(): void {
    const previous = this.pending ?? Promise.resolve();
    const holder = this.owner.holder;
    this.pending = previous
      .catch(() => undefined)
      .then(() => getExternalWorkflowHandle(concurrencyCoordinatorId(this.owner.scope, this.state.key)).signal(releaseSlotSignal, { holder }))
      .catch((err: unknown) => {
        // No coordinator: it has nothing of this run's to free.
        log.info('no concurrency coordinator to give the slot back to', { key: this.state.key, error: (err as Error)?.message });
      });
  }
}
