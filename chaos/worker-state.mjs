// What each chaos worker writes about itself to local files in CHAOS_STATE_DIR, and the reads of
// them. Local files stay true while PostgreSQL or the Temporal server is away, so the times they
// hold do not depend on the faults being measured.
//   inflight-<pid>.json   the nodes the worker is running now: [{ key, started, attempt }]
//   starts-<pid>.jsonl    one line per node execution it began: { key, attempt, at }
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes worker `pid`'s nodes in flight (a Map of key to `{ started, attempt }`). */
export function writeInFlight(dir, pid, inFlight) {
  writeFileSync(join(dir, `inflight-${pid}.json`), JSON.stringify([...inFlight].map(([key, v]) => ({ key, ...v }))));
}

/** Notes that worker `pid` began executing node `key` (attempt `attempt`) at `at`. */
export function appendStart(dir, pid, key, attempt, at) {
  appendFileSync(join(dir, `starts-${pid}.jsonl`), `${JSON.stringify({ key, attempt, at })}\n`);
}

/** The nodes worker `pid` says it is running; none when it has not run any yet. */
export function readInFlight(dir, pid) {
  try {
    return JSON.parse(readFileSync(join(dir, `inflight-${pid}.json`), 'utf8'));
  } catch {
    return [];
  }
}

/** Every execution start every worker noted, as `{ key, attempt, at, pid }`. */
export function readStarts(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const m = /^starts-(\d+)\.jsonl$/.exec(name);
    if (!m) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      // A worker killed mid-write leaves a partial last line.
      try {
        if (line) out.push({ ...JSON.parse(line), pid: Number(m[1]) });
      } catch {
        // skip it
      }
    }
  }
  return out;
}

/** When `key` next began executing after `afterMs` on a worker other than `pid`, in `starts`. */
export function nextStart(starts, key, afterMs, pid) {
  let best;
  for (const s of starts) {
    if (s.key === key && s.pid !== pid && s.at > afterMs && (best === undefined || s.at < best)) best = s.at;
  }
  return best;
}
