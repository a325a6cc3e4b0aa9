/**
 * The console's static routes on a plain Fastify instance: the redirect from `/`, the files with
 * their content types, cache headers and a 304 on an unchanged ETag; a path that leaves the
 * folder (`..`, encoded, through a symlink) and anything that is not a file are 404; the folder is
 * found the same from src/ and from dist/.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleFile, findConsoleDir, registerConsoleRoutes } from '../../src/api/console-routes';

const ROOT = resolve(__dirname, '..', '..');
let app: FastifyInstance;
let fixture: string;
let fixtureApp: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  registerConsoleRoutes(app);
  await app.ready();
  // A folder of its own, with a secret beside it and a symlink that points out to it.
  fixture = mkdtempSync(join(tmpdir(), 'tapflow-console-'));
  mkdirSync(join(fixture, 'site', 'sub'), { recursive: true });
  writeFileSync(join(fixture, 'secret.txt'), 'not for the web');
  writeFileSync(join(fixture, 'site', 'index.html'), '<p>hi</p>');
  writeFileSync(join(fixture, 'site', 'data.bin'), 'bytes');
  symlinkSync(join(fixture, 'secret.txt'), join(fixture, 'site', 'link.txt'));
  fixtureApp = Fastify();
  registerConsoleRoutes(fixtureApp, { dir: join(fixture, 'site') });
  await fixtureApp.ready();
});

afterAll(async () => {
  await app?.close();
  await fixtureApp?.close();
  if (fixture) rmSync(fixture, { recursive: true, force: true });
});

test('GET / and GET /console redirect to /console/', async () => {
  for (const url of ['/', '/console']) {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/');
  }
});

test('the files are served with their content types, no-cache, an ETag and a CSP', async () => {
  const want: Record<string, RegExp> = {
    '/console/': /^text\/html; charset=utf-8$/,
    '/console/index.html': /^text\/html; charset=utf-8$/,
    '/console/console.css': /^text\/css; charset=utf-8$/,
    '/console/js/main.js': /^text\/javascript; charset=utf-8$/,
    '/console/js/sse-reader.js': /^text\/javascript; charset=utf-8$/,
  };
  for (const [url, type] of Object.entries(want)) {
    const res = await app.inject({ method: 'GET', url });
    expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  }
  const page = await app.inject({ method: 'GET', url: '/console/' });
  expect(page.body).toContain('<script type="module" src="js/main.js"></script>');
  const bytes = await fixtureApp.inject({ method: 'GET', url: '/console/data.bin' });
  expect(bytes.headers['content-type']).toBe('application/octet-stream');
});

test('an unchanged file is 304 to a request with its ETag', async () => {
  const first = await app.inject({ method: 'GET', url: '/console/js/main.js' });
  const etag = String(first.headers.etag);
  const again = await app.inject({ method: 'GET', url: '/console/js/main.js', headers: { 'if-none-match': etag } });
  expect(again.statusCode).toBe(304);
  expect(again.body).toBe('');
  const other = await app.inject({ method: 'GET', url: '/console/js/main.js', headers: { 'if-none-match': 'W/"0-0"' } });
  expect(other.statusCode).toBe(200);
});

test('a path out of the folder, a folder, a symlink out and a missing file are 404', async () => {
  const urls = [
    '/console/..%2Fsecret.txt',
    '/console/%2e%2e/secret.txt',
    '/console/sub/..%2F..%2Fsecret.txt',
    '/console/..%5Csecret.txt',
    '/console/link.txt',
    '/console/sub',
    '/console/sub/',
    '/console/nope.js',
    '/console/%00index.html',
  ];
  for (const url of urls) {
    const res = await fixtureApp.inject({ method: 'GET', url });
    expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
    expect(res.body).not.toContain('not for the web');
  }
  // The same paths, asked of the resolver directly (no URL normalisation in between).
  const site = join(fixture, 'site');
  for (const path of ['../secret.txt', 'sub/../../secret.txt', 'link.txt', 'sub', '..\\secret.txt', '/etc/passwd']) {
    expect({ path, file: await consoleFile(site, path) }).toEqual({ path, file: undefined });
  }
  expect(await consoleFile(site, '')).toBe(join(site, 'index.html'));
});

test('the console folder is found the same from src/api and from dist/api', () => {
  const dir = join(ROOT, 'console');
  expect(findConsoleDir(join(ROOT, 'src', 'api'))).toBe(dir);
  expect(findConsoleDir(join(ROOT, 'dist', 'api'))).toBe(dir);
  expect(() => findConsoleDir(tmpdir())).toThrow(/console\/index.html/);
});
