/**
 * Migration 5: bearer tokens of the HTTP API (`tapflow token create|list|revoke`). A token is
 * `tf_<id>_<secret>`; the store keeps its public id, a name, its grants and a hash of the secret,
 * never the secret itself, so a copy of the database holds no usable token.
 *
 * Never edit a migration that has shipped: add the next one.
 */

/** Migration name, recorded in `tapflow.migrations`. */
export const name = 'api-tokens';

/** The statements, run in the migration transaction. */
export const sql = /* sql */ `
CREATE TABLE tapflow.api_tokens (
  id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9]{12}$'),
  name         text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 200),
  -- SHA-256 of the secret's 32 bytes. A fast hash is right here: the secret is 256 random bits,
  -- not a password a person chose, so there is no dictionary to try and guessing it is hopeless
  -- at any hashing speed. A slow password hash (bcrypt, scrypt) would only slow every request.
  secret_hash  bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
  grants       jsonb NOT NULL CHECK (jsonb_typeof(grants) = 'array'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

COMMENT ON TABLE tapflow.api_tokens IS
  'Bearer tokens of the HTTP API: public id, name, grants and the SHA-256 of the secret (never the secret).';
COMMENT ON COLUMN tapflow.api_tokens.id IS 'The public id, the <id> in tf_<id>_<secret>.';
COMMENT ON COLUMN tapflow.api_tokens.grants IS 'What the token may do: [{"pipeline": name or "*", "actions": [...]}].';
COMMENT ON COLUMN tapflow.api_tokens.revoked_at IS 'When the token was revoked; a revoked token is refused. NULL while it is live.';
COMMENT ON COLUMN tapflow.api_tokens.last_used_at IS 'When the token last authenticated a request, to the minute (written at most once a minute).';
`;
