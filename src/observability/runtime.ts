/**
 * Installs the Temporal SDK's runtime (one per process) with tapflow's logging and metrics: the
 * SDK's logger is the tapflow pino logger (workflow and activity lines included), the SDK core's
 * own log lines are forwarded to it, and, when asked, the core exports its metrics (`temporal_*`)
 * in the Prometheus format on a loopback port of its own, which the worker's `/metrics` appends.
 */
import { IllegalStateError } from '@temporalio/common';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { PinoRuntimeLogger } from './runtime-logger';

/** Options of {@link installRuntime}. */
export interface InstallRuntimeOptions {
  /** The tapflow logger every SDK line goes to. */
  logger: PinoLogger;
  /**
   * `host:port` for the core's Prometheus exporter (its metrics at `http://host:port/metrics`).
   * Default: no core metrics.
   */
  coreMetricsAddress?: string;
  /**
   * Signals on which every worker of the process starts draining. Default: the SDK's (SIGINT,
   * SIGTERM, SIGQUIT, SIGUSR2); `[]` for a command that handles signals itself.
   */
  shutdownSignals?: NodeJS.Signals[];
}

/** What {@link installRuntime} did. */
export interface InstalledRuntime {
  /** False when a runtime was already installed in this process: that one (and its logger) stays. */
  installed: boolean;
  /** Where the core's Prometheus metrics are served, when they are. */
  coreMetricsUrl?: string;
  /**
   * Shuts the installed runtime down (nothing when this call did not install it, or it has shut
   * itself down already, as it does once its last worker and connection have closed). Call it
   * last, when the command ends by any path: forwarding the core's log lines keeps the process
   * alive while the runtime is up, so a command that fails before its worker runs would hang.
   */
  shutdown(): Promise<void>;
}

/**
 * Installs the runtime, once per process. The SDK allows one `Runtime.install`, before any
 * worker or connection: a second call (a test process that already made workers, a command
 * called twice in one process) leaves the first runtime in place, says so on the logger, and
 * returns `installed: false`.
 *
 * @throws whatever the SDK throws for bad options (an address that cannot be bound).
 */
export function installRuntime(options: InstallRuntimeOptions): InstalledRuntime {
  const pinoLevel = options.logger.level;
  const coreLevel = pinoLevel === 'error' || pinoLevel === 'fatal' || pinoLevel === 'silent' ? 'ERROR' : 'WARN';
  const runtimeOptions: RuntimeOptions = {
    logger: new PinoRuntimeLogger(options.logger),
    telemetryOptions: {
      // The core's own lines (connection trouble, a poller's errors) go through the same logger.
      logging: { filter: { core: coreLevel, other: 'ERROR' }, forward: {} },
      ...(options.coreMetricsAddress ? { metrics: { prometheus: { bindAddress: options.coreMetricsAddress } } } : {}),
    },
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  };
  let runtime: Runtime;
  try {
    runtime = Runtime.install(runtimeOptions);
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err;
    options.logger.warn({ err }, 'the Temporal runtime was already installed in this process: its logger and metrics stay');
    return { installed: false, shutdown: async () => undefined };
  }
  return {
    installed: true,
    ...(options.coreMetricsAddress ? { coreMetricsUrl: `http://${options.coreMetricsAddress}/metrics` } : {}),
    shutdown: () => runtime.shutdown(),
  };
}
