/**
 * `tapflow token create|list|revoke`: the HTTP API's bearer tokens, kept in the run store.
 *
 * Exit codes: 0 done; 2 bad input (a bad name or grant, an unknown or already revoked id),
 * nothing written; 1 the store cannot be read.
 */
import { checkTokenName, createApiToken, formatGrants, parseGrants } from '../api/tokens';
import type { Grant } from '../api/permissions';
import { UsageError } from '../core/errors';
import { redactUrl, type Queryable } from '../store/pool';
import { findApiToken } from '../store/sql/find-api-token';
import { listApiTokens, type ApiTokenRecord } from '../store/sql/list-api-tokens';
import { revokeApiToken } from '../store/sql/revoke-api-token';
import { currentUser, print, printJson, type GlobalOptions } from './io';
import { table } from './render';
import { commandStoreUrl, StoreReadError, withStore } from './store-access';

/** Options of `token create`, as commander gives them. */
export interface TokenCreateOptions extends GlobalOptions {
  name: string;
  grant: string;
}

/** What `tapflow token create --json` prints. The token is shown this once. */
export interface TokenCreateJson {
  id: string;
  token: string;
  name: string;
  grants: Grant[];
}

/** What `tapflow token list --json` prints: every token, oldest first, never a secret or its hash. Times are ISO-8601. */
export interface TokenListJson {
  tokens: ApiTokenRecord[];
}

/** What `tapflow token revoke --json` prints. */
export interface TokenRevokeJson {
  id: string;
  revoked: true;
}

const ID_PATTERN = /^[A-Za-z0-9]{12}$/;

/**
 * Makes a token with `--name` and `--grant` and prints it once (with `--json`, a {@link TokenCreateJson}).
 *
 * @throws {UsageError} for a bad name or grants, before the store is opened.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function tokenCreateCommand(options: TokenCreateOptions): Promise<number> {
  checkTokenName(options.name, '--name');
  const grants = parseGrants(options.grant);
  const { id, token } = await withTokenStore((db) => createApiToken(db, { name: options.name, grants, createdBy: currentUser() }));
  if (options.json) {
    const out: TokenCreateJson = { id, token, name: options.name, grants };
    printJson(out);
    return 0;
  }
  print(
    `created token ${id} for "${options.name}" (grants ${formatGrants(grants)})`,
    '',
    `  ${token}`,
    '',
    'Copy it now: it will not be shown again (the store keeps only a hash of it).',
  );
  return 0;
}

/**
 * Prints every token, revoked ones included: a table, or with `--json` a {@link TokenListJson}.
 *
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function tokenListCommand(options: GlobalOptions): Promise<number> {
  const tokens = await withTokenStore((db) => listApiTokens(db));
  if (options.json) {
    const out: TokenListJson = { tokens };
    printJson(out);
    return 0;
  }
  print(...renderTokens(tokens));
  return 0;
}

/**
 * Revokes the token with public id `id`: from now on it authenticates nothing.
 *
 * @throws {UsageError} when `id` is not a token id, or no live token has it (unknown, or already revoked).
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function tokenRevokeCommand(id: string, options: GlobalOptions): Promise<number> {
  if (!ID_PATTERN.test(id)) {
    throw new UsageError(`"${id}" is not a token id: 12 letters and digits, as "tapflow token list" shows`);
  }
  await withTokenStore(async (db) => {
    if (await revokeApiToken(db, id)) return;
    const token = await findApiToken(db, id);
    if (!token) throw new UsageError(`no token with id "${id}"`);
    throw new UsageError(`token ${id} was already revoked${token.revokedAt ? ` at ${token.revokedAt.toISOString()}` : ''}`);
  });
  if (options.json) {
    const out: TokenRevokeJson = { id, revoked: true };
    printJson(out);
  } else {
    print(`revoked token ${id}`);
  }
  return 0;
}

/** The token table for the terminal. */
export function renderTokens(tokens: readonly ApiTokenRecord[]): string[] {
  if (tokens.length === 0) return ['no tokens'];
  const time = (t: Date | null): string => (t ? t.toISOString().replace('T', ' ').slice(0, 19) : '');
  return table(
    ['ID', 'NAME', 'GRANTS', 'CREATED', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [t.id, t.name, formatGrants(t.grants), time(t.createdAt), time(t.lastUsedAt), time(t.revokedAt)]),
  );
}

/**
 * {@link withStore}, saying so when the store predates API tokens (its schema has no
 * `api_tokens` table: no worker of this tapflow has migrated it yet).
 */
async function withTokenStore<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
  const url = commandStoreUrl();
  return withStore(async (db) => {
    try {
      return await fn(db);
    } catch (err) {
      if ((err as { code?: unknown }).code === '42P01') {
        throw new StoreReadError(
          `the store at ${redactUrl(url)} predates API tokens (no tapflow.api_tokens table): start "tapflow dev" or a worker of this tapflow against it to upgrade its schema`,
        );
      }
      throw err;
    }
  }, url);
}
