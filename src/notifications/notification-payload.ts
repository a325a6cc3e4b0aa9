/**
 * The JSON body of a notification, fixed when its delivery is made so that every retry sends the
 * same bytes.
 */

/** A notification's body. */
export interface NotificationPayload {
  /** The delivery's id: the same on every retry (also the `Tapflow-Delivery` header); receivers dedupe by it. */
  id: string;
  /** `held`, `failed`, `completed`, `cancelled`, `terminated`, or `queued` (queued longer than the webhook's duration). */
  event: string;
  /** The run id (its workflow id). */
  runId: string;
  pipeline: string;
  /** The registered version the run was started from, when it was started by name. */
  pipelineVersion?: number;
  /** The run's state the event is about. */
  state: string;
  /** The run's reason then (why it failed, was held, cancelled or terminated), when it has one. */
  reason?: string;
  /** When the run's state changed (for `queued`: when it entered the queue), ISO-8601. */
  at: string;
  /** For `queued`: how long the webhook waits before it is told, in ms. */
  queuedForMs?: number;
  /** The run's page in the operator console, or null when the deployment set no console address. */
  consoleUrl: string | null;
}

/** The run's page in the console served at `base` (the API's public address). */
export function consoleLink(base: string | undefined, runId: string): string | null {
  if (!base) return null;
  const root = base.replace(/\/+$/, '').replace(/\/console$/, '');
  return `${root}/console/#/runs/${encodeURIComponent(runId)}`;
}

/** The body as sent. */
export function notificationBody(payload: NotificationPayload): string {
  return JSON.stringify(payload);
}
