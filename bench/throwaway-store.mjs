// A throwaway run store for the benchmarks, as `tapflow dev` records runs: an embedded PostgreSQL
// (its own temporary data folder, fsync off), migrated, a pool, and a started attempt recorder.
import { dist } from './tapflow-dist.mjs';

const { startEmbeddedPostgres } = dist('devstack', 'embedded-postgres.js');
const { AttemptRecorder } = dist('store', 'attempt-recorder.js');
const { migrate } = dist('store', 'migrate.js');
const { createPool, withPgClient } = dist('store', 'pool.js');

/**
 * Starts a throwaway store.
 *
 * @param {object} [options]
 * @param {number} [options.max] the pool's size (default: the pool's own, as `openStore`)
 * @param {object} [options.recorder] options for the `AttemptRecorder` (`lingerMs` ...)
 * @param {(args: unknown[]) => ((result: unknown) => void) | void} [options.onQuery] called just
 *   before any of the pool's connections sends a statement, with its arguments; a function it
 *   returns is called with what the query returned (a promise)
 * @returns `{ pg, pool, recorder, close }`: `close()` drains the recorder, ends the pool and stops
 *   PostgreSQL, and is safe to call once the benchmark's workers have stopped.
 */
export async function startThrowawayStore({ max, recorder: recorderOptions = {}, onQuery } = {}) {
  const pg = await startEmbeddedPostgres();
  const pool = createPool(pg.url, max ? { max } : {});
  try {
    await withPgClient(pool, (c) => migrate(c));
  } catch (err) {
    await pool.end();
    await pg.stop();
    throw err;
  }
  if (onQuery) {
    const wrapped = new WeakSet();
    pool.on('acquire', (c) => {
      if (wrapped.has(c)) return;
      wrapped.add(c);
      const query = c.query.bind(c);
      c.query = (...args) => {
        const after = onQuery(args);
        const result = query(...args);
        if (after) after(result);
        return result;
      };
    });
  }
  const recorder = new AttemptRecorder(pool, recorderOptions);
  recorder.start();
  const close = async () => {
    await recorder.drain();
    await pool.end();
    await pg.stop();
  };
  return { pg, pool, recorder, close };
}
