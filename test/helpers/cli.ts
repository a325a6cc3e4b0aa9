/**
 * The `tapflow` command line as a user runs it (`node bin/tapflow.js`, on the built `dist/`),
 * for tests that check its output and exit codes.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tapflow.js');

/** What one command printed, and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tapflow ...args` with `env` added to a clean copy of this process's environment (no
 * Temporal profile or store of the developer's own leaks in).
 */
export function tapflow(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  const base = { ...process.env };
  for (const key of ['DATABASE_URL', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_NAMESPACE', 'TAPFLOW_DEBUG']) delete base[key];
  return new Promise((resolve, reject) => {
    const child = spawn('node', [BIN, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `stdout` parsed as JSON, after checking the command succeeded. */
export function parseJson<T>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A loopback port nothing listens on (free when asked). */
export function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
