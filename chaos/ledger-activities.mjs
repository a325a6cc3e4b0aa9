// The chaos workload's activities, loaded by every chaos worker with
// `tapflow worker --activities chaos/ledger-activities.mjs`. Each export is one activity.
//
// Every node does its side effect the way HOUSE_STYLE.md asks of a production activity: keyed by
// the node's idempotency key (`call.node.key`), in one transaction with the key's row, so a retry
// after a crash finds the key and changes nothing. Beside the side effect, every execution is
// logged (no unique key) with the worker's pid, so the report can tell how often a node really
// ran, where, and how long it took to run again after its worker was killed.
//
// The ledger lives in the `chaos` schema of the database named by CHAOS_LEDGER_URL (the same
// PostgreSQL as the run store, so stopping PostgreSQL hits both).
import { Context, sleep } from '@temporalio/activity';
import pg from 'pg';
import { appendEnd, appendStart, writeInFlight } from './worker-state.mjs';

/** The nodes this worker is running now, by key (see worker-state.mjs). */
const inFlight = new Map();
const stateDir = process.env.CHAOS_STATE_DIR;

/** Runs `fn` as node `call` in flight on this worker (see {@link inFlight}). */
async function tracked(call, fn) {
  const key = call.node.key;
  const { attempt } = Context.current().info;
  const started = Date.now();
  inFlight.set(key, { started, attempt });
  if (stateDir) {
    appendStart(stateDir, process.pid, key, attempt, started);
    writeInFlight(stateDir, process.pid, inFlight);
  }
  let outcome = 'threw';
  try {
    const result = await fn();
    outcome = 'returned';
    return result;
  } catch (err) {
    if (err?.name === 'CancelledFailure') outcome = 'cancelled';
    throw err;
  } finally {
    inFlight.delete(key);
    if (stateDir) {
      appendEnd(stateDir, process.pid, key, attempt, Date.now(), outcome);
      writeInFlight(stateDir, process.pid, inFlight);
    }
  }
}

let pool;

/** The ledger's pool, opened on first use; errors on idle connections (PostgreSQL stopped) are expected. */
function ledger() {
  if (!pool) {
    const url = process.env.CHAOS_LEDGER_URL;
    if (!url) throw new Error('CHAOS_LEDGER_URL is not set: the chaos activities need the ledger database');
    pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 3000 });
    pool.on('error', () => {});
  }
  return pool;
}

/** Waits `ms`, heartbeating every 250 ms so a lost worker is noticed within the heartbeat timeout. */
async function busy(ms) {
  const ctx = Context.current();
  const until = Date.now() + ms;
  for (;;) {
    ctx.heartbeat();
    const left = until - Date.now();
    if (left <= 0) return;
    await sleep(Math.min(left, 250));
  }
}

/** Logs the start of this execution; resolves to its row id. */
async function logStart(call) {
  const info = Context.current().info;
  const { rows } = await ledger().query(
    'INSERT INTO chaos.executions (key, run_id, node_id, attempt, worker_pid) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [call.node.key, call.node.runId, call.node.nodeId, info.attempt, process.pid],
  );
  return rows[0].id;
}

async function logEnd(id, outcome) {
  await ledger().query('UPDATE chaos.executions SET finished_at = clock_timestamp(), outcome = $2 WHERE id = $1', [id, outcome]);
}

/**
 * Works for `input.ms` (heartbeating), then moves `input.amount` (default 1) into account
 * `input.account` (default the run's id), keyed by the node's key: the ledger row and the balance
 * change commit together or not at all, and a second try of the same key changes nothing.
 * Returns the upstream outputs' total plus the amount, so a run's result sums its whole graph.
 */
export function ledgerStep(call) {
  return tracked(call, () => applyStep(call));
}

/**
 * Set by `chaos/run.mjs --naive-activities 1`, to prove the suite catches what it looks for: the
 * activity then does what a careless one does, writing its side effect first, keyed by the
 * attempt rather than the node, so a worker killed mid-node leaves an effect its retry repeats.
 */
const NAIVE = process.env.CHAOS_NAIVE_ACTIVITIES === '1';

async function applyStep(call) {
  const execution = await logStart(call);
  if (NAIVE) {
    const applied = await applyEffect(call, `${call.node.key}#${Context.current().info.attempt}`);
    await busy(call.input?.ms ?? 500);
    return finish(call, execution, applied);
  }
  await busy(call.input?.ms ?? 500);
  return finish(call, execution, await applyEffect(call, call.node.key));
}

async function finish(call, execution, applied) {
  await logEnd(execution, applied ? 'applied' : 'already-applied');
  const upstream = Object.values(call.upstream ?? {}).reduce((sum, v) => sum + (typeof v === 'number' ? v : 0), 0);
  return upstream + (call.input?.amount ?? 1);
}

/** Moves the node's amount into its account under ledger key `key`, once: resolves to whether this call applied it. */
async function applyEffect(call, key) {
  const amount = call.input?.amount ?? 1;
  const account = call.input?.account ?? call.node.runId;
  const client = await ledger().connect();
  // A connection that breaks mid-transaction (PostgreSQL stopped) must fail this attempt, not
  // end the worker with an unhandled 'error' event.
  let broken;
  const onBroken = (err) => {
    broken = err;
  };
  client.on('error', onBroken);
  let applied;
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      'INSERT INTO chaos.ledger (key, run_id, node_id, account, amount) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING',
      [key, call.node.runId, call.node.nodeId, account, amount],
    );
    applied = rowCount === 1;
    if (applied) {
      await client.query(
        'INSERT INTO chaos.accounts (account, balance) VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET balance = chaos.accounts.balance + $2',
        [account, amount],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.removeListener('error', onBroken);
    client.release(broken);
  }
  return applied;
}

/**
 * {@link ledgerStep}, but its first attempt fails after working (a transient error the retry
 * policy absorbs), before touching the ledger.
 */
export function flakyLedgerStep(call) {
  return tracked(call, async () => {
    if (Context.current().info.attempt === 1) {
      await busy(call.input?.ms ?? 200);
      throw new Error('chaos: a transient failure on the first attempt');
    }
    return applyStep(call);
  });
}
