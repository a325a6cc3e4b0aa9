// The chaos workload: the mixed pipelines, the seeded plan of which run gets which pipeline and
// which control actions, and what each run's side effects and end must be.
import { seededRandom } from '../bench/common.mjs';

/**
 * Node defaults every chaos pipeline uses. A node on a killed worker runs again once its
 * heartbeat timeout has passed and its retry interval after it (a steady 1 s here), so the two
 * bound the recovery. The retry budget (an attempt a second, 40 in all) is sized for a 10 s
 * PostgreSQL outage plus a few killed workers (each costs the node an attempt), as a deployment
 * that wants to ride out such faults would set it: tapflow's own default (3 attempts, from 1 s
 * doubling) would fail nodes through a 10 s outage.
 */
export const CHAOS_DEFAULTS = {
  heartbeatTimeout: '5s',
  timeout: '2m',
  retry: { maximumAttempts: 40, initialInterval: '1s', backoffCoefficient: 1 },
};

/** The heartbeat timeout above, in milliseconds (the recovery target is this plus 2 s). */
export const HEARTBEAT_TIMEOUT_MS = 5000;

const step = (id, ms, needs = [], activity = 'ledgerStep') => ({ id, activity, input: { ms }, ...(needs.length ? { needs } : {}) });

/**
 * The pipelines, each with the side effects a completed run must hold: `effects` maps a node
 * (`id`, or `child>id` for a node of a child run) to how many ledger rows it writes.
 */
export const PIPELINES = [
  {
    spec: {
      name: 'chaos-chain',
      defaults: CHAOS_DEFAULTS,
      nodes: [step('a', 600), step('b', 900, ['a']), step('c', 400, ['b']), step('d', 1200, ['c']), step('e', 500, ['d'])],
    },
    effects: { a: 1, b: 1, c: 1, d: 1, e: 1 },
  },
  {
    spec: {
      name: 'chaos-fanout',
      maxParallel: 3,
      defaults: CHAOS_DEFAULTS,
      nodes: [
        step('split', 300),
        ...['p1', 'p2', 'p3', 'p4', 'p5'].map((id, i) => step(id, 700 + 200 * i, ['split'])),
        step('join', 400, ['p1', 'p2', 'p3', 'p4', 'p5']),
      ],
    },
    effects: { split: 1, p1: 1, p2: 1, p3: 1, p4: 1, p5: 1, join: 1 },
  },
  {
    spec: {
      name: 'chaos-dag',
      defaults: CHAOS_DEFAULTS,
      nodes: [
        step('load', 500),
        step('left', 1000, ['load'], 'flakyLedgerStep'),
        step('right', 800, ['load']),
        step('merge', 600, ['left', 'right']),
        { id: 'rest', kind: 'sleep', duration: '2s', needs: ['merge'] },
        step('publish', 400, ['rest']),
      ],
    },
    effects: { load: 1, left: 1, right: 1, merge: 1, publish: 1 },
  },
  {
    spec: {
      name: 'chaos-child',
      defaults: CHAOS_DEFAULTS,
      nodes: [
        step('prepare', 400),
        {
          id: 'sub',
          kind: 'pipeline',
          needs: ['prepare'],
          pipeline: { name: 'chaos-sub', defaults: CHAOS_DEFAULTS, nodes: [step('s1', 700), step('s2', 700, ['s1'])] },
        },
        step('finish', 400, ['sub']),
      ],
    },
    effects: { prepare: 1, 'sub>s1': 1, 'sub>s2': 1, finish: 1 },
  },
];

/**
 * The plan: `runs` runs spread over `spreadMs`, each with its pipeline, when it starts, and an
 * optional control action (about 1 in 6 paused and resumed a few seconds later, 1 in 12
 * cancelled), which decides the end it must reach.
 */
export function planRuns({ runs, spreadMs, seed }) {
  const random = seededRandom(seed);
  return Array.from({ length: runs }, (_, i) => {
    const pipeline = PIPELINES[i % PIPELINES.length];
    const roll = random();
    const action = roll < 1 / 12 ? 'cancel' : roll < 1 / 12 + 1 / 6 ? 'pause' : undefined;
    return {
      id: `chaos-${seed}-${String(i).padStart(4, '0')}`,
      pipeline,
      startAtMs: Math.round((spreadMs * i) / Math.max(1, runs)),
      action,
      // How long after its start the action is sent; a paused run is resumed 2-6 s later.
      actionAfterMs: 1000 + Math.round(random() * 3000),
      pauseForMs: 2000 + Math.round(random() * 4000),
      expectedEnd: action === 'cancel' ? 'cancelled' : 'completed',
    };
  });
}
