// The real processes a chaos run starts, restarts and kills: `tapflow worker` processes, the
// Temporal dev server (a SQLite file database, as `tapflow dev` runs it) and the embedded
// PostgreSQL holding the run store and the ledger.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Starts and tracks `tapflow worker` processes on one task queue. A worker that exits without
 * being told to is counted and replaced, as a process supervisor would.
 */
export class WorkerPool {
  /**
   * @param {object} o
   * @param {string} o.root the checkout (bin/tapflow.js, chaos/ledger-activities.mjs).
   * @param {string} o.logDir where each worker's output goes (`worker-<n>.log`).
   * @param {Record<string, string>} o.env TEMPORAL_ADDRESS, DATABASE_URL, CHAOS_LEDGER_URL, ...
   * @param {string} o.taskQueue
   * @param {string} o.shutdownGrace `--shutdown-grace` of each worker.
   * @param {string} o.logLevel `--log-level` of each worker.
   * @param {(event: object) => void} o.onEvent notes starts and unexpected exits.
   */
  constructor({ root, logDir, env, taskQueue, shutdownGrace, logLevel, onEvent }) {
    Object.assign(this, { root, logDir, env, taskQueue, shutdownGrace, logLevel, onEvent });
    this.live = new Map(); // pid -> { child, n, exited: Promise<{code, signal}>, expectedExit }
    this.started = 0;
    this.unexpectedExits = 0;
    this.closing = false;
  }

  /** Starts one worker; resolves to its pid once it says it polls. */
  async start() {
    const n = ++this.started;
    const log = createWriteStream(join(this.logDir, `worker-${n}.log`));
    const child = spawn(
      process.execPath,
      [join(this.root, 'bin', 'tapflow.js'), 'worker', '--activities', join(this.root, 'chaos', 'ledger-activities.mjs'),
        '--task-queue', this.taskQueue, '--shutdown-grace', this.shutdownGrace, '--max-concurrent', '20', '--log-level', this.logLevel],
      { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(log);
    let said = '';
    const ready = new Promise((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        log.write(chunk);
        said += chunk;
        if (said.includes('tapflow worker: task queue')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`worker ${n} exited (code ${code}, signal ${signal}) before it was ready; see worker-${n}.log`)));
    });
    const entry = { child, n, expectedExit: false, startedAt: Date.now() };
    entry.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
    this.live.set(child.pid, entry);
    entry.exited.then(({ code, signal }) => {
      this.live.delete(child.pid);
      if (entry.expectedExit || this.closing) return;
      this.unexpectedExits++;
      this.onEvent({ kind: 'worker-exited', pid: child.pid, code, signal });
      this.start().catch((err) => this.onEvent({ kind: 'worker-start-failed', error: err.message }));
    });
    await ready;
    this.onEvent({ kind: 'worker-started', pid: child.pid, n });
    return child.pid;
  }

  /** The pids of the workers running now. */
  pids() {
    return [...this.live.keys()];
  }

  /** SIGKILLs worker `pid`; resolves once it is gone. */
  async kill(pid) {
    const entry = this.live.get(pid);
    if (!entry) return;
    entry.expectedExit = true;
    entry.child.kill('SIGKILL');
    await entry.exited;
  }

  /** SIGTERMs worker `pid`; resolves to its exit (code, signal, when) once it has drained. */
  async drain(pid) {
    const entry = this.live.get(pid);
    if (!entry) return undefined;
    entry.expectedExit = true;
    entry.child.kill('SIGTERM');
    return entry.exited;
  }

  /** Stops every worker (SIGTERM, then SIGKILL after `graceMs`). */
  async close(graceMs = 10_000) {
    this.closing = true;
    await Promise.all(
      [...this.live.values()].map(async (entry) => {
        entry.child.kill('SIGTERM');
        const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
        await entry.exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * The Temporal dev server on a fixed port and data folder, so a restart comes back with the same
 * database at the same address.
 */
export class TemporalServer {
  /**
   * @param {object} o
   * @param {(options: object) => Promise<object>} o.startDevServer tapflow's `startDevServer` (dist/dev/temporal-dev-server.js).
   * @param {string} o.dataDir
   * @param {number} o.port
   * @param {number} o.uiPort
   */
  constructor({ startDevServer, dataDir, port, uiPort }) {
    Object.assign(this, { startDevServer, dataDir, port, uiPort });
    this.server = undefined;
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  async start() {
    this.server = await this.startDevServer({ dataDir: this.dataDir, port: this.port, uiPort: this.uiPort, startTimeoutMs: 120_000 });
  }

  /**
   * Stops the server (`kill`: SIGKILL, as a crash; otherwise SIGTERM) and starts it again once
   * its ports are free. Resolves to when it went down and when it answered again.
   */
  async restart({ kill = false } = {}) {
    const down = Date.now();
    if (kill) {
      const exited = new Promise((resolve) => this.server.process.once('exit', resolve));
      this.server.process.kill('SIGKILL');
      await exited;
    } else {
      await this.server.stop();
    }
    const stopped = Date.now();
    for (let i = 0; ; i++) {
      try {
        await this.start();
        break;
      } catch (err) {
        // The old process's ports can take a moment to be free again.
        if (i >= 40) throw err;
        await delay(250);
      }
    }
    return { down, stopped, up: Date.now() };
  }

  async stop() {
    await this.server?.stop();
  }
}
