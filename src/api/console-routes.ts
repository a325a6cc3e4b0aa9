/**
 * The operator console: the static page in `console/` at the package root (plain HTML, CSS and
 * ES modules, no build step), served under `/console/`; `GET /` redirects there.
 *
 * The routes are public (no `config.action`: the page itself holds no data, every call it makes
 * to `/api` carries the operator's token) and hidden from the OpenAPI document
 * (`schema: { hide: true }`), so they are not in `apiRoutes()`.
 *
 * Files are sent with their content type, `Cache-Control: no-cache` and an ETag (the files have
 * no hashed names, so the browser revalidates and gets 304 while a file is unchanged), and a
 * Content-Security-Policy that allows only the page's own origin. A path that leaves the folder
 * (`..`, an encoded one, a symlink out) is 404, as is anything that is not a regular file.
 */
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from './http-errors';

/** Where the console is mounted. */
export const CONSOLE_PREFIX = '/console/';

/** Content types by file extension; anything else is sent as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Only the page's own origin: its modules, its styles, its calls to the API. Styles set from
 * script (CSSOM) are allowed by this policy; `style` attributes in markup are not, and none are used.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Options of {@link registerConsoleRoutes}. */
export interface ConsoleRoutesOptions {
  /** The folder to serve. Default: {@link findConsoleDir}. */
  dir?: string;
}

/**
 * The `console/` folder of the package: found by walking up from this module, so it is the same
 * folder whether this code runs from `src/api/` (jest, ts-node) or `dist/api/` (after the build).
 *
 * @throws {Error} when no parent folder holds `console/index.html` (a package without the console).
 */
export function findConsoleDir(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'console');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`the operator console (console/index.html) was not found above ${from}`);
    dir = parent;
  }
}

/**
 * The file under `root` that `relative` (a URL path after `/console/`, already percent-decoded)
 * names, or `undefined` when it would leave `root` or is not a regular file. A path ending in `/`
 * (or empty) names the folder's `index.html`.
 */
export async function consoleFile(root: string, relative: string): Promise<string | undefined> {
  if (relative.includes('\0') || relative.includes('\\')) return undefined;
  const wanted = relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative;
  if (wanted.split('/').some((part) => part === '..')) return undefined;
  const file = resolve(root, wanted);
  if (!file.startsWith(root + sep)) return undefined;
  try {
    // A symlink inside the folder must not lead out of it.
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!realFile.startsWith(realRoot + sep)) return undefined;
    return (await stat(realFile)).isFile() ? realFile : undefined;
  } catch {
    return undefined;
  }
}

async function sendFile(reply: FastifyReply, file: string, ifNoneMatch: string | undefined): Promise<FastifyReply> {
  const info = await stat(file);
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  void reply
    .header('Cache-Control', 'no-cache')
    .header('ETag', etag)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('Referrer-Policy', 'no-referrer');
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
  return reply.type(CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream').send(await readFile(file));
}

/**
 * Registers `GET /` (a redirect to the console), `GET /console` (the same) and
 * `GET /console/*` (the console's files).
 *
 * @throws {Error} when `options.dir` is not given and the console folder cannot be found.
 */
export function registerConsoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions = {}): void {
  const root = resolve(options.dir ?? findConsoleDir());
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, (_request, reply) => reply.redirect(CONSOLE_PREFIX));
  app.get('/console', hidden, (_request, reply) => reply.redirect(CONSOLE_PREFIX));
  app.get<{ Params: { '*': string } }>('/console/*', hidden, async (request, reply) => {
    const file = await consoleFile(root, request.params['*'] ?? '');
    if (!file) throw new HttpError(404, 'not_found', `no console file ${request.url.split('?')[0]}`);
    return sendFile(reply, file, request.headers['if-none-match']);
  });
}
