/**
 * Records one delivery to make: a run event for one webhook.
 */
import type { Queryable } from '../pool';

// Due at the event's time plus the webhook's wait (0 but for `queued`); once per event and URL.
const SQL = /* sql */ `
INSERT INTO tapflow.notification_deliveries
  (id, event_id, workflow_id, event, url, source, secret_name, body, next_attempt_at)
VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9::timestamptz + $10::bigint * interval '1 millisecond')
ON CONFLICT ON CONSTRAINT notification_deliveries_once DO NOTHING`;

/** A delivery as the fan-out makes it. */
export interface DeliveryWrite {
  /** Its id, also the payload's `id` and the `Tapflow-Delivery` header. */
  id: string;
  /** The run event's number (text). */
  eventId: string;
  workflowId: string;
  event: string;
  url: string;
  source: 'deployment' | 'spec';
  /** Which key signs it; null for the default. */
  secretName: string | null;
  /** The exact JSON body every attempt sends. */
  body: string;
  /** The event's time. */
  at: Date;
  /** How long after `at` it is due, in ms (a `queued>D` webhook's D; else 0). */
  afterMs: number;
}

/**
 * Inserts the delivery unless the event already has one for this URL.
 *
 * @returns whether it was inserted.
 */
export async function insertNotificationDelivery(client: Queryable, d: DeliveryWrite): Promise<boolean> {
  const result = await client.query(SQL, [d.id, d.eventId, d.workflowId, d.event, d.url, d.source, d.secretName, d.body, d.at, d.afterMs]);
  return (result.rowCount ?? 0) > 0;
}
