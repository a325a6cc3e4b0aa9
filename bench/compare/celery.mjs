// The Celery side of the comparison, as the orchestrator (bench/compare/run.mjs) drives it: starts
// Celery workers (`python -m celery -A celery_chain worker`, separate processes with their pool
// children) and one long-lived Python driver (celery_driver.py) that starts, pauses and resumes
// chains the way seed 000 does; waits for the events the chain's tasks push to Redis. The Python
// packages come from .tools/python-compare/ (scripts/setup-compare.mjs). Every side (tapflow.mjs,
// bullmq.mjs) offers the same methods.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitEvent, waitReady } from './operation.mjs';
import { startProcess, stopProcess } from './processes.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The worker settings compared, with how the report names them. */
export const CELERY_VARIANTS = {
  default: {
    env: {},
    text: 'Celery defaults: acks early (task_acks_late off), prefork pool, 1 process per core, prefetch multiplier 4; Redis visibility_timeout 1 h',
  },
  hardened: {
    env: { COMPARE_CELERY_HARDENED: '1' },
    text: 'task_acks_late, task_reject_on_worker_lost, visibility_timeout 10 s, unacked_restore_interval 1 s (throttle 1)',
  },
};

/**
 * Starts the Python driver against the Redis at `redisUrl` and returns the side's driver.
 * `python` is a Python 3 with the packages of `pythonPath` importable; worker and driver output
 * goes to `dir/celery-*.log`.
 */
export async function createCelerySide({ redisUrl, dir, python, pythonPath }) {
  const IORedis = require('ioredis');
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const blocking = new IORedis(connection);
  // No __pycache__ in the checkout: bytecode of celery_chain.py would land next to it.
  const env = { COMPARE_REDIS_URL: redisUrl, PYTHONPATH: [pythonPath, here].join(delimiter), PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const driver = startProcess(python, [join(here, 'celery_driver.py')], {
    env,
    cwd: here,
    logFile: join(dir, 'celery-driver.log'),
    stdin: true,
    stdout: 'pipe',
  });
  const answers = createInterface({ input: driver.stdout })[Symbol.asyncIterator]();
  let queue = Promise.resolve();
  /** Sends one command and resolves to its answer; commands go one at a time. */
  const ask = (command) => {
    const answer = queue.then(async () => {
      driver.stdin.write(`${JSON.stringify(command)}\n`);
      const next = await answers.next();
      if (next.done) throw new Error(`the Celery driver exited (${await driver.exited}); see ${join(dir, 'celery-driver.log')}`);
      const parsed = JSON.parse(next.value);
      if (parsed.error) throw new Error(`Celery driver, ${command.cmd}: ${parsed.error}`);
      return parsed;
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
  let started = 0;

  return {
    name: 'Celery',
    variants: CELERY_VARIANTS,

    /** Starts a worker process; `ready` resolves to the time it said it was ready. */
    startWorker(variant = 'default') {
      const token = `celery-${process.pid}-${++started}`;
      const child = startProcess(python, ['-m', 'celery', '-A', 'celery_chain', 'worker', '--loglevel', 'WARNING', '-n', `${token}@%h`], {
        env: { ...env, ...CELERY_VARIANTS[variant].env, COMPARE_READY_TOKEN: token },
        cwd: here,
        logFile: join(dir, 'celery-worker.log'),
      });
      return { child, ready: waitReady(connection, token, 60_000) };
    },

    /** Starts an n-step chain as operation `op`; resolves to the time it was asked. */
    async start(op, { n, log, sleepMs }) {
      return (await ask({ cmd: 'start', op, n, log, sleepMs })).t;
    },

    /** Asks the chain to pause (seed 000's flag); the flag is all there is to acknowledge. */
    async pause(op) {
      const a = await ask({ cmd: 'pause', op });
      return { t: a.t, ackMs: a.doneAt - a.t, ack: a.ack };
    },

    /** Sends the stored rest of a paused chain; resolves to the time it was asked. */
    async resume(op) {
      return (await ask({ cmd: 'resume', op })).t;
    },

    /** The chain's next event (`done` or `paused`), or `{ type: 'timeout' }` after `timeoutMs`. */
    waitEnd: (op, timeoutMs) => waitEvent(blocking, op, timeoutMs),

    /** Forgets a chain that will not end: drops whatever of it is still queued. */
    async abandon() {
      await blocking.del('celery', 'unacked', 'unacked_index');
    },

    async close() {
      driver.stdin.end();
      await stopProcess(driver);
      await blocking.quit();
    },
  };
}
