// The chaos ledger's tables and the reads the report makes of them. The activities that write
// them are in ledger-activities.mjs.
import pg from 'pg';

const SCHEMA = `
CREATE SCHEMA IF NOT EXISTS chaos;
-- One row per side effect, keyed by the node's idempotency key: a retry finds its key and adds nothing.
CREATE TABLE IF NOT EXISTS chaos.ledger (
  key        text PRIMARY KEY,
  run_id     text NOT NULL,
  node_id    text NOT NULL,
  account    text NOT NULL,
  amount     integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ledger_run_idx ON chaos.ledger (run_id, node_id);
-- The balance the side effects move: it must equal the ledger's sum, or an effect was applied twice.
CREATE TABLE IF NOT EXISTS chaos.accounts (
  account text PRIMARY KEY,
  balance bigint NOT NULL
);
-- Every execution of a node's activity, with no unique key: how often nodes really ran, and where.
CREATE TABLE IF NOT EXISTS chaos.executions (
  id          bigserial PRIMARY KEY,
  key         text NOT NULL,
  run_id      text NOT NULL,
  node_id     text NOT NULL,
  attempt     integer NOT NULL,
  worker_pid  integer NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  outcome     text
);
CREATE INDEX IF NOT EXISTS executions_key_idx ON chaos.executions (key, started_at);
`;

/** Creates the ledger's schema and tables in the database at `url` (safe to run again). */
export async function createLedger(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(SCHEMA);
  } finally {
    await client.end();
  }
}

/** Opens a small pool on the ledger; its idle-connection errors (PostgreSQL stopped) are ignored. */
export function openLedgerPool(url) {
  const pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  return pool;
}

/** When the first logged execution started after `afterMs`, and when the first side effect landed after it. */
export async function firstProgressAfter(pool, afterMs) {
  const { rows } = await pool.query(
    `SELECT (SELECT extract(epoch FROM min(started_at)) * 1000 FROM chaos.executions WHERE started_at > to_timestamp($1 / 1000.0)) AS started,
            (SELECT extract(epoch FROM min(applied_at)) * 1000 FROM chaos.ledger WHERE applied_at > to_timestamp($1 / 1000.0)) AS applied`,
    [afterMs],
  );
  const r = rows[0] ?? {};
  return { started: r.started == null ? undefined : Number(r.started), applied: r.applied == null ? undefined : Number(r.applied) };
}

/**
 * What the ledger holds, for the report: per run, its side effects by node; how many executions
 * there were and how many keys ran more than once; and whether the balances equal the ledger.
 */
export async function ledgerTotals(pool) {
  const perRun = new Map();
  const { rows } = await pool.query('SELECT run_id, node_id, count(*)::int AS n FROM chaos.ledger GROUP BY run_id, node_id');
  for (const r of rows) {
    if (!perRun.has(r.run_id)) perRun.set(r.run_id, new Map());
    perRun.get(r.run_id).set(r.node_id, r.n);
  }
  const exec = (
    await pool.query(
      `SELECT count(*)::int AS executions,
              count(DISTINCT key)::int AS keys,
              (SELECT count(*)::int FROM (SELECT key FROM chaos.executions GROUP BY key HAVING count(*) > 1) k) AS rerun_keys
         FROM chaos.executions`,
    )
  ).rows[0];
  const balance = (
    await pool.query(
      `SELECT coalesce(sum(abs(a.balance - coalesce(l.total, 0))), 0)::bigint AS off
         FROM chaos.accounts a LEFT JOIN (SELECT account, sum(amount) AS total FROM chaos.ledger GROUP BY account) l USING (account)`,
    )
  ).rows[0];
  return { perRun, executions: exec.executions, executedKeys: exec.keys, rerunKeys: exec.rerun_keys, balanceOff: Number(balance.off) };
}
