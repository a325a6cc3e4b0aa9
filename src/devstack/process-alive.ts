/**
 * Whether a process still runs, for files a process leaves behind it (a PostgreSQL pid file, a
 * dev stack's address file).
 */

/** Whether a process with this id is running (EPERM: it is, but another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
