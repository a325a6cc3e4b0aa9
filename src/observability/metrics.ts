/**
 * tapflow's Prometheus metrics (prom-client): a registry per process part (the worker's, the
 * API's), never prom-client's global one, so `tapflow dev` (a worker and the API in one process)
 * and the tests (many workers in one process) keep them apart. Every name starts `tapflow_`.
 *
 * Labels stay few and bounded: the activity name, an outcome, a state, a route pattern. Never a
 * run or node id: each would make a series per run.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Names of tapflow's metrics. */
export const METRIC_NAMES = {
  nodeDuration: 'tapflow_node_duration_seconds',
  nodeRetries: 'tapflow_node_retries_total',
  runsEnded: 'tapflow_runs_ended_total',
  pauseLatency: 'tapflow_pause_latency_seconds',
  httpDuration: 'tapflow_http_request_duration_seconds',
  runs: 'tapflow_runs',
  runsUnchanged: 'tapflow_runs_unchanged_seconds',
  notificationAttempts: 'tapflow_notification_attempts_total',
} as const;

/** How a notification's POST went, as `tapflow_notification_attempts_total`'s `outcome` says it. */
export type NotificationAttemptOutcome = 'delivered' | 'retry' | 'failed';

/** How a node attempt ended, as the duration histogram's `outcome` label says it. */
export type AttemptOutcome = 'completed' | 'failed' | 'cancelled';

/** The worker's metrics. */
export interface WorkerMetrics {
  registry: Registry;
  /** Seconds each node attempt took, by activity and outcome. */
  nodeDuration: Histogram<'activity' | 'outcome'>;
  /** Node attempts after the first (Temporal's retries), by activity. */
  nodeRetries: Counter<'activity'>;
  /** Runs that reached a final state, by that state (counted when the store records it). */
  runsEnded: Counter<'state'>;
  /** Seconds from a pause request to the run being recorded `paused`. */
  pauseLatency: Histogram<string>;
  /**
   * Webhook POSTs this worker made, by event and outcome: `delivered`, `retry` (it failed and
   * will be tried again), `failed` (it failed and was given up).
   */
  notificationAttempts: Counter<'event' | 'outcome'>;
}

/** The API's metrics. */
export interface ApiMetrics {
  registry: Registry;
  /** Seconds each request took, by method, route pattern and status code. */
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Options of the metric makers. */
export interface MetricsOptions {
  /** The registry to define the metrics in. Default: a new one. */
  registry?: Registry;
  /**
   * Also collect the Node.js process metrics (`process_*`, `nodejs_*`: CPU, memory, event loop
   * lag, GC). Default: false (a process enables them once, from its command).
   */
  processMetrics?: boolean;
}

/** Node attempts: from milliseconds to an hour. */
const NODE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** A pause waits for the nodes in flight to finish: from milliseconds to an hour. */
const PAUSE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** HTTP requests: from milliseconds to seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function registryOf(options: MetricsOptions): Registry {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Defines the worker's metrics (see {@link WorkerMetrics}). */
export function createWorkerMetrics(options: MetricsOptions = {}): WorkerMetrics {
  const registry = registryOf(options);
  return {
    registry,
    nodeDuration: new Histogram({
      name: METRIC_NAMES.nodeDuration,
      help: 'Seconds each node attempt took on this worker, by activity and outcome (completed, failed, cancelled)',
      labelNames: ['activity', 'outcome'],
      buckets: NODE_BUCKETS,
      registers: [registry],
    }),
    nodeRetries: new Counter({
      name: METRIC_NAMES.nodeRetries,
      help: 'Node attempts after the first (retries by the node retry policy) started on this worker, by activity',
      labelNames: ['activity'],
      registers: [registry],
    }),
    runsEnded: new Counter({
      name: METRIC_NAMES.runsEnded,
      help: 'Runs that ended, by final state (completed, failed, cancelled), counted once when their final record is written',
      labelNames: ['state'],
      registers: [registry],
    }),
    pauseLatency: new Histogram({
      name: METRIC_NAMES.pauseLatency,
      help: 'Seconds from a pause request (its requested_at in the store) to the run being recorded paused',
      buckets: PAUSE_BUCKETS,
      registers: [registry],
    }),
    notificationAttempts: new Counter({
      name: METRIC_NAMES.notificationAttempts,
      help: 'Notification webhook POSTs made by this worker, by event and outcome (delivered, retry: will be tried again, failed: given up)',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
  };
}

/** Defines the API's metrics (see {@link ApiMetrics}); the runs gauge is added with the store. */
export function createApiMetrics(options: MetricsOptions = {}): ApiMetrics {
  const registry = registryOf(options);
  return {
    registry,
    httpDuration: new Histogram({
      name: METRIC_NAMES.httpDuration,
      help: 'Seconds each HTTP request took, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers: [registry],
    }),
  };
}

/**
 * Adds the `tapflow_runs_unchanged_seconds{state}` gauge: for each state a run can stay in, how
 * long the run in it whose record changed least recently has gone without a change (no progress,
 * no state change), read at each scrape. What a "stuck run" alert watches. A scrape the store
 * cannot answer shows no series and reports through `onError`.
 *
 * @param read the ages (e.g. `oldestUnchangedRuns` over the store's pool).
 */
export function addRunsUnchangedGauge(
  registry: Registry,
  read: () => Promise<ReadonlyArray<{ state: string; seconds: number }>>,
  onError: (err: unknown) => void = () => undefined,
): Gauge<'state'> {
  return new Gauge({
    name: METRIC_NAMES.runsUnchanged,
    help: 'Seconds the least recently changed run in each unfinished state has gone without any change to its record (progress, state), read at each scrape',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      let rows: ReadonlyArray<{ state: string; seconds: number }>;
      try {
        rows = await read();
      } catch (err) {
        onError(err);
        return;
      }
      for (const row of rows) this.set({ state: row.state }, row.seconds);
    },
  });
}

/**
 * Adds the `tapflow_runs{state}` gauge: runs in the store by state, counted when scraped. A scrape
 * the store cannot answer shows no series (rather than stale counts) and reports through `onError`.
 *
 * @param count reads the counts (e.g. `countRunsByState` over the store's pool).
 * @param states every state to show, 0 when no run is in it.
 */
export function addRunsGauge(
  registry: Registry,
  count: () => Promise<ReadonlyArray<{ state: string; runs: number }>>,
  states: readonly string[],
  onError: (err: unknown) => void = () => undefined,
): Gauge<'state'> {
  return new Gauge({
    name: METRIC_NAMES.runs,
    help: 'Runs in the run store by state, counted at each scrape',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      let rows: ReadonlyArray<{ state: string; runs: number }>;
      try {
        rows = await count();
      } catch (err) {
        onError(err);
        return;
      }
      for (const state of states) this.set({ state }, 0);
      for (const row of rows) this.set({ state: row.state }, row.runs);
    },
  });
}
