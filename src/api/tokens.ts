/**
 * API bearer tokens kept in the run store: {@link createApiToken} makes one (the token is shown
 * once and never stored: the store keeps the SHA-256 of its secret), and
 * {@link StoreTokenVerifier} turns a presented token back into its {@link Principal}.
 * {@link parseGrants} reads grants written as text, for the command line.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors';
import type { Queryable } from '../store/pool';
import { findApiToken } from '../store/sql/find-api-token';
import { insertApiToken } from '../store/sql/insert-api-token';
import { touchApiToken } from '../store/sql/touch-api-token';
import type { Grant, Principal, TokenVerifier } from './permissions';
import { formatToken, hashTokenSecret, newTokenId, newTokenSecret, parseToken } from './token-format';

export { formatGrants, parseGrants } from './grant-text';

/** Longest token name, in bytes (UTF-8). */
export const MAX_TOKEN_NAME_BYTES = 200;

/** What {@link createApiToken} is given. */
export interface NewApiToken {
  /** Whom the token is for: a person or a service. 1 to 200 bytes, no control characters. */
  name: string;
  /** What it may do; at least one grant (see {@link parseGrants}). */
  grants: Grant[];
  /** Who created it, kept with it. */
  createdBy?: string;
}

/** A token just made. */
export interface CreatedApiToken {
  /** Its public id: how `tapflow token list` and `revoke` name it. */
  id: string;
  /** The token to present as `Authorization: Bearer <token>`. Shown this once: the store cannot give it back. */
  token: string;
}

/**
 * Checks a token's name.
 *
 * @param label how messages name the value (the command line says `--name`).
 * @throws {UsageError} when it is empty or blank, longer than 200 bytes, or holds control characters.
 */
export function checkTokenName(name: string, label = 'token name'): void {
  if (name.trim() === '') throw new UsageError(`${label}: must not be empty`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_TOKEN_NAME_BYTES) throw new UsageError(`${label}: at most ${MAX_TOKEN_NAME_BYTES} bytes, got ${bytes}`);
  // eslint-disable-next-line no-control-regex -- refuses control characters
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new UsageError(`${label}: must not contain control characters`);
}

/**
 * Makes a token and records it (its id, name, grants and the hash of its secret).
 *
 * @throws {UsageError} for a bad name or no grants (nothing is written).
 * @throws the store's error when it cannot be written.
 */
export async function createApiToken(db: Queryable, request: NewApiToken): Promise<CreatedApiToken> {
  checkTokenName(request.name);
  if (request.grants.length === 0) throw new UsageError('a token needs at least one grant');
  const secret = newTokenSecret();
  const secretHash = hashTokenSecret(secret);
  // 62^12 ids: a clash is next to impossible, but one would only cost another id.
  for (let tries = 0; tries < 3; tries++) {
    const id = newTokenId();
    if (await insertApiToken(db, { id, name: request.name, secretHash, grants: request.grants, createdBy: request.createdBy })) {
      return { id, token: formatToken({ id, secret }) };
    }
  }
  throw new Error('no free token id after 3 tries');
}

// Compared against when the id is unknown, so that an unknown id costs the same work as a wrong
// secret. Random: no presented secret hashes to it.
const DUMMY_HASH = randomBytes(32);

/**
 * A {@link TokenVerifier} that checks tokens against the run store.
 *
 * The secret is checked in constant time (`crypto.timingSafeEqual` on the SHA-256 hashes), and an
 * unknown id is checked against a dummy hash the same way, so response times do not tell which
 * ids exist. Each successful check records the token's last use (at most one write a minute),
 * without waiting for it: a failure to record is ignored.
 */
export class StoreTokenVerifier implements TokenVerifier {
  /** @param db the store: a pool (one statement per check needs no dedicated connection). */
  constructor(private readonly db: Queryable) {}

  /**
   * The principal `bearer` stands for, or `undefined` when it is malformed, unknown, has the
   * wrong secret or was revoked.
   *
   * @throws the store's error when it cannot be read (an outage, not a bad token).
   */
  async verify(bearer: string): Promise<Principal | undefined> {
    const parts = parseToken(bearer);
    if (!parts) return undefined;
    const row = await findApiToken(this.db, parts.id);
    const presented = hashTokenSecret(parts.secret);
    const stored = row && row.secretHash.length === presented.length ? row.secretHash : DUMMY_HASH;
    const matches = timingSafeEqual(presented, stored);
    if (!row || !matches || row.revokedAt !== null) return undefined;
    void touchApiToken(this.db, parts.id).catch(() => undefined);
    return { tokenId: parts.id, name: row.name, grants: row.grants };
  }
}
