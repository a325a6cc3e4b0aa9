// The tapflow side of the comparison, as the orchestrator (bench/compare/run.mjs) drives it: the
// chain is a 1,000-node spec (node i needs node i-1) of the `compareStep` activity
// (bench/compare/tapflow-steps.mjs); workers are `tapflow worker` processes (bin/tapflow.js, the
// command a deployment runs, with its defaults) on the orchestrator's dev server; runs are started,
// paused and resumed through TapflowClient (dist/client.js). The pause check between steps is the
// engine's own. Every side (bullmq.mjs, celery.mjs) offers the same methods.
//
// The same module gives the "tapflow local" side (`createTapflowSide({ local: true })`): the same
// spec with `defaults: { local: true }`, so every step runs as a Temporal local activity on the
// worker that runs the run; its own worker process and task queue.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dist, require, root } from '../tapflow-dist.mjs';
import { startProcess } from './processes.mjs';
import { nowMs } from './steplog.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The node settings compared in the worker-kill figure, with how the report names them. */
export const TAPFLOW_VARIANTS = {
  default: {
    nodeDefaults: { heartbeatTimeout: '2s' },
    text: "tapflow's node defaults (3 attempts, 1 s initial retry interval, backoff 2, timeout 10 min) with heartbeatTimeout 2 s on every node (spec defaults); the worker is `tapflow worker` with its defaults",
  },
};

const LOCAL_TEXT =
  "`local: true` on every node (spec defaults), with tapflow's local-step defaults (3 attempts, 1 s initial retry interval, backoff 2, timeout 1 min; no heartbeatTimeout: a local step takes none); the worker is `tapflow worker` with its defaults";

/**
 * The node settings of the local-steps side: `local: true` in the spec's defaults, for every
 * chain (the timed rounds and the pause chain too). A local step takes no `heartbeatTimeout`, so
 * the worker-kill row has nothing else added. `short steps` is the same settings with the kill
 * chain's steps as short as `--short-step-ms` (run.mjs): the run ends its workflow task after
 * 200 ms of local steps or 50 of them, so short steps leave more finished steps for a kill to
 * run again.
 */
export const TAPFLOW_LOCAL_VARIANTS = {
  default: { nodeDefaults: { local: true }, text: LOCAL_TEXT },
  'short steps': { nodeDefaults: { local: true }, shortSteps: true, text: `${LOCAL_TEXT}; the kill chain's steps are short` },
};

const nodeId = (i) => `s${String(i).padStart(4, '0')}`;

/** The n-step chain spec; `nodeDefaults` go into the spec's `defaults`. */
export function chainSpec(n, nodeDefaults) {
  const spec = {
    name: 'compare-chain',
    nodes: Array.from({ length: n }, (_, i) =>
      i === 0 ? { id: nodeId(i), activity: 'compareStep', input: { i } } : { id: nodeId(i), activity: 'compareStep', input: { i }, needs: [nodeId(i - 1)] },
    ),
  };
  if (nodeDefaults) spec.defaults = nodeDefaults;
  return spec;
}

/**
 * Returns the side's driver for the dev server `env` (a TestWorkflowEnvironment); workers poll
 * `taskQueue`, and their output goes to `dir/<taskQueue>-worker-<k>.log`. With `local`, the side
 * is "tapflow local": every chain it starts has `defaults: { local: true }`.
 */
export function createTapflowSide({ env, dir, local = false, taskQueue = local ? 'compare-tapflow-local' : 'compare-tapflow' }) {
  const { TapflowClient } = dist('client.js');
  const { statusQuery } = dist('workflows', 'definitions.js');
  const { temporal } = require('@temporalio/proto');
  const tf = new TapflowClient(env.client, { taskQueue });
  const results = new Map();
  const pausing = new Set();
  const variants = local ? TAPFLOW_LOCAL_VARIANTS : TAPFLOW_VARIANTS;
  // What every chain of this side has in its spec's defaults, a variant's settings aside.
  const baseDefaults = local ? TAPFLOW_LOCAL_VARIANTS.default.nodeDefaults : undefined;
  let started = 0;

  /**
   * Resolves to `{ type: 'paused', t }` once the run says it is paused (its status query, asked
   * every 5 ms: one round trip each, answered by the worker), or never when `signal` aborts first.
   */
  async function pausedAt(op, signal) {
    const handle = env.client.workflow.getHandle(op);
    while (!signal.aborted) {
      const status = await handle.query(statusQuery);
      if (status.state === 'paused') return { type: 'paused', t: nowMs(), seenAt: nowMs() };
      await delay(5);
    }
    return new Promise(() => {});
  }

  return {
    name: local ? 'tapflow local' : 'tapflow',
    // The report's JSON key for the side.
    key: local ? 'tapflowLocal' : 'tapflow',
    variants,

    /** Starts a `tapflow worker` process; `ready` resolves once it says it polls its queue. */
    startWorker() {
      const logFile = join(dir, `${taskQueue}-worker-${++started}.log`);
      const workerEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', DATABASE_URL: '' };
      const child = startProcess(
        process.execPath,
        [join(root, 'bin', 'tapflow.js'), 'worker', '--activities', join(here, 'tapflow-steps.mjs'), '--task-queue', taskQueue, '--log-level', 'WARN'],
        { env: workerEnv, logFile, cwd: root },
      );
      const ready = (async () => {
        const deadline = nowMs() + 60_000;
        while (nowMs() < deadline && child.exitCode === null) {
          if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('tapflow worker: task queue')) return nowMs();
          await delay(20);
        }
        return undefined;
      })();
      return { child, ready };
    },

    /** Starts an n-step run as `op` (with `variant`'s node settings, if given); resolves to the time it was asked. */
    async start(op, { n, log, sleepMs, variant }) {
      const spec = chainSpec(n, variant ? variants[variant].nodeDefaults : baseDefaults);
      const t = nowMs();
      await tf.startRun(spec, { id: op, input: { log, sleepMs, n } });
      return t;
    },

    /** Pauses the run; the ack is the run's own (`pausing` while a node is in flight, else `paused`). */
    async pause(op) {
      const t = nowMs();
      const ack = await tf.pause(op);
      if (ack.state !== 'paused') pausing.add(op);
      return { t, ackMs: nowMs() - t, ack: ack.state, ...(ack.state === 'paused' ? { pausedAt: nowMs() } : {}) };
    },

    /** Resumes the run; resolves to the time it was asked. */
    async resume(op) {
      const t = nowMs();
      await tf.resume(op);
      return t;
    },

    /**
     * The run's next event: `done` (with the last node's total), `paused` (after a pause that
     * was acknowledged `pausing`), or `{ type: 'timeout' }` after `timeoutMs`.
     */
    async waitEnd(op, timeoutMs) {
      let result = results.get(op);
      if (!result) {
        result = tf.result(op, { wait: true }).then(
          (r) => ({ type: 'done', t: nowMs(), seenAt: nowMs(), total: Object.values(r)[0]?.total }),
          (err) => ({ type: 'failed', error: err.message, t: nowMs(), seenAt: nowMs() }),
        );
        results.set(op, result);
      }
      const stop = new AbortController();
      const waits = [result, delay(timeoutMs, undefined, { signal: stop.signal }).then(() => ({ type: 'timeout' }), () => ({ type: 'timeout' }))];
      if (pausing.has(op)) waits.push(pausedAt(op, stop.signal));
      const event = await Promise.race(waits);
      stop.abort();
      if (event.type === 'paused') pausing.delete(op);
      return event;
    },

    /**
     * What the run's history says about a worker kill: each timeout Temporal recorded, in order,
     * as `{ kind, timeoutType, atMs }` (`atMs` from `sinceMs`, epoch ms).
     */
    async timeouts(op, sinceMs) {
      const { EventType, TimeoutType } = temporal.api.enums.v1;
      const history = await env.client.workflow.getHandle(op).fetchHistory();
      const out = [];
      for (const e of history.events ?? []) {
        const attrs =
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
            ? ['activity task', e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType]
            : e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
              ? ['workflow task', e.workflowTaskTimedOutEventAttributes?.timeoutType]
              : undefined;
        if (!attrs) continue;
        const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
        out.push({ kind: attrs[0], timeoutType: TimeoutType[attrs[1]] ?? String(attrs[1]), atMs: at - sinceMs });
      }
      return out;
    },

    /**
     * What the run keeps in Temporal: its history events, over every execution of it (a run that
     * continued as new has several), and how many of them are markers (a local step's result is
     * one). Asked after the run has ended.
     */
    async history(op) {
      const { EventType } = temporal.api.enums.v1;
      let events = 0;
      let markers = 0;
      let executions = 0;
      let runId;
      do {
        const history = await env.client.workflow.getHandle(op, runId).fetchHistory();
        const list = history.events ?? [];
        executions += 1;
        events += list.length;
        markers += list.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).length;
        runId = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
      } while (runId);
      return { events, markers, executions };
    },

    /** Ends a run that will not end by itself. */
    async abandon(op) {
      await tf.client.workflow.getHandle(op).terminate('abandoned by the comparison').catch(() => undefined);
    },

    async close() {},
  };
}
