/**
 * What an API token looks like: `tf_<id>_<secret>`, where `<id>` is the public id (12 letters and
 * digits, so it never holds the `_` that separates the parts) and `<secret>` is 32 random bytes
 * in base64url (43 characters). Making one, taking one apart, and hashing its secret.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Length of a token's public id. */
export const TOKEN_ID_LENGTH = 12;

/** Random bytes in a token's secret. */
export const TOKEN_SECRET_BYTES = 32;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_PATTERN = /^tf_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A token taken apart. */
export interface TokenParts {
  /** The public id. */
  id: string;
  /** The secret's 32 bytes. */
  secret: Buffer;
}

/** A new random public id: 12 letters and digits (about 71 bits). */
export function newTokenId(): string {
  let id = '';
  for (let i = 0; i < TOKEN_ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** A new secret: 32 bytes from the system's cryptographic random source. */
export function newTokenSecret(): Buffer {
  return randomBytes(TOKEN_SECRET_BYTES);
}

/** The token a caller presents: `tf_<id>_<secret in base64url>`. */
export function formatToken(parts: TokenParts): string {
  return `tf_${parts.id}_${parts.secret.toString('base64url')}`;
}

/**
 * `bearer` taken apart, or `undefined` when it is not a well-formed token (wrong prefix, wrong
 * lengths, characters outside base64url, or a secret not written the one way base64url writes
 * 32 bytes).
 */
export function parseToken(bearer: string): TokenParts | undefined {
  const match = TOKEN_PATTERN.exec(bearer);
  if (!match) return undefined;
  const [, id, text] = match as unknown as [string, string, string];
  const secret = Buffer.from(text, 'base64url');
  // The 43rd character carries 2 spare bits: only the canonical spelling is the token.
  if (secret.length !== TOKEN_SECRET_BYTES || secret.toString('base64url') !== text) return undefined;
  return { id, secret };
}

/** SHA-256 of a secret: what the store keeps in place of it. */
export function hashTokenSecret(secret: Buffer): Buffer {
  return createHash('sha256').update(secret).digest();
}
