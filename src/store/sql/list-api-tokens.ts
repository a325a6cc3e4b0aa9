/**
 * Lists API tokens for operators, without the hashes of their secrets.
 */
import type { Grant } from '../../core/grants';
import type { Queryable } from '../pool';

// Never the secret's hash: a list is for people to read.
const SQL = /* sql */ `
SELECT t.id, t.name, t.grants, t.created_at AS "createdAt", t.created_by AS "createdBy",
  t.last_used_at AS "lastUsedAt", t.revoked_at AS "revokedAt"
FROM tapflow.api_tokens t
ORDER BY t.created_at, t.id`;

/** A token as {@link listApiTokens} reads it: everything but the hash of the secret. */
export interface ApiTokenRecord {
  /** The public id. */
  id: string;
  name: string;
  grants: Grant[];
  createdAt: Date;
  /** Who created it; `null` when unknown. */
  createdBy: string | null;
  /** When it last authenticated a request, to the minute; `null` when never. */
  lastUsedAt: Date | null;
  /** When it was revoked; `null` while it is live. */
  revokedAt: Date | null;
}

/** Every token, revoked ones included, oldest first. */
export async function listApiTokens(client: Queryable): Promise<ApiTokenRecord[]> {
  const { rows } = await client.query<ApiTokenRecord>(SQL);
  return rows;
}
