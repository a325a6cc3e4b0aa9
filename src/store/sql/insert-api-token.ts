/**
 * Records a new API token: its public id, name, grants and the hash of its secret.
 */
import type { Grant } from '../../core/grants';
import type { Queryable } from '../pool';
import { jsonParam } from './params';

const SQL = /* sql */ `
INSERT INTO tapflow.api_tokens (id, name, secret_hash, grants, created_by)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (id) DO NOTHING
RETURNING id`;

/** What {@link insertApiToken} writes. */
export interface ApiTokenWrite {
  /** The public id (12 letters and digits). */
  id: string;
  /** A person or a service, 1 to 200 bytes. */
  name: string;
  /** SHA-256 of the secret (32 bytes); never the secret itself. */
  secretHash: Buffer;
  grants: Grant[];
  /** Who created it; `null` when unknown. */
  createdBy?: string;
}

/**
 * Records a token.
 *
 * @returns true, or false when a token with this id already exists (nothing is written; pick
 *   another id).
 * @throws the database's error when the name or hash is out of bounds or the store cannot be reached.
 */
export async function insertApiToken(client: Queryable, token: ApiTokenWrite): Promise<boolean> {
  const { rows } = await client.query(SQL, [token.id, token.name, token.secretHash, jsonParam(token.grants), token.createdBy ?? null]);
  return rows.length === 1;
}
