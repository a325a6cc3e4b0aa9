/**
 * How the long-running commands (`worker`, `dev`) end the process once they have stopped.
 */

/**
 * Ends the process with `code`, after what is written to stdout and stderr has gone out.
 *
 * Called once a worker has drained and closed everything tapflow opened. An activity module can
 * still hold handles of its own (a database pool's idle connections, an interval), which would
 * keep a drained worker alive past its grace time until its supervisor kills it; the worker is
 * done, so the process ends here rather than when the last such handle lets go.
 */
export async function exitOnceStopped(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
