/**
 * The `tapflow` command line end to end, as a user runs it: real processes (`tapflow dev` with
 * its Temporal dev server, a separate `tapflow worker`), real files, exit codes and output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tapflow.js');
const dataDir = mkdtempSync(join(tmpdir(), 'tapflow-e2e-'));
// As root, the embedded PostgreSQL runs as the `postgres` user, who must be able to reach it.
chmodSync(dataDir, 0o755);
let env: NodeJS.ProcessEnv;
let dev: ChildProcess | undefined;
let devOutput = '';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tapflow(...args: string[]): Result {
  return tapflowIn(env, ...args);
}

/** `tapflow ...args` with the environment `e` instead of the file's. */
function tapflowIn(e: NodeJS.ProcessEnv, ...args: string[]): Result {
  const r = spawnSync('node', [BIN, ...args], { cwd: ROOT, env: e, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T = Record<string, unknown>>(r: Result): T {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startDev(port: number, uiPort: number): Promise<ChildProcess> {
  devOutput = '';
  const args = ['dev', '--port', String(port), '--ui-port', String(uiPort), '--store-port', String(storePort), '--api-port', String(apiPort), '--data-dir', dataDir];
  const child = spawn('node', [BIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (devOutput += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (devOutput += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!/^ready$/m.test(devOutput)) {
    if (child.exitCode !== null) throw new Error(`tapflow dev exited: ${devOutput}`);
    if (Date.now() > deadline) throw new Error(`tapflow dev not ready: ${devOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

async function stopDev(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

/** Processes `tapflow dev` started: the Temporal dev server and the embedded PostgreSQL. */
function serverProcesses(): string[] {
  const temporal = spawnSync('pgrep', ['-f', `db-filename ${join(dataDir, 'temporal.db')}`], { encoding: 'utf8' });
  const postgres = spawnSync('pgrep', ['-f', join(dataDir, 'postgres')], { encoding: 'utf8' });
  return `${temporal.stdout}\n${postgres.stdout}`.split('\n').filter(Boolean);
}

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let port: number;
let uiPort: number;
let storePort: number;
let apiPort: number;

beforeAll(async () => {
  port = await freePort();
  uiPort = await freePort();
  storePort = await freePort();
  apiPort = await freePort();
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    TAPFLOW_STORE_PORT: String(storePort),
    // The dev stack says where it listens in the per-user cache: one of this file's own.
    TAPFLOW_CACHE_DIR: join(dataDir, 'cache'),
  };
  delete env.TEMPORAL_PROFILE;
  delete env.DATABASE_URL;
  dev = await startDev(port, uiPort);
}, 120_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) await stopDev(dev);
});

describe('tapflow dev', () => {
  test('prints the Temporal and Web UI addresses, then ready', () => {
    expect(devOutput).toContain(`temporal   127.0.0.1:${port}`);
    expect(devOutput).toContain(`web ui     http://127.0.0.1:${uiPort}`);
    expect(devOutput).toContain(`store      postgres://tapflow:***@127.0.0.1:${storePort}/tapflow`);
    expect(devOutput).toContain(`api        http://127.0.0.1:${apiPort}`);
  });

  test('other commands find it on its ports with no TEMPORAL_ADDRESS or TAPFLOW_STORE_PORT; it says where it listens', () => {
    const info = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ temporalAddress: `127.0.0.1:${port}`, storePort, taskQueue: 'tapflow', dataDir });
    const bare = { ...env };
    delete bare.TEMPORAL_ADDRESS;
    delete bare.TAPFLOW_STORE_PORT;
    expect(json<unknown[]>(tapflowIn(bare, 'list', '--json'))).toEqual(expect.any(Array));
    expect(json<{ runs: unknown[] }>(tapflowIn(bare, 'runs', 'search', '--json')).runs).toEqual(expect.any(Array));
  });

  test('a command that cannot reach Temporal says which address it tried and how to change it', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const r = tapflowIn({ ...env, TEMPORAL_ADDRESS: dead }, 'list');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `tapflow: cannot reach Temporal at ${dead} (from TEMPORAL_ADDRESS or the Temporal profile): Failed to connect before the deadline; is "tapflow dev" (npm start) running? Otherwise set TEMPORAL_ADDRESS or --address`,
    );
  });

  test('serves the HTTP API, with tokens from its store', async () => {
    expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);
    const created = tapflow('token', 'create', '--name', 'e2e', '--grant', '*:read', '--json');
    expect(created.code).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const runs = await fetch(`http://127.0.0.1:${apiPort}/api/runs`, { headers: { authorization: `Bearer ${token}` } });
    expect(runs.status).toBe(200);
    expect(await runs.json()).toHaveProperty('runs');
    expect((await fetch(`http://127.0.0.1:${apiPort}/api/runs`)).status).toBe(401);
  });
});

describe('validate', () => {
  test('a valid spec prints its levels and exits 0', () => {
    const r = tapflow('validate', 'examples/wordcount/pipeline.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('level 1: count-0, count-1, count-2, count-3');
  });

  test('an invalid spec lists every problem, one line each, and exits 2 without a stack trace', () => {
    const file = join(dataDir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nnodes:\n  - {id: a, activity: f, needs: [fech]}\n  - {id: b, activity: f, needs: [c]}\n  - {id: c, activity: f, needs: [b]}\n');
    const r = tapflow('validate', file);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `tapflow: ${file}: nodes[0].needs[0]: unknown node "fech"`,
      `tapflow: ${file}: cycle: b -> c -> b`,
    ]);
    expect(r.stderr).not.toMatch(/\s+at /);
  });

  test('a spec name that start would refuse is refused here too', () => {
    const file = join(dataDir, 'long-name.json');
    writeFileSync(file, JSON.stringify({ name: 'n'.repeat(300), nodes: [{ id: 'a', activity: 'noop' }] }));
    const r = tapflow('validate', file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tapflow: ${file}: name: at most 200 characters, got 300`);
  });

  test('malformed YAML names the line and exits 2', () => {
    const file = join(dataDir, 'broken.yaml');
    writeFileSync(file, 'name: x\nnodes:\n  - id: a\n   activity: [\n');
    const r = tapflow('validate', file, '--json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: Array<{ message: string }> };
    expect(out.valid).toBe(false);
    expect(out.problems[0]?.message).toMatch(/broken\.yaml:\d+:\d+: malformed YAML/);
  });
});

describe('runs', () => {
  test('start --wait runs the word count example and writes its report', () => {
    const r = tapflow(
      'start', 'examples/wordcount/pipeline.yaml', '--wait', '--json', '--id', 'e2e-wordcount',
      '--tag', 'e2e', '--user', 'tester', '--group', 'qa', '--priority', '2',
    );
    const out = json<{ workflowId: string; state: string; result: { report: { path: string; words: number } } }>(r);
    expect(out.workflowId).toBe('e2e-wordcount');
    expect(out.state).toBe('completed');
    expect(out.result.report.words).toBeGreaterThan(9000);
    expect(readFileSync(out.result.report.path, 'utf8')).toContain('# Word count: e2e-wordcount');

    const status = json<{ state: string; progress: { completed: number; total: number }; nodes: unknown[] }>(
      tapflow('status', 'e2e-wordcount', '--json'),
    );
    expect(status.state).toBe('completed');
    expect(status.progress).toMatchObject({ completed: 7, total: 7 });
    expect(status.nodes).toHaveLength(7);
    expect(json(tapflow('result', 'e2e-wordcount', '--json'))).toHaveProperty('report.distinct');
  });

  test('the reviewed word count fans out with a map node and waits for its approval event', async () => {
    json(tapflow('start', 'examples/wordcount/reviewed.yaml', '--id', 'e2e-reviewed', '--json'));
    const waiting = await until(async () => {
      const st = json<{ state: string; nodes: Array<{ id: string; waitingFor?: string; items?: unknown }> }>(
        tapflow('status', 'e2e-reviewed', '--json'),
      );
      return st.nodes.find((n) => n.id === 'approve')?.waitingFor === 'publish' ? st : undefined;
    }, 'the approve node to wait for "publish"');
    expect(waiting.nodes.find((n) => n.id === 'count')?.items).toEqual({ total: 8, done: 8 });
    const sent = json<{ delivered: string[] }>(tapflow('send', 'e2e-reviewed', 'publish', '--data', '{"by":"e2e"}', '--json'));
    expect(sent.delivered).toEqual(['approve']);
    const result = json<{ report: { words: number } }>(tapflow('result', 'e2e-reviewed', '--wait', '--json'));
    // Eight chunks counted by the map add up to what the four fixed nodes of the plain example count.
    const plain = json<{ report: { words: number } }>(tapflow('result', 'e2e-wordcount', '--json'));
    expect(result.report.words).toBe(plain.report.words);
  });

  test('the dev stack records the run and every node attempt in its embedded PostgreSQL', async () => {
    const pool = new Pool({ connectionString: `postgres://tapflow:tapflow@127.0.0.1:${storePort}/tapflow` });
    try {
      const rows = await until(async () => {
        const r = await pool.query<{ node_id: string; outcome: string }>(
          "SELECT node_id, outcome FROM tapflow.node_attempts WHERE workflow_id = 'e2e-wordcount' ORDER BY node_id",
        );
        return r.rows.length === 7 && r.rows.every((row) => row.outcome === 'completed') ? r.rows : undefined;
      }, 'seven completed attempts in the store');
      expect(rows.map((r) => r.node_id)).toEqual(['count-0', 'count-1', 'count-2', 'count-3', 'merge', 'report', 'split']);
      const run = await pool.query(
        "SELECT state, tags, groups, user_name, priority, products FROM tapflow.runs WHERE workflow_id = 'e2e-wordcount'",
      );
      expect(run.rows).toEqual([
        {
          state: 'completed', tags: ['e2e'], groups: ['qa'], user_name: 'tester', priority: 2,
          products: [expect.stringMatching(/e2e-wordcount\.md$/)],
        },
      ]);
      const found = json<{ runs: Array<{ workflowId: string }> }>(tapflow('runs', 'search', '--tag', 'e2e', '--user', 'tester', '--json'));
      expect(found.runs.map((r) => r.workflowId)).toEqual(['e2e-wordcount']);
    } finally {
      await pool.end();
    }
  });

  test('history prints the attempts of a run from the store; an unknown run exits 2', () => {
    const r = tapflow('history', 'e2e-wordcount');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/split\s+attempt 1\s+started\s+splitCorpus/);
    expect(r.stdout).toMatch(/report\s+attempt 1\s+completed/);
    const out = json<{ attempts: Array<{ nodeId: string; outcome: string }> }>(tapflow('history', 'e2e-wordcount', '--json'));
    expect(out.attempts).toHaveLength(7);
    const unknown = tapflow('history', 'no-such-run');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('tapflow: the store has no record of a run "no-such-run"');
  });

  test('a bad --priority or --timeout is one line and exit 2, and starts nothing', () => {
    const priority = tapflow('start', 'examples/demo/slow.yaml', '--priority', '9', '--id', 'e2e-bad-priority');
    expect([priority.code, priority.stderr.trim()]).toEqual([
      2,
      'tapflow: priority must be a whole number from 1 (first) to 5 (last), got 9',
    ]);
    const timeout = tapflow('start', 'examples/demo/slow.yaml', '--timeout', 'never', '--id', 'e2e-bad-timeout');
    expect([timeout.code, timeout.stderr.trim()]).toEqual([
      2,
      'tapflow: timeout must be a positive duration such as "90s" or "2h", got "never"',
    ]);
    expect(tapflow('status', 'e2e-bad-priority').code).toBe(2);
  });

  test('the same --id twice is refused with exit 2', () => {
    expect(tapflow('start', 'examples/demo/slow.yaml', '--id', 'e2e-dup').code).toBe(0);
    const dup = tapflow('start', 'examples/demo/slow.yaml', '--id', 'e2e-dup');
    expect(dup.code).toBe(2);
    expect(dup.stderr.trim()).toBe('tapflow: a run with id "e2e-dup" already exists; choose another --id');
    expect(tapflow('cancel', 'e2e-dup').code).toBe(0);
  });

  test('pause, refused pause, resume, cancel --wait, and a cancelled result exits 1', async () => {
    const { workflowId } = json<{ workflowId: string; runId: string }>(tapflow('start', 'examples/demo/slow.yaml', '--json'));
    const paused = json<{ state: string }>(tapflow('pause', workflowId, '--reason', 'e2e', '--json'));
    expect(['pausing', 'paused']).toContain(paused.state);

    const again = tapflow('pause', workflowId);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/cannot pause: the run is already (pausing|paused)/);

    const resumeRunning = tapflow('resume', workflowId);
    expect(resumeRunning.code).toBe(0);
    const refused = tapflow('resume', workflowId);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cannot resume: the run is running, not paused');

    const cancelled = json<{ state: string }>(tapflow('cancel', workflowId, '--reason', 'e2e done', '--wait', '--json'));
    expect(cancelled.state).toBe('cancelled');
    const status = json<{ state: string; reason: string }>(tapflow('status', workflowId, '--json'));
    expect(status).toMatchObject({ state: 'cancelled', reason: 'e2e done' });

    const result = tapflow('result', workflowId);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`tapflow: ${workflowId} cancelled: e2e done`);
    const pauseEnded = tapflow('pause', workflowId);
    expect(pauseEnded.code).toBe(2);
    expect(pauseEnded.stderr).toContain('cannot pause: the run has already ended (cancelled)');

    const listed = await until(() => {
      const rows = json<Array<{ workflowId: string }>>(tapflow('list', '--state', 'cancelled', '--json'));
      return rows.some((r) => r.workflowId === workflowId) ? rows : undefined;
    }, 'the cancelled run to be listed');
    expect(listed.length).toBeGreaterThan(0);
  });

  test("a failed attempt is one short line in the dev stack's terminal, not a JSON dump", async () => {
    const file = join(dataDir, 'broken.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'broken', nodes: [{ id: 'count', activity: 'countWords', input: { part: 3 }, retry: { maximumAttempts: 2, initialInterval: '100ms' } }] }),
    );
    expect(tapflow('start', file, '--id', 'e2e-broken', '--wait').code).toBe(1);
    // The command ran synchronously: the stack's output comes in once the event loop turns.
    await until(() => (devOutput.includes('node "count" failed after 2 attempts') ? true : undefined), 'the run to fail in the terminal');
    const failed = devOutput.split('\n').filter((line) => line.includes('e2e-broken'));
    expect(failed).toEqual(
      expect.arrayContaining([
        'attempt failed  run e2e-broken  node count  attempt 1: countWords needs a splitCorpus node upstream, or a chunk path as its map item',
        'attempt failed  run e2e-broken  node count  attempt 2: countWords needs a splitCorpus node upstream, or a chunk path as its map item',
      ]),
    );
    // No task tokens, payloads or stacks: those stay in `tapflow worker`'s JSON lines.
    expect(devOutput).not.toContain('taskToken');
    for (const line of failed) expect(line.length).toBeLessThan(300);
  });

  test('a node naming an activity the dev worker does not host is refused at start, exit 2; --allow-unknown-activities starts it', () => {
    const file = join(dataDir, 'typo.json');
    writeFileSync(file, JSON.stringify({ name: 'typo', nodes: [{ id: 'count', activity: 'countWord' }] }));
    const refused = tapflow('start', file, '--id', 'e2e-typo');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'tapflow: nodes[0] "count": no live worker on task queue "tapflow" hosts activity "countWord"; hosted there: countWords, mergeCounts, noop, splitCorpus, wait, writeReport',
      'tapflow: start anyway with --allow-unknown-activities (a worker that is not up yet)',
    ]);
    expect(tapflow('status', 'e2e-typo').code).toBe(2);
    const anyway = tapflow('start', file, '--id', 'e2e-typo', '--allow-unknown-activities');
    expect(anyway.code).toBe(0);
    expect(tapflow('cancel', 'e2e-typo').code).toBe(0);
  });

  test('an unknown run id exits 2 with one line', () => {
    for (const args of [['status', 'no-such-run'], ['pause', 'no-such-run'], ['result', 'no-such-run']]) {
      const r = tapflow(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('tapflow: no run with id "no-such-run"');
    }
  });

  test('bad --input is refused before anything starts', () => {
    const r = tapflow('start', 'examples/demo/slow.yaml', '--input', '{nope', '--id', 'e2e-bad-input');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tapflow: --input: not valid JSON/);
    expect(tapflow('status', 'e2e-bad-input').code).toBe(2);
  });

  test('graph of a spec and of a run', () => {
    const spec = tapflow('graph', 'examples/wordcount/pipeline.yaml');
    expect(spec.code).toBe(0);
    expect(spec.stdout).toContain('flowchart TD');
    const run = tapflow('graph', 'e2e-wordcount');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('class n0,n1,n2,n3,n4,n5,n6 completed');
  });

  test('watch follows a run to its end and exits 0', () => {
    const { workflowId } = json<{ workflowId: string }>(tapflow('start', 'examples/wordcount/pipeline.yaml', '--json'));
    const r = tapflow('watch', workflowId, '--interval', '200');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/completed\s+\[#+\] 100%\s+7\/7 nodes/);
  });
});

describe('tapflow worker', () => {
  test('hosts a user module (ESM) on its own task queue, drains on SIGTERM and exits though the module holds a timer', async () => {
    const module = join(dataDir, 'greet.mjs');
    // The interval stands for what real modules hold (a database pool's idle connections): it
    // must not keep a drained worker alive.
    writeFileSync(
      module,
      'setInterval(() => {}, 1000);\nexport async function greet({ input, params }) { return `hello ${input.who} from ${params.site}`; }\n',
    );
    const spec = join(dataDir, 'greet.json');
    writeFileSync(spec, JSON.stringify({ name: 'greet', nodes: [{ id: 'hi', activity: 'greet', input: { who: 'tapflow' } }] }));
    const worker = spawn('node', [BIN, 'worker', '--activities', module, '--task-queue', 'e2e-q', '--shutdown-grace', '2s'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    worker.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    worker.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => (out.includes('tapflow worker: task queue "e2e-q"') ? true : undefined), 'the worker to start');
    const r = tapflow('start', spec, '--task-queue', 'e2e-q', '--input', '{"site":"e2e"}', '--wait', '--json');
    expect(json<{ result: unknown }>(r).result).toEqual({ hi: 'hello tapflow from e2e' });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('drained');
  });

  test('a missing activity module is one line and exit 2', () => {
    const r = tapflow('worker', '--activities', 'no/such/module.js');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('tapflow: activity module not found: no/such/module.js');
  });
});

describe('restart', () => {
  test('runs survive a restart of the dev stack, and Ctrl-C leaves no process behind', async () => {
    expect(serverProcesses().length).toBeGreaterThanOrEqual(2);
    expect(await stopDev(dev as ChildProcess)).toBe(0);
    expect(serverProcesses()).toEqual([]);
    expect(existsSync(join(dataDir, 'temporal.db'))).toBe(true);

    dev = await startDev(port, uiPort);
    const status = json<{ state: string }>(tapflow('status', 'e2e-wordcount', '--json'));
    expect(status.state).toBe('completed');
  }, 120_000);
});
