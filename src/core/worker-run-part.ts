/**
 * A part that runs beside a worker for as long as the worker runs (the run reconciler, the
 * store's retention, the notification dispatcher): started when `worker.run()` starts and
 * stopped once it has ended, however it ended, so whoever closes the store after `worker.run()`
 * closes it under nothing. Pure: no I/O of its own.
 */

/** What such a part offers. */
export interface WorkerRunPart {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Makes `worker.run()` start `part` first and stop it once the run has ended.
 *
 * @returns `part`, for a caller that wants to watch it.
 */
export function attachToWorkerRun<P extends WorkerRunPart>(worker: { run(): Promise<void> }, part: P): P {
  const run = worker.run.bind(worker);
  worker.run = async () => {
    part.start();
    try {
      await run();
    } finally {
      await part.stop();
    }
  };
  return part;
}
