/**
 * Revokes an API token.
 */
import type { Queryable } from '../pool';

// Once: a revoked token keeps the time it was first revoked.
const SQL = /* sql */ `
UPDATE tapflow.api_tokens
SET revoked_at = now()
WHERE id = $1 AND revoked_at IS NULL
RETURNING id`;

/**
 * Revokes the token with this public id: from now on it authenticates nothing.
 *
 * @returns true when a live token was revoked; false when there is no such token or it was
 *   already revoked (nothing changes).
 */
export async function revokeApiToken(client: Queryable, id: string): Promise<boolean> {
  const { rows } = await client.query(SQL, [id]);
  return rows.length === 1;
}
