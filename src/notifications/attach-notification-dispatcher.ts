/**
 * A worker's notification dispatcher (see `notification-dispatcher.ts`): started when the worker
 * starts running, stopped when it has stopped, so the store can be closed after `worker.run()`.
 */
import { attachToWorkerRun } from '../core/worker-run-part';
import { NotificationDispatcher, type NotificationDispatcherOptions } from './notification-dispatcher';

/**
 * Makes `worker.run()` start a dispatcher first and stop it once the run has ended (however it ended).
 *
 * @returns the dispatcher, for a caller that wants to watch it.
 */
export function attachNotificationDispatcher(worker: { run(): Promise<void> }, options: NotificationDispatcherOptions): NotificationDispatcher {
  return attachToWorkerRun(worker, new NotificationDispatcher(options));
}
