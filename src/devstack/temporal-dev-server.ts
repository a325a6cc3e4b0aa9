/**
 * Starts and stops the Temporal CLI's dev server (`temporal server start-dev`) for `tapflow dev`:
 * a SQLite file keeps its state across restarts, the Web UI is on, and tapflow's search
 * attributes are registered.
 */
import { TapflowError } from '../core/errors';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { portIsFree } from '../observability/ports';
import { temporalCliPath } from './temporal-binaries';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { closedChannelSafeRetryInterceptor } from '../control/closed-channel-retry';

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** gRPC port. Default: 7233. */
  port?: number;
  /** Web UI port. Default: 8233. */
  uiPort?: number;
  /** Folder for the database and the server's log. */
  dataDir: string;
  /** Interface to listen on. Default: 127.0.0.1. */
  ip?: string;
  /** Most time to wait for the server to answer. Default: 60 s. */
  startTimeoutMs?: number;
}

/** A running dev server. */
export interface DevServer {
  address: string;
  uiUrl: string;
  logFile: string;
  process: ChildProcess;
  /** Stops the server: SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** The dev server could not start; the message says why and where its log is. */
export class DevServerError extends TapflowError {
  readonly code = 'dev_server';

  constructor(message: string) {
    super(message);
  }
}

/**
 * Starts the dev server and resolves once it answers requests.
 *
 * @throws {DevServerError} when a port is taken, the binary is missing, or it does not come up.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  for (const [flag, p] of [['--port', port], ['--ui-port', uiPort]] as const) {
    if (!(await portIsFree(ip, p))) {
      throw new DevServerError(`port ${p} is in use (another Temporal server or tapflow dev?); choose another with ${flag}`);
    }
  }
  mkdirSync(options.dataDir, { recursive: true });
  const logFile = join(options.dataDir, 'temporal.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--db-filename',
    join(options.dataDir, 'temporal.db'),
    '--namespace',
    'default',
    '--log-level',
    'warn',
    // The dev server reads new tasks at most 20 times a second by default, which caps a serial
    // pipeline at ~20 nodes a second whatever the engine does (see BENCHMARKS.md).
    '--dynamic-config-value',
    'history.transferProcessorMaxPollRPS=10000',
    // SQLite's defaults (a rollback journal, several fsyncs per commit, one connection) make
    // persistence calls time out under load: some activity tasks are then recorded as started but
    // never reach a worker, and their runs wait out the 10-minute start-to-close timeout. In WAL mode a
    // commit is one append, fsynced only at checkpoints with synchronous=normal. A killed server
    // (even SIGKILL) loses nothing; a power cut or OS crash may lose the last commits, never the
    // file. See BENCHMARKS.md, "1,000 concurrent runs".
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  // Its own process group: Ctrl-C in the terminal reaches only tapflow, which stops the worker
  // first and the server after it, so in-flight activities can still report.
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new DevServerError(`the Temporal dev server exited (code ${exited}) while starting; see ${logFile}`);
    }
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new DevServerError(`the Temporal dev server did not answer within ${(options.startTimeoutMs ?? 60_000) / 1000}s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
    log.end();
  };
  return { address, uiUrl: `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`, logFile, process: child, stop };
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    // Probed while the server starts, so calls fail and retry: one may come due after the close.
    connection = await Connection.connect({ address, connectTimeout: 1000, interceptors: [closedChannelSafeRetryInterceptor()] });
    await connection.workflowService.getSystemInfo({});
    // The namespace and search attributes are registered right after the port opens.
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.keys(SEARCH_ATTRIBUTES).every((name) => listed.customAttributes?.[name] !== undefined);
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
