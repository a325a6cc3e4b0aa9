/**
 * Telling a lost connection from a refused statement, without loading the database driver: the
 * client reads it too (an idempotent start asks the store), and `tapflow` must not load `pg`.
 */
import { StoreUnavailableError } from './errors';

/**
 * Whether `err` means the connection or the server is gone (refused, reset, timed out, the server
 * shutting down or restarting) rather than a problem with the statement. Such a write can be
 * tried again once the store is back.
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
    // connect now), 53300 (too many connections); Node's socket errors.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) {
      return true;
    }
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed/i.test(err.message);
}
