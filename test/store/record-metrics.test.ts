/**
 * The run-level metrics the record activity feeds, on a real store: a run ended counts once (a
 * duplicate delivery, which the store leaves unchanged, counts nothing); a pause's latency is
 * observed once per pause request, also when the pause's control action lands after the run was
 * written `paused`, and never from a pause that a resume has since undone.
 */
import { createWorkerMetrics, type WorkerMetrics } from '../../src/observability/metrics';
import { RecordMetrics } from '../../src/observability/record-metrics';
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import type { RecordCall } from '../../src/workflows/record-call';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const paused = (workflowId: string): RecordCall => ({ kind: 'run', run: { workflowId, pipeline: 'p', state: 'paused' } });
const ended = (workflowId: string, state: 'completed' | 'failed'): RecordCall => ({
  kind: 'run',
  run: { workflowId, pipeline: 'p', state },
  reconcile: [],
});

/** One series' value in the registry's scrape, 0 when it has no such series. */
async function sample(metrics: WorkerMetrics, series: string): Promise<number> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test('a run ended counts once: by its final state, not for a duplicate, and also without a store', async () => {
  const metrics = createWorkerMetrics();
  const observer = new RecordMetrics(metrics);
  observer.written(ended('r1', 'completed'), 'updated');
  observer.written(ended('r1', 'completed'), 'unchanged');
  observer.written(ended('r2', 'failed'), 'no-store');
  // A non-final write, and a final state without the final write's reconcile list, are not ends.
  observer.written({ kind: 'run', run: { workflowId: 'r3', pipeline: 'p', state: 'completed' } }, 'updated');
  observer.written(paused('r4'), 'updated');
  expect(await sample(metrics, 'tapflow_runs_ended_total{state="completed"}')).toBe(1);
  expect(await sample(metrics, 'tapflow_runs_ended_total{state="failed"}')).toBe(1);
});

test("a pause is observed once, from its requested_at, even when its control action lands after the paused write", async () => {
  const metrics = createWorkerMetrics();
  const observer = new RecordMetrics(metrics, { store: t.db.pool, lookupIntervalMs: 20 });
  const requestedAt = new Date(Date.now() - 2000);
  // The paused write comes first; the pause itself is recorded a moment later.
  observer.written(paused('w1'), 'updated');
  await insertControlAction(t.db.pool, { workflowId: 'w1', requestId: 'pause-1', action: 'pause', requestedAt, accepted: true });
  await observer.settle();
  expect(await sample(metrics, 'tapflow_pause_latency_seconds_count')).toBe(1);
  expect(await sample(metrics, 'tapflow_pause_latency_seconds_sum')).toBeGreaterThanOrEqual(2);

  // Written paused again (a continue-as-new's write) for the same pause: not observed twice.
  observer.written(paused('w1'), 'updated');
  // A duplicate delivery is not looked up at all.
  observer.written(paused('w1'), 'unchanged');
  await observer.settle();
  expect(await sample(metrics, 'tapflow_pause_latency_seconds_count')).toBe(1);
});

test('a pause undone by a later resume is not taken for the next pause; a refused pause is not a pause', async () => {
  const metrics = createWorkerMetrics();
  const observer = new RecordMetrics(metrics, { store: t.db.pool, lookupIntervalMs: 20, lookupTimeoutMs: 300 });
  const at = (msAgo: number): Date => new Date(Date.now() - msAgo);
  await insertControlAction(t.db.pool, { workflowId: 'w2', requestId: 'pause-1', action: 'pause', requestedAt: at(60_000), accepted: true });
  await insertControlAction(t.db.pool, { workflowId: 'w2', requestId: 'resume-1', action: 'resume', requestedAt: at(50_000), accepted: true });
  await insertControlAction(t.db.pool, { workflowId: 'w2', requestId: 'pause-x', action: 'pause', requestedAt: at(40_000), accepted: false });
  // Paused again, but this pause's control action never lands: nothing is observed.
  observer.written(paused('w2'), 'updated');
  await observer.settle();
  expect(await sample(metrics, 'tapflow_pause_latency_seconds_count')).toBe(0);
});
