// The BullMQ side of the comparison, as the orchestrator (bench/compare/run.mjs) drives it: starts
// worker processes (bench/compare/bullmq-worker.mjs), starts a chain by enqueueing its first step,
// requests a pause the way seed 000 does (marks the operation REQUESTING PAUSE; the chain's next
// pause point stores the rest and stops), resumes by enqueueing the stored rest, and waits for the
// events the steps push. Every side (tapflow.mjs, celery.mjs) offers the same methods.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opKey, requestPause, resetOperation, waitEvent, waitReady } from './operation.mjs';
import { startProcess } from './processes.mjs';
import { nowMs } from './steplog.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The worker settings compared, with how the report names them. */
export const BULLMQ_VARIANTS = {
  default: {
    options: {},
    text: 'Worker defaults: concurrency 1, lockDuration 30 s (renewed every 15 s), stalledInterval 30 s, maxStalledCount 1',
  },
  hardened: {
    options: { lockDuration: 5000, stalledInterval: 5000 },
    text: 'lockDuration 5 s, stalledInterval 5 s (otherwise defaults)',
  },
};

/**
 * Connects to the Redis at `redisUrl` and returns the side's driver. Worker output goes to
 * `dir/bullmq-worker.log`.
 */
export async function createBullmqSide({ redisUrl, dir }) {
  const { Queue } = require('bullmq');
  const IORedis = require('ioredis');
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  // One queue per variant: a queue's stalled-job check is paced by a key that its last checker
  // set for its own stalledInterval, so workers of two variants on one queue would mix timings.
  const queues = new Map();
  const queueOf = async (variant) => {
    if (!queues.has(variant)) {
      const queue = new Queue(`compare-chain-${variant}`, { connection });
      await queue.waitUntilReady();
      queues.set(variant, queue);
    }
    return queues.get(variant);
  };
  const opVariant = new Map();
  const redis = new IORedis(connection);
  const blocking = new IORedis(connection);
  let started = 0;

  return {
    name: 'BullMQ',
    variants: BULLMQ_VARIANTS,

    /** Starts a worker process; `ready` resolves to the time it said it was ready. */
    startWorker(variant = 'default') {
      const token = `bullmq-${process.pid}-${++started}`;
      const child = startProcess(process.execPath, [join(here, 'bullmq-worker.mjs')], {
        env: {
          COMPARE_REDIS_URL: redisUrl,
          COMPARE_QUEUE: `compare-chain-${variant}`,
          COMPARE_READY_TOKEN: token,
          COMPARE_WORKER_OPTIONS: JSON.stringify(BULLMQ_VARIANTS[variant].options),
        },
        logFile: join(dir, 'bullmq-worker.log'),
      });
      return { child, ready: waitReady(connection, token, 60_000) };
    },

    /** Starts an n-step chain as operation `op` on `variant`'s queue; resolves to the time it was asked. */
    async start(op, { n, log, sleepMs, variant = 'default' }) {
      const queue = await queueOf(variant);
      opVariant.set(op, variant);
      await resetOperation(redis, op);
      const t = nowMs();
      await queue.add('step', { op, i: 0, n, total: 0, log, sleepMs });
      return t;
    },

    /** Asks the chain to pause; the flag is all there is to acknowledge. */
    async pause(op) {
      const t = nowMs();
      const marked = await requestPause(redis, op);
      return { t, ackMs: nowMs() - t, ack: marked ? 'flag set' : 'not in progress' };
    },

    /** Enqueues the stored rest of a paused chain; resolves to the time it was asked. */
    async resume(op) {
      const t = nowMs();
      const rest = JSON.parse(await redis.get(opKey(op, 'store')));
      await redis.set(opKey(op, 'completion'), 'IN PROGRESS');
      await (await queueOf(opVariant.get(op))).add('step', rest);
      return t;
    },

    /** The chain's next event (`done` or `paused`), or `{ type: 'timeout' }` after `timeoutMs`. */
    waitEnd: (op, timeoutMs) => waitEvent(blocking, op, timeoutMs),

    /** Forgets a chain that will not end (its jobs stay until close). */
    async abandon() {},

    async close() {
      for (const queue of queues.values()) {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
      await redis.quit();
      await blocking.quit();
    },
  };
}
