/**
 * bulkControl without a server: the listing comes from a fake visibility, the actions go to a
 * fake client. Checks the narrowed query, that every page is listed before the first action,
 * the outcomes and counts, the rate and concurrency limits, and a refused query.
 */
import type { Client } from '@temporalio/client';
import { bulkControl, narrowQuery, type BulkControlTarget } from '../../src/control/bulk-control';
import { ActionRefusedError, RunNotFoundError, UsageError } from '../../src/core/errors';
import type { ControlAck, ControlRequest } from '../../src/workflows/definitions';

interface Call {
  action: string;
  id: string;
  request: ControlRequest;
  startedAt: number;
}

/** A fake target: `ids` listed by visibility (as pages of 2), actions answered by `answer`. */
function fakeTarget(
  ids: string[],
  answer: (id: string) => Promise<ControlAck> = async () => ({ state: 'paused' }),
  { latencyMs = 0 }: { latencyMs?: number } = {},
): BulkControlTarget & { calls: Call[]; queries: string[]; log: string[]; maxInFlight: number } {
  const calls: Call[] = [];
  const queries: string[] = [];
  const log: string[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const act = (action: string) => async (id: string, request: ControlRequest) => {
    calls.push({ action, id, request, startedAt: Date.now() });
    log.push(`act ${id}`);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
      return await answer(id);
    } finally {
      inFlight--;
    }
  };
  const client = {
    workflow: {
      list({ query }: { query: string }) {
        queries.push(query);
        return (async function* () {
          for (let i = 0; i < ids.length; i++) {
            if (i % 2 === 0) log.push(`page ${i / 2}`);
            yield {
              workflowId: ids[i],
              typedSearchAttributes: {
                get: (key: { name: string }) => (key.name === 'TapflowState' ? 'running' : key.name === 'TapflowPipeline' ? 'p' : undefined),
              },
            };
          }
        })();
      },
    },
  } as unknown as Client;
  return {
    client,
    calls,
    queries,
    log,
    get maxInFlight() {
      return state.maxInFlight;
    },
    pause: act('pause'),
    resume: act('resume'),
    cancel: act('cancel'),
  };
}

test('narrows the query to running pipeline runs', () => {
  expect(narrowQuery("TapflowPipeline = 'x' OR TapflowState = 'paused'")).toBe(
    "WorkflowType = 'pipelineWorkflow' AND ExecutionStatus = 'Running' AND (TapflowPipeline = 'x' OR TapflowState = 'paused')",
  );
});

test('narrows to the pipelines given, each a quoted literal', () => {
  expect(narrowQuery("TapflowState = 'paused'", ['a', "it's", 'back\\slash'])).toBe(
    "WorkflowType = 'pipelineWorkflow' AND ExecutionStatus = 'Running' AND TapflowPipeline IN ('a', 'it\\'s', 'back\\\\slash') AND (TapflowState = 'paused')",
  );
});

test('with pipelines, a listed run of another pipeline is dropped, and an empty list lists nothing', async () => {
  // The fake lists every run as pipeline "p", whatever the query says.
  const other = fakeTarget(['r1', 'r2']);
  const none = await bulkControl(other, 'pause', { query: 'x) OR (y', pipelines: ['q'] });
  expect(other.queries).toEqual([narrowQuery('x) OR (y', ['q'])]);
  expect(other.calls).toEqual([]);
  expect(none).toMatchObject({ query: 'x) OR (y', matched: 0, accepted: 0, runs: [] });

  const mine = fakeTarget(['r1', 'r2']);
  expect(await bulkControl(mine, 'pause', { query: 'x', pipelines: ['p', 'q'] })).toMatchObject({ matched: 2, accepted: 2 });
  expect(mine.calls.map((c) => c.id).sort()).toEqual(['r1', 'r2']);

  const empty = fakeTarget(['r1']);
  expect(await bulkControl(empty, 'pause', { query: 'x', pipelines: [] })).toMatchObject({ matched: 0, runs: [] });
  expect(empty.queries).toEqual([]);
});

test('lists every page before acting, then acts on each run once with its own request id, who and why', async () => {
  const target = fakeTarget(['r1', 'r2', 'r3', 'r4', 'r5']);
  const result = await bulkControl(target, 'pause', { query: "TapflowPipeline = 'p'", by: 'ops', reason: 'outage' });
  expect(target.queries).toEqual([narrowQuery("TapflowPipeline = 'p'")]);
  expect(target.log.slice(0, 3)).toEqual(['page 0', 'page 1', 'page 2']);
  expect(target.calls.map((c) => c.id).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  expect(target.calls.every((c) => c.action === 'pause' && c.request.by === 'ops' && c.request.reason === 'outage')).toBe(true);
  expect(new Set(target.calls.map((c) => c.request.requestId)).size).toBe(5);
  expect(result).toMatchObject({ action: 'pause', query: "TapflowPipeline = 'p'", dryRun: false, matched: 5, accepted: 5, refused: 0, failed: 0 });
  expect(result.runs.map((r) => r.workflowId)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  expect(result.runs[0]).toMatchObject({ workflowId: 'r1', outcome: 'accepted', state: 'paused' });
});

test('a dry run lists the runs with their state and acts on none', async () => {
  const target = fakeTarget(['r1', 'r2', 'r3']);
  const seen: string[] = [];
  const result = await bulkControl(target, 'cancel', { query: 'x', dryRun: true, onOutcome: (o) => seen.push(o.workflowId) });
  expect(target.calls).toEqual([]);
  expect(result).toMatchObject({ dryRun: true, matched: 3, accepted: 0, refused: 0, failed: 0 });
  expect(result.runs).toEqual([
    { workflowId: 'r1', outcome: 'matched', state: 'running' },
    { workflowId: 'r2', outcome: 'matched', state: 'running' },
    { workflowId: 'r3', outcome: 'matched', state: 'running' },
  ]);
  expect(seen).toEqual(['r1', 'r2', 'r3']);
});

test('tells accepted, refused and failed runs apart', async () => {
  const target = fakeTarget(['ok', 'no', 'gone'], async (id) => {
    if (id === 'no') throw new ActionRefusedError(id, 'cannot resume: the run is running');
    if (id === 'gone') throw new RunNotFoundError(id);
    return { state: 'running' };
  });
  const result = await bulkControl(target, 'resume', { query: 'x' });
  expect(result).toMatchObject({ matched: 3, accepted: 1, refused: 1, failed: 1 });
  expect(result.runs).toEqual([
    expect.objectContaining({ workflowId: 'ok', outcome: 'accepted', state: 'running' }),
    expect.objectContaining({ workflowId: 'no', outcome: 'refused', error: 'cannot resume: the run is running' }),
    expect.objectContaining({ workflowId: 'gone', outcome: 'failed', error: 'no run with id "gone"' }),
  ]);
});

test('starts no more than `rate` actions per second, even when calls are slow', async () => {
  const target = fakeTarget(['a', 'b', 'c', 'd', 'e'], undefined, { latencyMs: 30 });
  await bulkControl(target, 'resume', { query: 'x', rate: 10 });
  const starts = target.calls.map((c) => c.startedAt).sort((x, y) => x - y);
  const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
  // 10 per second: 100 ms apart (timers may fire a millisecond or two early).
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(98);
});

test('without a rate, acts with the bounded concurrency', async () => {
  const target = fakeTarget(Array.from({ length: 12 }, (_, i) => `r${i}`), undefined, { latencyMs: 20 });
  await bulkControl(target, 'pause', { query: 'x', concurrency: 3 });
  expect(target.calls).toHaveLength(12);
  expect(target.maxInFlight).toBe(3);
});

test('a query Temporal refuses is a UsageError of one line, and nothing is acted on', async () => {
  const target = fakeTarget([]);
  (target.client.workflow as unknown as { list: () => AsyncIterable<never> }).list = () => ({
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(Object.assign(new Error('3 INVALID_ARGUMENT: invalid query: unable to parse\nmore'), { code: 3 })),
    }),
  });
  const error = await bulkControl(target, 'pause', { query: 'TapflowPipeline = ' }).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toBe('--query: Temporal refused the query: 3 INVALID_ARGUMENT: invalid query: unable to parse');
});

test.each([
  ['an empty query', { query: '  ' }, '--query: must not be empty'],
  ['a zero rate', { query: 'x', rate: 0 }, '--rate: must be a positive number of actions per second, got 0'],
  ['a zero concurrency', { query: 'x', concurrency: 0 }, 'concurrency must be a whole number of at least 1, got 0'],
])('refuses %s before listing', async (_name, options, message) => {
  const target = fakeTarget(['r1']);
  await expect(bulkControl(target, 'pause', options)).rejects.toThrow(new UsageError(message));
  expect(target.queries).toEqual([]);
});
