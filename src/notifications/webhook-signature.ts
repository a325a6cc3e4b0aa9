/**
 * The signature on every notification: `Tapflow-Signature: t=<unix seconds>,v1=<hex>`, where the
 * hex is HMAC-SHA256 over `<t>.<body>` with the deployment's key (as Stripe and Standard Webhooks
 * sign). The time is signed with the body, so a receiver that refuses old times refuses replays.
 */
import { createHmac } from 'node:crypto';

/** The header the signature travels in. */
export const SIGNATURE_HEADER = 'Tapflow-Signature';

/**
 * The `Tapflow-Signature` value for `body` sent at `timestampSeconds`.
 *
 * @param key the signing key (the deployment's `TAPFLOW_WEBHOOK_SECRET`, or a named one).
 */
export function signatureHeader(key: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}
