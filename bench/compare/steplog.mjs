// The comparison's step log: what every step of every implementation writes, and what the
// orchestrator reads back from it. All three implementations (tapflow, BullMQ, Celery) run the
// same workload: step i of an n-step chain adds i to the running total it got from step i-1, so
// the last step's total is n(n-1)/2 only if every step ran and each fed the next. Each step also
// appends two lines to the chain's log file (O_APPEND, one write each, so lines from several
// processes never mix):
//
//   S <i> <epoch ms> <pid>            when step i starts
//   E <i> <epoch ms> <total> <pid>    when it ends (its unit of work done)
//
// Times are wall-clock epoch milliseconds with a fraction (Node: performance.timeOrigin +
// performance.now(); Python: time.time() * 1000), so lines from different processes on this
// machine compare. The celery side writes the same format (bench/compare/celery_chain.py).
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** The total a correct n-step chain ends with: 0 + 1 + ... + (n - 1). */
export const expectedTotal = (n) => (n * (n - 1)) / 2;

/**
 * Does step `i`'s unit of work and logs it: writes its start, sleeps `sleepMs` (0: none), adds `i`
 * to `total`, writes its end. Resolves to the new total.
 */
export async function runStep(log, i, total, sleepMs) {
  appendFileSync(log, `S ${i} ${nowMs().toFixed(3)} ${process.pid}\n`);
  if (sleepMs > 0) await delay(sleepMs);
  const next = total + i;
  appendFileSync(log, `E ${i} ${nowMs().toFixed(3)} ${next} ${process.pid}\n`);
  return next;
}

/** The log's lines as `{ kind: 'S' | 'E', i, t, total?, pid }`, in file order. */
export function readStepLog(log) {
  return existsSync(log) ? parseLines(readFileSync(log, 'utf8')) : [];
}

function parseLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] === 'S' && f.length === 4) out.push({ kind: 'S', i: Number(f[1]), t: Number(f[2]), pid: Number(f[3]) });
    else if (f[0] === 'E' && f.length === 5) out.push({ kind: 'E', i: Number(f[1]), t: Number(f[2]), total: Number(f[3]), pid: Number(f[4]) });
  }
  return out;
}

/**
 * What the log of an n-step chain says happened: per step how often it started and ended; the
 * steps that never ended (`lost`), started more than once (`startedTwice`) or ended more than
 * once (`ranTwice`: its unit of work done twice); whether the ends came in order 0..n-1 each
 * once (`inOrder`); the last total logged; and the hops: for each i, the time from step i's first
 * end to step i+1's first start after it, in ms (hops that overlap one of the `[from, to]` time
 * windows in `exclude`, such as a pause, left out).
 */
export function analyseStepLog(lines, n, exclude = []) {
  const starts = Array.from({ length: n }, () => []);
  const ends = Array.from({ length: n }, () => []);
  const endOrder = [];
  let lastTotal = Number.NaN;
  for (const l of lines) {
    if (!(l.i >= 0 && l.i < n)) continue;
    if (l.kind === 'S') starts[l.i].push(l.t);
    else {
      ends[l.i].push(l.t);
      endOrder.push(l.i);
      lastTotal = l.total;
    }
  }
  const hops = [];
  for (let i = 0; i + 1 < n; i++) {
    const a = ends[i][0];
    if (a === undefined) continue;
    const b = starts[i + 1].filter((t) => t >= a).sort((x, y) => x - y)[0];
    if (b === undefined) continue;
    if (exclude.some(([from, to]) => a <= to && b >= from)) continue;
    hops.push(b - a);
  }
  const range = (pred) => [...Array(n).keys()].filter(pred);
  return {
    lines: lines.length,
    startedSteps: starts.filter((s) => s.length > 0).length,
    endedSteps: ends.filter((e) => e.length > 0).length,
    lost: range((i) => ends[i].length === 0),
    startedTwice: range((i) => starts[i].length > 1),
    ranTwice: range((i) => ends[i].length > 1),
    inOrder: endOrder.length === n && endOrder.every((v, k) => v === k),
    lastTotal,
    hops,
  };
}

/**
 * Follows a step log as it grows: each `poll()` returns the lines appended since the last one.
 * Reads only the new bytes, so polling every few milliseconds stays cheap.
 */
export class StepLogTail {
  constructor(log) {
    this.log = log;
    this.offset = 0;
    this.rest = '';
  }

  poll() {
    if (!existsSync(this.log)) return [];
    const fd = openSync(this.log, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.rest + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      this.rest = text.slice(cut);
      return parseLines(text.slice(0, cut));
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Resolves once `tail`'s log has a start line of step `i` or later (polled every `pollMs`) with
 * that line; lines read meanwhile go to `seen` when given.
 *
 * @throws Error when none comes within `timeoutMs`.
 */
export async function waitForStepStart(tail, i, { pollMs = 2, timeoutMs = 600_000, seen } = {}) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const lines = tail.poll();
    seen?.push(...lines);
    const hit = lines.find((l) => l.kind === 'S' && l.i >= i);
    if (hit) return hit;
    if (nowMs() > deadline) throw new Error(`no step ${i} started within ${timeoutMs} ms (log ${tail.log})`);
    await delay(pollMs);
  }
}

/** A list of step indexes, short, for a report: `[]`, `[300]`, or `[300..999] (700)`. */
export function stepList(xs) {
  if (xs.length === 0) return '[]';
  const contiguous = xs.every((v, k) => k === 0 || v === xs[k - 1] + 1);
  if (xs.length <= 4) return `[${xs.join(', ')}]`;
  return contiguous ? `[${xs[0]}..${xs[xs.length - 1]}] (${xs.length})` : `[${xs.slice(0, 3).join(', ')}, ...] (${xs.length})`;
}
