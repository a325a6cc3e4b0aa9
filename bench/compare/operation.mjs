// The operation record the BullMQ and Celery sides keep in Redis, after seed 000's `operations`
// table: one chain ("operation") has a `completion` state (IN PROGRESS, REQUESTING PAUSE, PAUSED,
// COMPLETED), the remaining chain stored when it pauses (`store`) with the last step's result
// (`result`), and a list of events (`events`) its steps push when the chain pauses or ends, which
// the orchestrator waits on with BLPOP. Keys: `cmp:<op>:<field>`. celery_chain.py and
// celery_driver.py use the same keys and values.
import { createRequire } from 'node:module';
import { nowMs } from './steplog.mjs';

const require = createRequire(import.meta.url);

/** The Redis key of `field` of operation `op`. */
export const opKey = (op, field) => `cmp:${op}:${field}`;

/** The list a worker pushes `{ t }` to once it is ready, named by a token given at its start. */
export const readyKey = (token) => `cmp:ready:${token}`;

/** Starts an operation's record afresh: `IN PROGRESS`, nothing stored, no events. */
export async function resetOperation(redis, op) {
  await redis.del(opKey(op, 'store'), opKey(op, 'result'), opKey(op, 'events'));
  await redis.set(opKey(op, 'completion'), 'IN PROGRESS');
}

/**
 * Seed 000's `pause(operation_id)`: when the operation is IN PROGRESS, marks it REQUESTING PAUSE
 * for the chain's next pause point to see. Resolves to whether it was marked.
 */
export async function requestPause(redis, op) {
  // Only an operation in progress may be asked to pause; check and set in one step.
  const marked = await redis.eval(
    "if redis.call('GET', KEYS[1]) == 'IN PROGRESS' then redis.call('SET', KEYS[1], 'REQUESTING PAUSE') return 1 end return 0",
    1,
    opKey(op, 'completion'),
  );
  return marked === 1;
}

/**
 * Waits up to `timeoutMs` for the operation's next event: `{ type: 'done' | 'paused', t, total }`
 * as the worker pushed it (its `t` is the worker's clock, epoch ms), with `seenAt` (this
 * process's clock when it arrived), or `{ type: 'timeout' }`. Needs a connection of its own: BLPOP
 * blocks it.
 */
export async function waitEvent(blocking, op, timeoutMs) {
  const got = await blocking.blpop(opKey(op, 'events'), Math.max(0.01, timeoutMs / 1000));
  if (!got) return { type: 'timeout' };
  return { ...JSON.parse(got[1]), seenAt: nowMs() };
}

/**
 * Waits up to `timeoutMs` for a worker started with `token` to say it is ready; its `t`, or
 * undefined. Uses a connection of its own (ioredis `connection` options), so other waits go on
 * meanwhile.
 */
export async function waitReady(connection, token, timeoutMs) {
  const IORedis = require('ioredis');
  const own = new IORedis(connection);
  try {
    const got = await own.blpop(readyKey(token), Math.max(0.01, timeoutMs / 1000));
    return got ? JSON.parse(got[1]).t : undefined;
  } finally {
    await own.quit();
  }
}
