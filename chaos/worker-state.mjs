// What each chaos worker writes about itself to local files in CHAOS_STATE_DIR, and the reads of
// them. Local files stay true while PostgreSQL or the Temporal server is away, so the times they
// hold do not depend on the faults being measured.
//   inflight-<pid>.json   the nodes the worker is running now: [{ key, started, attempt }]
//   starts-<pid>.jsonl    one line per node execution it began: { key, attempt, at }
//   ends-<pid>.jsonl      one line per node execution it ended: { key, attempt, at, outcome }
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

/**
 * Notes that worker `pid` ended executing node `key` (attempt `attempt`) at `at`: `outcome` is
 * `returned`, `threw` (the attempt failed, and Temporal has its failure to retry) or `cancelled`.
 */
export function appendEnd(dir, pid, key, attempt, at, outcome) {
  appendFileSync(join(dir, `ends-${pid}.jsonl`), `${JSON.stringify({ key, attempt, at, outcome })}\n`);
}

/** Every execution end worker `pid` noted, as `{ key, attempt, at, outcome }`. */
export function readEnds(dir, pid) {
  return readLines(join(dir, `ends-${pid}.jsonl`)).map((line) => JSON.parse(line));
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
    if (m) for (const line of readLines(join(dir, name))) out.push({ ...JSON.parse(line), pid: Number(m[1]) });
  }
  return out;
}

/** The whole lines of a `.jsonl` file that parse (a worker killed mid-write leaves a partial last line); none when it is missing. */
function readLines(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => {
    try {
      return line !== '' && JSON.parse(line) !== undefined;
    } catch {
      return false;
    }
  });
}

/** When `key` next began executing after `afterMs` on a worker other than `pid`, in `starts`. */
export function nextStart(starts, key, afterMs, pid) {
  let best;
  for (const s of starts) {
    if (s.key === key && s.pid !== pid && s.at > afterMs && (best === undefined || s.at < best)) best = s.at;
  }
  return best;
}
