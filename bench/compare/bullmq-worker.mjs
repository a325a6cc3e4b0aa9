#!/usr/bin/env node
// The BullMQ side's worker process: one BullMQ Worker on queue COMPARE_QUEUE of the Redis at
// COMPARE_REDIS_URL, running the comparison's chain the way a BullMQ user builds one: each job is
// one step, and when it has done its work it enqueues the next step itself. Between two steps
// sits seed 000's pause point: the job reads the operation's `completion`; when a pause was
// requested it stores the remaining chain (the next step's job data, which is all the rest of
// the chain needs) with the result so far, marks the operation PAUSED and enqueues nothing.
// Resuming (bench/compare/bullmq.mjs) enqueues the stored job.
//
// Why not a FlowProducer: a flow runs children before parents, so a 1,000-step chain would be a
// 1,000-deep tree built up front, whose jobs all sit in Redis waiting for their child. A paused
// flow cannot leave its remaining steps out, only hold the whole queue (Queue.pause) or move jobs
// around; and each step would read its input through getChildrenValues(). Enqueueing the next
// step from the job is the smaller, common way to chain in BullMQ, and it maps onto seed 000.
//
// COMPARE_WORKER_OPTIONS (JSON) is merged into the Worker's options: `{}` keeps BullMQ's defaults
// (see BULLMQ_VARIANTS in bench/compare/bullmq.mjs).
// Once ready it pushes `{ t }` to the list readyKey(COMPARE_READY_TOKEN). SIGTERM closes it.
import { createRequire } from 'node:module';
import { opKey, readyKey } from './operation.mjs';
import { nowMs, runStep } from './steplog.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const url = new URL(process.env.COMPARE_REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const queueName = process.env.COMPARE_QUEUE;
const variant = JSON.parse(process.env.COMPARE_WORKER_OPTIONS ?? '{}');
const redis = new IORedis(connection);
const queue = new Queue(queueName, { connection });

/** One step, then seed 000's pause point, then the next step or the stored rest of the chain. */
async function processStep(job) {
  const { op, i, n, total, log, sleepMs } = job.data;
  const next = await runStep(log, i, total, sleepMs);
  if (i + 1 === n) {
    await redis.set(opKey(op, 'completion'), 'COMPLETED');
    await redis.rpush(opKey(op, 'events'), JSON.stringify({ type: 'done', t: nowMs(), total: next }));
    return next;
  }
  const rest = { ...job.data, i: i + 1, total: next };
  if ((await redis.get(opKey(op, 'completion'))) === 'REQUESTING PAUSE') {
    await redis.set(opKey(op, 'store'), JSON.stringify(rest));
    await redis.set(opKey(op, 'result'), JSON.stringify(next));
    await redis.set(opKey(op, 'completion'), 'PAUSED');
    await redis.rpush(opKey(op, 'events'), JSON.stringify({ type: 'paused', t: nowMs(), total: next }));
    return next;
  }
  await queue.add('step', rest);
  return next;
}

const worker = new Worker(queueName, processStep, { connection, ...variant });
worker.on('error', (err) => process.stderr.write(`bullmq worker: ${err.message}\n`));
await worker.waitUntilReady();
await redis.rpush(readyKey(process.env.COMPARE_READY_TOKEN), JSON.stringify({ t: nowMs() }));

process.once('SIGTERM', async () => {
  await worker.close();
  await queue.close();
  await redis.quit();
  process.exit(0);
});
