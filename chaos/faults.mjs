// The faults a chaos run injects, one at a time on a schedule, and what each one notes so the
// report can say how long the system took to recover from it.
import { setTimeout as delay } from 'node:timers/promises';
import { firstProgressAfter } from './ledger.mjs';
import { nextStart, readInFlight as inFlightOn, readStarts } from './worker-state.mjs';

/**
 * The order and times of the faults: `kills` worker SIGKILLs, `restarts` dev server restarts,
 * `pgStops` PostgreSQL outages and `drains` worker SIGTERMs, spread over `durationMs` (from 8% to
 * 90% of it) with the rarer faults evenly apart and the kills in between, each jittered by `random`.
 */
export function scheduleFaults({ kills, restarts, pgStops, drains, durationMs, random }) {
  const rare = interleave([...Array(restarts).fill('server-restart'), ...Array(pgStops).fill('postgres-stop'), ...Array(drains).fill('worker-drain')]);
  const total = kills + rare.length;
  const kinds = Array(total).fill('worker-kill');
  rare.forEach((kind, j) => {
    kinds[Math.floor(((j + 0.5) * total) / rare.length)] = kind;
  });
  const from = durationMs * 0.08;
  const span = durationMs * 0.82;
  return kinds.map((kind, i) => ({ kind, atMs: Math.round(from + (span * (i + random() * 0.5)) / Math.max(1, total)) }));
}

/** The items reordered so that kinds alternate (a, b, c, a, b, ...). */
function interleave(items) {
  const byKind = new Map();
  for (const item of items) byKind.set(item, (byKind.get(item) ?? 0) + 1);
  const out = [];
  while (out.length < items.length) {
    for (const [kind, left] of byKind) {
      if (left > 0) {
        out.push(kind);
        byKind.set(kind, left - 1);
      }
    }
  }
  return out;
}

/** Most time to wait for the system to recover from one fault before the next one. */
const RECOVERY_WAIT_MS = 30_000;

/**
 * Injects the scheduled faults in order, each at its time but never before the system has
 * recovered from the one before (or {@link RECOVERY_WAIT_MS} has passed), so each recovery is
 * measured on its own. Resolves to one record per fault (what was done and when, in ms since the
 * epoch).
 */
export async function injectFaults(schedule, ctx) {
  const done = [];
  let restarts = 0;
  for (const fault of schedule) {
    const wait = ctx.t0 + fault.atMs - Date.now();
    if (wait > 0) await delay(wait);
    let record;
    if (fault.kind === 'worker-kill') record = await killWorker(ctx);
    else if (fault.kind === 'server-restart') record = await restartServer(ctx, restarts++);
    else if (fault.kind === 'postgres-stop') record = await stopPostgres(ctx);
    else record = await drainWorker(ctx);
    done.push(record);
    ctx.log(`fault ${done.length}/${schedule.length}: ${describe(record)}`);
    await recovered(record, ctx);
  }
  return done;
}

/** Resolves once work moves again after `fault`: what was in flight on a killed worker started elsewhere, a node started after a restart, a side effect landed after an outage. */
async function recovered(fault, ctx) {
  const until = Date.now() + RECOVERY_WAIT_MS;
  const check = async () => {
    if (fault.kind === 'worker-kill') {
      const starts = readStarts(ctx.stateDir);
      return fault.inFlight.every(({ key }) => nextStart(starts, key, fault.at, fault.pid) !== undefined);
    }
    if (fault.kind === 'server-restart') return readStarts(ctx.stateDir).some((s) => s.at > fault.up);
    if (fault.kind === 'postgres-stop') return (await firstProgressAfter(ctx.ledger, fault.up).catch(() => ({}))).applied !== undefined;
    return true;
  };
  while (Date.now() < until && !(await check())) await delay(250);
}

function describe(f) {
  if (f.kind === 'worker-kill') return `SIGKILL worker ${f.pid} with ${f.inFlight.length} node(s) in flight`;
  if (f.kind === 'server-restart') return `Temporal dev server ${f.how === 'kill' ? 'SIGKILLed' : 'stopped'} and back in ${((f.up - f.at) / 1000).toFixed(1)} s`;
  if (f.kind === 'postgres-stop') return `PostgreSQL stopped (immediate) for ${((f.up - f.at) / 1000).toFixed(1)} s`;
  return `SIGTERM worker ${f.pid} with ${f.inFlight.length} node(s) in flight: exited ${f.exit?.code} after ${((f.exit?.at - f.at) / 1000).toFixed(1)} s`;
}

/** The live worker (but `except`) with the most nodes in flight, waiting up to 5 s for one to have any. */
async function busiestWorker(ctx, except) {
  const until = Date.now() + 5000;
  let best;
  for (;;) {
    best = undefined;
    for (const pid of ctx.workers.pids()) {
      if (pid === except) continue;
      const inFlight = inFlightOn(ctx.stateDir, pid);
      if (!best || inFlight.length > best.inFlight.length) best = { pid, inFlight };
    }
    if ((best && best.inFlight.length > 0) || Date.now() > until) return best;
    await delay(200);
  }
}

async function killWorker(ctx) {
  const victim = await busiestWorker(ctx);
  if (!victim) return { kind: 'worker-kill', at: Date.now(), pid: undefined, inFlight: [] };
  const inFlight = inFlightOn(ctx.stateDir, victim.pid);
  const at = Date.now();
  await ctx.workers.kill(victim.pid);
  // A fresh worker takes its place, as a supervisor would start one.
  ctx.workers.start().catch((err) => ctx.workers.closing || ctx.log(`a fresh worker did not start: ${err.message}`));
  return { kind: 'worker-kill', at, pid: victim.pid, inFlight };
}

async function restartServer(ctx, n) {
  // Every other restart is a crash (SIGKILL) rather than a clean stop.
  const how = n % 2 === 1 ? 'kill' : 'stop';
  const at = Date.now();
  const { stopped, up } = await ctx.temporal.restart({ kill: how === 'kill' });
  return { kind: 'server-restart', how, at, stopped, up };
}

async function stopPostgres(ctx) {
  const at = Date.now();
  await ctx.postgres.stopServer('immediate');
  await delay(Math.max(0, ctx.postgresStopMs - (Date.now() - at)));
  const starting = Date.now();
  await ctx.postgres.startServer();
  return { kind: 'postgres-stop', at, starting, up: Date.now() };
}

async function drainWorker(ctx) {
  // The fresh worker starts first, so the queue is never without one while the old one drains.
  const fresh = await ctx.workers.start();
  const victim = await busiestWorker(ctx, fresh);
  if (!victim) return { kind: 'worker-drain', at: Date.now(), pid: undefined, inFlight: [] };
  const inFlight = inFlightOn(ctx.stateDir, victim.pid);
  const at = Date.now();
  const exit = await ctx.workers.drain(victim.pid);
  return { kind: 'worker-drain', at, pid: victim.pid, inFlight, exit };
}
