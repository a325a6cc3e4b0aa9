/**
 * Records that an API token was just used.
 */
import type { Queryable } from '../pool';

// At most one write a minute per token: a busy client does not turn every request into a write.
const SQL = /* sql */ `
UPDATE tapflow.api_tokens
SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;

/**
 * Sets the token's `last_used_at` to now, unless it was set less than a minute ago.
 *
 * @returns true when the time was written, false when it was recent enough (or there is no such token).
 */
export async function touchApiToken(client: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await client.query(SQL, [id]);
  return (rowCount ?? 0) > 0;
}
