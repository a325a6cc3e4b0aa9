// The comparison's own Redis: Debian's redis-server (scripts/setup-compare.mjs installs it) on a
// free loopback port, with a throwaway directory and no persistence (no RDB snapshots, no AOF),
// as a queue broker is commonly run in development. Started and stopped by the orchestrator.
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { dist } from '../tapflow-dist.mjs';
import { startProcess, stopProcess } from './processes.mjs';

const { freePort } = dist('observability', 'ports.js');

/** Resolves once something accepts connections on 127.0.0.1:`port`, or throws after `timeoutMs`. */
async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
    await delay(50);
  }
}

/**
 * Starts `binary` on a free port with `dir/redis` as its directory; resolves to `{ url, port,
 * stop }`. Its output goes to `dir/redis.log`.
 */
export async function startRedis(binary, dir) {
  const port = await freePort('127.0.0.1');
  const dataDir = join(dir, 'redis');
  mkdirSync(dataDir, { recursive: true });
  const child = startProcess(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { logFile: join(dir, 'redis.log') },
  );
  await waitForPort(port, 10_000);
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopProcess(child) };
}
