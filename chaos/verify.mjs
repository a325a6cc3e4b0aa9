// What a chaos run checks once the faults are over: every run ended as it should, Temporal and
// the store agree on how, every side effect of a completed run is there exactly once, and how
// long the system took to recover from each fault.
import { setTimeout as delay } from 'node:timers/promises';
import { firstProgressAfter, ledgerTotals } from './ledger.mjs';
import { nextStart, readEnds, readStarts } from './worker-state.mjs';

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/**
 * Waits up to `settleMs` for every started run to end in Temporal, then for the store to agree.
 * Resolves to one finding per run: `temporal` (its state, `lost` when Temporal has no such run,
 * or the state it is stuck in) and `store` (the store's state, or `missing`).
 */
export async function settleRuns({ client, pool, runs, settleMs, log }) {
  const findings = new Map(runs.map((r) => [r.id, { temporal: undefined, store: undefined }]));
  const until = Date.now() + settleMs;
  let open = runs.map((r) => r.id);
  while (open.length > 0 && Date.now() < until) {
    const still = [];
    for (const id of open) {
      const state = await temporalState(client, id);
      findings.get(id).temporal = state;
      if (!ENDED.has(state) && state !== 'lost') still.push(id);
    }
    if (still.length > 0 && still.length !== open.length) log(`${still.length} run(s) still going`);
    open = still;
    if (open.length > 0) await delay(2000);
  }
  // The store is written by the run's own record activity, after its end: give it a moment.
  for (let i = 0; ; i++) {
    const stored = await storeStates(pool, runs.map((r) => r.id));
    let agree = true;
    for (const [id, f] of findings) {
      f.store = stored.get(id) ?? 'missing';
      if (f.store !== f.temporal) agree = false;
    }
    if (agree || i >= 15) break;
    await delay(1000);
  }
  return findings;
}

async function temporalState(client, id) {
  for (let i = 0; ; i++) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      const state = d.typedSearchAttributes.get({ name: 'TapflowState', type: 'KEYWORD' });
      if (d.status.name === 'RUNNING') return state ?? 'running';
      // Closed: the state search attribute holds the end tapflow wrote; a run closed without one
      // (terminated, timed out) shows Temporal's status.
      return ENDED.has(state) ? state : d.status.name.toLowerCase();
    } catch (err) {
      if (err?.name === 'WorkflowNotFoundError') return 'lost';
      if (i >= 20) throw err;
      await delay(500);
    }
  }
}

async function storeStates(pool, ids) {
  const { rows } = await pool.query('SELECT workflow_id, state FROM tapflow.runs WHERE workflow_id = ANY($1)', [ids]);
  return new Map(rows.map((r) => [r.workflow_id, r.state]));
}

/** `child>node` for a node of child run `<run>/child...`, `node` for the run's own. */
function ident(topId, runId, nodeId) {
  if (runId === topId) return nodeId;
  return `${runId.slice(topId.length + 1).split('/')[0]}>${nodeId}`;
}

/**
 * Checks the ledger against what each run's end says must be there. A completed run must hold
 * each of its pipeline's side effects exactly once; a run of any end must hold none twice; and
 * the balances must equal the ledger's sum.
 */
export async function checkLedger({ ledger, runs, findings }) {
  const totals = await ledgerTotals(ledger);
  const byTop = new Map();
  for (const [runId, nodes] of totals.perRun) {
    const top = runId.split('/')[0];
    if (!byTop.has(top)) byTop.set(top, []);
    for (const [nodeId, n] of nodes) byTop.get(top).push({ runId, nodeId, n });
  }
  let doubled = 0;
  let effectsLost = 0;
  const problems = [];
  for (const run of runs) {
    const rows = byTop.get(run.id) ?? [];
    const seen = new Map();
    for (const row of rows) {
      const key = ident(run.id, row.runId, row.nodeId);
      seen.set(key, (seen.get(key) ?? 0) + row.n);
    }
    for (const [key, n] of seen) {
      const allowed = run.pipeline.effects[key] ?? 0;
      if (n > allowed) {
        doubled += n - allowed;
        problems.push(`${run.id}: side effect of ${key} applied ${n} times`);
      }
    }
    if (findings.get(run.id)?.temporal === 'completed') {
      for (const [key, want] of Object.entries(run.pipeline.effects)) {
        const got = seen.get(key) ?? 0;
        if (got < want) {
          effectsLost += want - got;
          problems.push(`${run.id}: completed without the side effect of ${key}`);
        }
      }
    }
  }
  if (totals.balanceOff !== 0) {
    doubled += totals.balanceOff;
    problems.push(`account balances are off the ledger by ${totals.balanceOff}`);
  }
  // Every side effect of a completed run has its node's completed attempt in the store.
  const completed = runs.filter((r) => findings.get(r.id)?.temporal === 'completed').map((r) => r.id);
  const { rows: missing } = await ledger.query(
    `SELECT l.run_id, l.node_id FROM chaos.ledger l
      WHERE split_part(l.run_id, '/', 1) = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM tapflow.node_attempts a WHERE a.workflow_id = l.run_id AND a.node_id = l.node_id AND a.outcome = 'completed')`,
    [completed],
  );
  for (const m of missing) problems.push(`${m.run_id}: node ${m.node_id} completed, but the store has no completed attempt of it`);
  return { doubled, effectsLost, problems, totals, attemptsMissing: missing.length };
}

/**
 * How long each fault took to recover from, in ms:
 * - worker kill: from the kill until the last of its in-flight nodes started again elsewhere
 *   (`nodeMs`: until each of them did);
 * - server restart: from the server answering again until the next node started;
 * - PostgreSQL stop: from PostgreSQL accepting connections again until the next side effect landed;
 * - worker drain: from SIGTERM until the worker exited, and how many of its nodes it finished.
 * A node in flight on a killed worker whose run was cancelled meanwhile need not start again.
 */
export async function recoveryTimes({ ledger, stateDir, faults, runs, findings }) {
  const starts = readStarts(stateDir);
  const cancelled = new Set(runs.filter((r) => findings.get(r.id)?.temporal === 'cancelled').map((r) => r.id));
  const out = [];
  for (const f of faults) {
    if (f.kind === 'worker-kill') {
      const nodeMs = [];
      let unrecovered = 0;
      for (const { key } of f.inFlight) {
        const next = nextStart(starts, key, f.at, f.pid);
        if (next === undefined) {
          if (!cancelled.has(key.split('/')[0])) unrecovered++;
        } else nodeMs.push(next - f.at);
      }
      const recoveryMs = nodeMs.length ? Math.max(...nodeMs) : undefined;
      const movedOnMs = await runsMovedOn(ledger, starts, f);
      out.push({ kind: f.kind, at: f.at, inFlight: f.inFlight.length, recoveryMs, nodeMs, movedOnMs, unrecovered });
    } else if (f.kind === 'server-restart') {
      const next = starts.filter((s) => s.at > f.up).reduce((a, s) => Math.min(a, s.at), Infinity);
      out.push({ kind: f.kind, how: f.how, at: f.at, downMs: f.up - f.at, recoveryMs: Number.isFinite(next) ? next - f.up : undefined });
    } else if (f.kind === 'postgres-stop') {
      const p = await firstProgressAfter(ledger, f.up);
      out.push({ kind: f.kind, at: f.at, downMs: f.up - f.at, recoveryMs: p.applied === undefined ? undefined : p.applied - f.up });
    } else {
      const finished = finishedOn(stateDir, f);
      out.push({ kind: f.kind, at: f.at, inFlight: f.inFlight.length, finishedInFlight: finished, exitCode: f.exit?.code, drainMs: f.exit ? f.exit.at - f.at : undefined });
    }
  }
  return out;
}

/**
 * For each node in flight on a killed worker whose run has another node after it: how long after
 * the node's retry finished the run started its next node. That is the time the run's workflow
 * task took to reach a live worker, which a kill can hold up: Temporal first offers it to the
 * killed worker's sticky queue, until the sticky schedule-to-start timeout passes.
 */
async function runsMovedOn(ledger, starts, f) {
  const out = [];
  for (const { key } of f.inFlight) {
    const runId = key.slice(0, key.lastIndexOf('/'));
    const { rows } = await ledger.query(
      'SELECT extract(epoch FROM min(finished_at)) * 1000 AS t FROM chaos.executions WHERE key = $1 AND finished_at IS NOT NULL AND started_at > to_timestamp($2 / 1000.0)',
      [key, f.at],
    );
    const finished = rows[0]?.t == null ? undefined : Number(rows[0].t);
    if (finished === undefined) continue;
    // The next node of the same run (not of a child or parent run) to start after it.
    const next = starts
      .filter((s) => s.key !== key && s.key.startsWith(`${runId}/`) && !s.key.slice(runId.length + 1).includes('/') && s.at > finished)
      .reduce((a, s) => Math.min(a, s.at), Infinity);
    if (Number.isFinite(next)) out.push(next - finished);
  }
  return out;
}

/**
 * How many of a drained worker's nodes in flight it took to their end itself: the attempt
 * returned, or failed with an error Temporal retries (the flaky node's first attempt does, on
 * purpose). An attempt cancelled, or never ended, was abandoned.
 */
function finishedOn(stateDir, f) {
  if (!f.pid || f.inFlight.length === 0) return 0;
  const ends = readEnds(stateDir, f.pid);
  return f.inFlight.filter(({ key, attempt }) => ends.some((e) => e.key === key && e.attempt === attempt && e.outcome !== 'cancelled')).length;
}
