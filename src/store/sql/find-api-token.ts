/**
 * Reads what checking a presented token needs: the hash of its secret, its grants, its name and
 * whether it was revoked.
 */
import type { Grant } from '../../core/grants';
import type { Queryable } from '../pool';

const SQL = /* sql */ `
SELECT t.secret_hash AS "secretHash", t.grants, t.name, t.revoked_at AS "revokedAt"
FROM tapflow.api_tokens t
WHERE t.id = $1`;

/** A token as {@link findApiToken} reads it. */
export interface ApiTokenSecretRecord {
  /** SHA-256 of the secret. */
  secretHash: Buffer;
  grants: Grant[];
  name: string;
  /** When it was revoked; `null` while it is live. */
  revokedAt: Date | null;
}

/** The token with this public id (revoked or not), or `undefined` when the store has none. */
export async function findApiToken(client: Queryable, id: string): Promise<ApiTokenSecretRecord | undefined> {
  const { rows } = await client.query<ApiTokenSecretRecord>(SQL, [id]);
  return rows[0];
}
