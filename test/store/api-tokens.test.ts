/**
 * API tokens in the store (migration 005): a created token verifies to its principal; a wrong
 * secret, an unknown id, a malformed bearer and a revoked token verify to nothing; the row holds
 * no plaintext secret; a list never carries hashes; revoking is once; last use is recorded at
 * most once a minute; and parseGrants reads the command line's grants or says what is wrong.
 */
import { UsageError } from '../../src/core/errors';
import type { Grant } from '../../src/api/permissions';
import { parseToken } from '../../src/api/token-format';
import { checkTokenName, createApiToken, formatGrants, parseGrants, StoreTokenVerifier } from '../../src/api/tokens';
import { findApiToken } from '../../src/store/sql/find-api-token';
import { listApiTokens } from '../../src/store/sql/list-api-tokens';
import { revokeApiToken } from '../../src/store/sql/revoke-api-token';
import { touchApiToken } from '../../src/store/sql/touch-api-token';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';

const GRANTS: Grant[] = [
  { pipeline: 'thumbnails', actions: ['read', 'control'] },
  { pipeline: '*', actions: ['read'] },
];

describe('in the store', () => {
  const t = databasePerTest();

  it('verifies a created token to its principal, and records its last use', async () => {
    const { id, token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS, createdBy: 'alice' });
    expect(id).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(token).toMatch(new RegExp(`^tf_${id}_[A-Za-z0-9_-]{43}$`));
    const verifier = new StoreTokenVerifier(t.db.pool);
    expect(await verifier.verify(token)).toEqual({ tokenId: id, name: 'ci', grants: GRANTS });
    const used = await eventually('last use recorded', async () => (await listApiTokens(t.db.pool))[0]?.lastUsedAt ?? undefined);
    expect(used).toBeInstanceOf(Date);
  });

  it('refuses a wrong secret, an unknown id and a malformed bearer', async () => {
    const { id, token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    const verifier = new StoreTokenVerifier(t.db.pool);
    const secret = token.slice(`tf_${id}_`.length);
    const otherSecret = Buffer.alloc(32, 7).toString('base64url');
    expect(await verifier.verify(`tf_${id}_${otherSecret}`)).toBeUndefined();
    expect(await verifier.verify(`tf_ABCDEFGHJKLM_${secret}`)).toBeUndefined();
    for (const bad of [
      '',
      'nonsense',
      token.slice(0, -1),
      `${token}x`,
      token.replace(/^tf_/, 'tg_'),
      `tf_${id}-${secret}`,
      `tf_${id.slice(1)}_${secret}`,
      ` ${token}`,
    ]) {
      expect(await verifier.verify(bad)).toBeUndefined();
    }
    // The 43rd character carries 2 spare bits: another spelling of the same 32 bytes is not the token.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelledSecret = secret.slice(0, -1) + alphabet[alphabet.indexOf(secret.slice(-1)) + 1];
    expect(Buffer.from(respelledSecret, 'base64url').equals(Buffer.from(secret, 'base64url'))).toBe(true);
    expect(parseToken(`tf_${id}_${respelledSecret}`)).toBeUndefined();
    expect(await verifier.verify(`tf_${id}_${respelledSecret}`)).toBeUndefined();
    // Nothing failed to be recorded as a use.
    expect((await listApiTokens(t.db.pool))[0]?.lastUsedAt).toBeNull();
  });

  it('refuses a revoked token; revoking twice is refused the second time', async () => {
    const { id, token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    const verifier = new StoreTokenVerifier(t.db.pool);
    expect(await verifier.verify(token)).toBeDefined();
    expect(await revokeApiToken(t.db.pool, id)).toBe(true);
    expect(await verifier.verify(token)).toBeUndefined();
    const revokedAt = (await findApiToken(t.db.pool, id))?.revokedAt;
    expect(revokedAt).toBeInstanceOf(Date);
    expect(await revokeApiToken(t.db.pool, id)).toBe(false);
    expect((await findApiToken(t.db.pool, id))?.revokedAt).toEqual(revokedAt);
    expect(await revokeApiToken(t.db.pool, 'ABCDEFGHJKLM')).toBe(false);
  });

  it('keeps no plaintext secret in the row', async () => {
    const { id, token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    const secret = token.slice(`tf_${id}_`.length);
    const bytes = Buffer.from(secret, 'base64url');
    const { rows } = await t.db.pool.query<{ text: string }>(`SELECT t::text AS text FROM tapflow.api_tokens t WHERE id = $1`, [id]);
    const text = rows[0]!.text;
    expect(text).toContain(id);
    for (const form of [token, secret, bytes.toString('hex'), bytes.toString('base64')]) expect(text).not.toContain(form);
    const json = await t.db.pool.query<{ text: string }>(`SELECT row_to_json(t)::text AS text FROM tapflow.api_tokens t`);
    for (const form of [secret, bytes.toString('hex'), bytes.toString('base64')]) expect(json.rows[0]!.text).not.toContain(form);
  });

  it('lists tokens oldest first, without hashes', async () => {
    const a = await createApiToken(t.db.pool, { name: 'first', grants: GRANTS, createdBy: 'alice' });
    const b = await createApiToken(t.db.pool, { name: 'second', grants: [{ pipeline: '*', actions: ['admin'] }] });
    await revokeApiToken(t.db.pool, b.id);
    const list = await listApiTokens(t.db.pool);
    expect(list).toEqual([
      { id: a.id, name: 'first', grants: GRANTS, createdAt: expect.any(Date), createdBy: 'alice', lastUsedAt: null, revokedAt: null },
      { id: b.id, name: 'second', grants: [{ pipeline: '*', actions: ['admin'] }], createdAt: expect.any(Date), createdBy: null, lastUsedAt: null, revokedAt: expect.any(Date) },
    ]);
    for (const row of list) expect(Object.keys(row)).not.toContain('secretHash');
    expect(JSON.stringify(list)).not.toMatch(/secret_?hash/i);
  });

  it('records last use at most once a minute', async () => {
    const { id } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    expect(await touchApiToken(t.db.pool, id)).toBe(true);
    expect(await touchApiToken(t.db.pool, id)).toBe(false);
    await t.db.pool.query(`UPDATE tapflow.api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, [id]);
    expect(await touchApiToken(t.db.pool, id)).toBe(true);
    expect(await touchApiToken(t.db.pool, 'ABCDEFGHJKLM')).toBe(false);
  });

  it('refuses a bad name before writing, and the store refuses one too', async () => {
    await expect(createApiToken(t.db.pool, { name: ' ', grants: GRANTS })).rejects.toThrow(new UsageError('token name: must not be empty'));
    await expect(createApiToken(t.db.pool, { name: 'é'.repeat(101), grants: GRANTS })).rejects.toThrow(
      new UsageError('token name: at most 200 bytes, got 202'),
    );
    await expect(createApiToken(t.db.pool, { name: 'ci', grants: [] })).rejects.toThrow(new UsageError('a token needs at least one grant'));
    expect(await listApiTokens(t.db.pool)).toEqual([]);
    await expect(
      t.db.pool.query(`INSERT INTO tapflow.api_tokens (id, name, secret_hash, grants) VALUES ('ABCDEFGHJKLM', '', '\\x00', '[]')`),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('answers verify with the store error when the store is gone, not with "unknown"', async () => {
    const { token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    const broken = { query: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
    await expect(new StoreTokenVerifier(broken).verify(token)).rejects.toThrow('ECONNREFUSED');
  });

  it('verifies even when recording the use fails', async () => {
    const { id, token } = await createApiToken(t.db.pool, { name: 'ci', grants: GRANTS });
    const pool = t.db.pool;
    const failingTouch = {
      query: (text: string, values?: unknown[]) =>
        /UPDATE/.test(text) ? Promise.reject(new Error('read-only transaction')) : pool.query(text, values),
    };
    expect(await new StoreTokenVerifier(failingTouch).verify(token)).toEqual({ tokenId: id, name: 'ci', grants: GRANTS });
  });
});

describe('checkTokenName', () => {
  it.each([
    ['', 'must not be empty'],
    ['  ', 'must not be empty'],
    ['a'.repeat(201), 'at most 200 bytes, got 201'],
    ['a\tb', 'must not contain control characters'],
  ])('refuses %j', (name, message) => {
    expect(() => checkTokenName(name, '--name')).toThrow(new UsageError(`--name: ${message}`));
  });

  it('accepts up to 200 bytes', () => {
    expect(() => checkTokenName('a'.repeat(200))).not.toThrow();
    expect(() => checkTokenName('deploy bot (prod)')).not.toThrow();
  });
});

describe('parseGrants', () => {
  it.each<[string, Grant[]]>([
    ['thumbnails:read+control,*:read', GRANTS],
    ['*:admin', [{ pipeline: '*', actions: ['admin'] }]],
    [' thumbnails : read , wordcount:start ', [
      { pipeline: 'thumbnails', actions: ['read'] },
      { pipeline: 'wordcount', actions: ['start'] },
    ]],
    // A pipeline named twice gets both sets; actions come least to most, once each.
    ['a:control+read,a:read+start', [{ pipeline: 'a', actions: ['read', 'start', 'control'] }]],
    ['my pipeline.v2_x-y:read', [{ pipeline: 'my pipeline.v2_x-y', actions: ['read'] }]],
  ])('reads %j', (text, grants) => {
    expect(parseGrants(text)).toEqual(grants);
  });

  it('writes grants back as it reads them', () => {
    expect(formatGrants(GRANTS)).toBe('thumbnails:read+control,*:read');
    expect(parseGrants(formatGrants(GRANTS))).toEqual(GRANTS);
  });

  it.each([
    ['', '--grant: must not be empty; e.g. thumbnails:read+control,*:read'],
    ['  ', '--grant: must not be empty; e.g. thumbnails:read+control,*:read'],
    ['thumbnails', '--grant: "thumbnails" is not PIPELINE:ACTION[+ACTION...]; e.g. thumbnails:read+control,*:read'],
    ['a:b:read', '--grant: "a:b:read" is not PIPELINE:ACTION[+ACTION...]; e.g. thumbnails:read+control,*:read'],
    ['a:read,', '--grant: grant 2 is empty (a stray comma?); e.g. thumbnails:read+control,*:read'],
    [',a:read', '--grant: grant 1 is empty (a stray comma?); e.g. thumbnails:read+control,*:read'],
    [':read', '--grant: ":read" names no pipeline; give a pipeline name or *'],
    ['thumb*:read', '--grant: "thumb*" is not a pipeline name or *: a name cannot hold ",", ":", "+", "*" or control characters'],
    ['a\u0007b:read', '--grant: "a\u0007b" is not a pipeline name or *: a name cannot hold ",", ":", "+", "*" or control characters'],
    ['thumbnails:write', '--grant: unknown action "write" in "thumbnails:write"; actions are read, start, control, admin'],
    ['thumbnails:Read', '--grant: unknown action "Read" in "thumbnails:Read"; actions are read, start, control, admin'],
    ['a:read,b:read+', '--grant: "b:read+" has an empty action; actions are read, start, control, admin'],
    ['thumbnails:', '--grant: "thumbnails:" has an empty action; actions are read, start, control, admin'],
  ])('refuses %j with one line', (text, message) => {
    let thrown: unknown;
    try {
      parseGrants(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toBe(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});
