// The comparison's child processes: redis-server, the workers (tapflow, BullMQ, Celery) and the
// Celery driver. Each is started in a process group of its own, so that "kill the worker" kills
// the worker and any process it started (Celery's pool children) with one SIGKILL, as when its
// container or machine goes away. Every process started here is remembered, and `stopAll` ends
// the ones still running: the orchestrator calls it on the way out, on success or error.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const running = new Set();

/**
 * Starts `cmd args` in a new process group, stdout and stderr appended to `logFile` (stdin is a
 * pipe when `stdin` is true, else ignored). Resolves nothing: the child is returned at once, with
 * `exited`, a promise of its exit code (or signal name).
 */
export function startProcess(cmd, args, { env, cwd, logFile, stdin = false, stdout } = {}) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: [stdin ? 'pipe' : 'ignore', stdout ?? fd, fd],
  });
  running.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    });
    child.once('error', (err) => {
      running.delete(child);
      resolve(`error: ${err.message}`);
    });
  });
  return child;
}

/** Sends `signal` to the child's whole process group; false when it has already gone. */
export function signalGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the child's process group: SIGTERM, then SIGKILL when it has not exited within `graceMs`.
 * Resolves once it has exited.
 */
export async function stopProcess(child, graceMs = 5000) {
  if (!signalGroup(child, 'SIGTERM')) return;
  const outcome = await Promise.race([child.exited, delay(graceMs).then(() => 'timeout')]);
  if (outcome === 'timeout') {
    signalGroup(child, 'SIGKILL');
    await child.exited;
  }
  // The group may outlive its leader (pool children): make sure nothing of it is left.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone: nothing left
  }
}

/** Stops every process started here that is still running. */
export async function stopAll() {
  await Promise.all([...running].map((child) => stopProcess(child, 3000)));
}
