/**
 * `tapflow token create|list|revoke` from the command line, against a throwaway store: the token
 * is printed once and verifies; `--json` shapes; list never shows a secret or hash; revoke works
 * once and then exits 2 with one line; bad input exits 2 with one line before anything is
 * connected to or written; an unreachable store is the one line other store commands give.
 */
import { userInfo } from 'node:os';
import type { Grant } from '../../src/api/permissions';
import { StoreTokenVerifier } from '../../src/api/tokens';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { createPool, withPgClient } from '../../src/store/pool';
import { listApiTokens } from '../../src/store/sql/list-api-tokens';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const GRANTS: Grant[] = [
  { pipeline: 'thumbnails', actions: ['read', 'control'] },
  { pipeline: '*', actions: ['read'] },
];

/** The CLI with the test's store. */
function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url }, ...args);
}

interface CreateJson {
  id: string;
  token: string;
  name: string;
  grants: Grant[];
}

interface ListedToken {
  id: string;
  name: string;
  grants: Grant[];
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

test('create --json prints the token once; it verifies to its principal', async () => {
  const out = parseJson<CreateJson>(await cli('token', 'create', '--name', 'ci bot', '--grant', 'thumbnails:read+control,*:read', '--json'));
  expect(Object.keys(out).sort()).toEqual(['grants', 'id', 'name', 'token']);
  expect(out).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9]{12}$/), token: expect.any(String), name: 'ci bot', grants: GRANTS });
  expect(out.token).toMatch(new RegExp(`^tf_${out.id}_[A-Za-z0-9_-]{43}$`));
  expect(await new StoreTokenVerifier(t.db.pool).verify(out.token)).toEqual({ tokenId: out.id, name: 'ci bot', grants: GRANTS });
  expect(await listApiTokens(t.db.pool)).toEqual([expect.objectContaining({ id: out.id, createdBy: userInfo().username })]);
});

test('create prints the token once, saying it will not be shown again', async () => {
  const r = await cli('token', 'create', '--name', 'deploy', '--grant', '*:admin');
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const tokens = r.stdout.match(/tf_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}/g) ?? [];
  expect(tokens).toHaveLength(1);
  const token = tokens[0]!;
  const id = token.slice(3, 15);
  expect(r.stdout).toBe(
    `created token ${id} for "deploy" (grants *:admin)\n\n  ${token}\n\nCopy it now: it will not be shown again (the store keeps only a hash of it).\n`,
  );
  expect(await new StoreTokenVerifier(t.db.pool).verify(token)).toEqual({ tokenId: id, name: 'deploy', grants: [{ pipeline: '*', actions: ['admin'] }] });
});

test('list shows every token without a secret or hash, as a table and as JSON', async () => {
  const empty = await cli('token', 'list');
  expect(empty).toEqual({ code: 0, stdout: 'no tokens\n', stderr: '' });
  expect(parseJson(await cli('token', 'list', '--json'))).toEqual({ tokens: [] });

  const a = parseJson<CreateJson>(await cli('token', 'create', '--name', 'first', '--grant', 'thumbnails:read+control,*:read', '--json'));
  const b = parseJson<CreateJson>(await cli('token', 'create', '--name', 'second', '--grant', 'wordcount:start', '--json'));
  expect(await new StoreTokenVerifier(t.db.pool).verify(a.token)).toBeDefined();
  await eventually('last use recorded', async () => (await listApiTokens(t.db.pool)).find((x) => x.id === a.id)?.lastUsedAt ?? undefined);
  expect((await cli('token', 'revoke', b.id)).code).toBe(0);

  const json = await cli('token', 'list', '--json');
  const listed = parseJson<{ tokens: ListedToken[] }>(json);
  const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(listed).toEqual({
    tokens: [
      { id: a.id, name: 'first', grants: GRANTS, createdAt: iso, createdBy: userInfo().username, lastUsedAt: expect.any(String), revokedAt: null },
      { id: b.id, name: 'second', grants: [{ pipeline: 'wordcount', actions: ['start'] }], createdAt: iso, createdBy: userInfo().username, lastUsedAt: null, revokedAt: iso },
    ],
  });

  const text = await cli('token', 'list');
  expect(text.code).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^ID\s+NAME\s+GRANTS\s+CREATED\s+LAST USED\s+REVOKED$/);
  expect(lines[1]).toMatch(new RegExp(`^${a.id}\\s+first\\s+thumbnails:read\\+control,\\*:read\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
  expect(lines[2]).toMatch(new RegExp(`^${b.id}\\s+second\\s+wordcount:start\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));

  for (const out of [json.stdout, text.stdout]) {
    expect(out).not.toMatch(/secret_?hash/i);
    for (const token of [a.token, b.token]) expect(out).not.toContain(token.slice(16));
  }
});

test('revoke works once; then, and for an unknown or malformed id, one line and exit 2', async () => {
  const { id, token } = parseJson<CreateJson>(await cli('token', 'create', '--name', 'ci', '--grant', '*:read', '--json'));
  expect(await cli('token', 'revoke', id)).toEqual({ code: 0, stdout: `revoked token ${id}\n`, stderr: '' });
  expect(await new StoreTokenVerifier(t.db.pool).verify(token)).toBeUndefined();

  const again = await cli('token', 'revoke', id);
  expect(again.code).toBe(2);
  expect(again.stdout).toBe('');
  expect(again.stderr).toMatch(new RegExp(`^tapflow: token ${id} was already revoked at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`));

  expect(await cli('token', 'revoke', 'ABCDEFGHJKLM')).toEqual({ code: 2, stdout: '', stderr: 'tapflow: no token with id "ABCDEFGHJKLM"\n' });
  expect(await cli('token', 'revoke', token)).toEqual({
    code: 2,
    stdout: '',
    stderr: `tapflow: "${token}" is not a token id: 12 letters and digits, as "tapflow token list" shows\n`,
  });

  const other = parseJson<CreateJson>(await cli('token', 'create', '--name', 'other', '--grant', '*:read', '--json'));
  expect(parseJson(await cli('token', 'revoke', other.id, '--json'))).toEqual({ id: other.id, revoked: true });
});

describe('bad input: one line, exit 2, nothing written', () => {
  test.each([
    [['--name', 'ci', '--grant', 'thumbnails:write'], 'tapflow: --grant: unknown action "write" in "thumbnails:write"; actions are read, start, control, admin'],
    [['--name', 'ci', '--grant', 'thumbnails'], 'tapflow: --grant: "thumbnails" is not PIPELINE:ACTION[+ACTION...]; e.g. thumbnails:read+control,*:read'],
    [['--name', 'ci', '--grant', 'a:read,'], 'tapflow: --grant: grant 2 is empty (a stray comma?); e.g. thumbnails:read+control,*:read'],
    [['--name', '', '--grant', '*:read'], 'tapflow: --name: must not be empty'],
    [['--name', 'x'.repeat(201), '--grant', '*:read'], 'tapflow: --name: at most 200 bytes, got 201'],
    [['--grant', '*:read'], "tapflow: required option '--name <name>' not specified"],
    [['--name', 'ci'], "tapflow: required option '--grant <grants>' not specified"],
  ])('create %j', async (args, message) => {
    const r = await cli('token', 'create', ...args);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
    expect(await listApiTokens(t.db.pool)).toEqual([]);
  });

  test('is refused before the store is connected to', async () => {
    const down = `postgres://tapflow:pw@127.0.0.1:${await unusedPort()}/tapflow`;
    const r = await tapflow({ DATABASE_URL: down }, 'token', 'create', '--name', 'ci', '--grant', 'x:nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tapflow: --grant: unknown action "nope" in "x:nope"; actions are read, start, control, admin\n');
  });
});

test('an unreachable store is the one line other store commands give, exit 1', async () => {
  const down = `postgres://tapflow:pw@127.0.0.1:${await unusedPort()}/tapflow`;
  const search = await tapflow({ DATABASE_URL: down }, 'runs', 'search');
  expect(search.code).toBe(1);
  expect(search.stderr.trim().split('\n')).toHaveLength(1);
  for (const args of [['create', '--name', 'ci', '--grant', '*:read'], ['list'], ['revoke', 'ABCDEFGHJKLM']]) {
    const r = await tapflow({ DATABASE_URL: down }, 'token', ...args);
    expect(r).toEqual({ code: 1, stdout: '', stderr: search.stderr });
  }
  expect(search.stderr).toMatch(/^tapflow: cannot reach the store at postgres:\/\/tapflow:\*\*\*@127\.0\.0\.1:\d+\/tapflow: /);
});

test('a store its workers have not upgraded yet says so, exit 1', async () => {
  const url = await t.server.createDatabase();
  const pool = createPool(url, { max: 1 });
  try {
    await withPgClient(pool, (client) => migrate(client, { migrations: MIGRATIONS.filter((m) => m.id <= 4) }));
  } finally {
    await pool.end();
  }
  const r = await tapflow({ DATABASE_URL: url }, 'token', 'list');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tapflow: the store at postgres:\/\/\S+ predates API tokens \(no tapflow\.api_tokens table\): start "tapflow dev" or a worker of this tapflow against it to upgrade its schema\n$/);
});
