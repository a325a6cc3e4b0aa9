/**
 * A worker's run reconciler (see `run-reconciler.ts`): started when the worker starts running and
 * stopped, its lock given up, when the worker has stopped, so the store can be closed after
 * `worker.run()` as before.
 */
import { Client, type ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import type { StoreValueCodec } from '../store/value-codec';
import { attachToWorkerRun } from '../core/worker-run-part';
import { RunReconciler, type RunReconcilerOptions } from './run-reconciler';

/** How often a worker's reconciler sweeps and how far it looks (see {@link RunReconcilerOptions}). */
export type RunReconcilerSettings = Pick<RunReconcilerOptions, 'everyMs' | 'marginMs' | 'lookbackMs' | 'queryTimeoutMs'>;

/** What {@link attachRunReconciler} needs of the worker's own settings. */
export interface ReconcilerContext {
  /** The worker's connection to Temporal (a `NativeConnection` serves a client too). */
  connection: ConnectionLike;
  namespace: string;
  dataConverter?: DataConverter;
  pool: Pool;
  valueCodec?: StoreValueCodec;
  settings?: RunReconcilerSettings;
}

/**
 * Makes `worker.run()` start a run reconciler first and stop it once the run has ended (however
 * it ended).
 *
 * @returns the reconciler, for a caller that wants to watch it.
 */
export function attachRunReconciler(worker: { run(): Promise<void> }, context: ReconcilerContext): RunReconciler {
  const client = new Client({
    connection: context.connection,
    namespace: context.namespace,
    ...(context.dataConverter ? { dataConverter: context.dataConverter } : {}),
  });
  const reconciler = new RunReconciler({
    client,
    pool: context.pool,
    ...(context.valueCodec ? { valueCodec: context.valueCodec } : {}),
    ...context.settings,
  });
  return attachToWorkerRun(worker, reconciler);
}
