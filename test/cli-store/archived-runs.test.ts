/**
 * `tapflow status` and `tapflow result` for runs Temporal cannot answer for, read from a real
 * store: a run Temporal no longer has (a real dev server without it), a run no worker answers
 * for, a Temporal server that cannot be reached; and the failures around them (an unknown run,
 * a store that cannot be read).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { StoredRunStatus } from '../../src/cli/status';
import type { NodeStatus, RunStatus } from '../../src/core/states';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { RunWrite } from '../../src/store/types';
import { PIPELINE_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';
import { devServerEnv } from '../helpers/temporal';

const t = databasePerTest();
let temporal: TestWorkflowEnvironment;

beforeAll(async () => {
  temporal = await devServerEnv();
}, 120_000);

afterAll(async () => {
  await temporal?.teardown();
});

function run(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: temporal.address }, ...args);
}

const at = (s: number): string => new Date(Date.UTC(2025, 3, 1, 8, 0, s)).toISOString();

const NODES: NodeStatus[] = [
  { id: 'fetch', activity: 'fetchImage', needs: [], state: 'completed', attempts: 1, startedAt: at(1), finishedAt: at(2) },
  { id: 'small', activity: 'resize', needs: ['fetch'], state: 'completed', attempts: 2, startedAt: at(2), finishedAt: at(4) },
];

const ARCHIVED: RunWrite = {
  workflowId: 'archived-ok', firstRunId: 'run-1', pipeline: 'thumbs', state: 'completed', userName: 'alice',
  progressCompleted: 2, progressTotal: 2, nodes: NODES, result: { small: { path: '/tmp/s.png' } },
  createdAt: at(0), startedAt: at(1), finishedAt: at(5),
};

describe('status', () => {
  test('of a run Temporal no longer has comes from the store, and says so', async () => {
    await upsertRun(t.db.pool, ARCHIVED);
    const out = parseJson<StoredRunStatus>(await run('status', 'archived-ok', '--json'));
    expect(out).toEqual({
      workflowId: 'archived-ok', runId: 'run-1', pipeline: 'thumbs', state: 'completed',
      progress: { completed: 2, skipped: 0, total: 2, running: 0, failed: 0, percent: 100 },
      nodes: NODES, startedAt: at(1), finishedAt: at(5),
      source: 'store', fallback: 'not-found', note: 'Temporal no longer has this run', recordedAt: expect.stringMatching(/^\d{4}-.*Z$/),
    });

    const text = await run('status', 'archived-ok');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^from the store \(recorded \S+\): Temporal no longer has this run$/);
    expect(text.stdout).toMatch(/^state\s+completed$/m);
    expect(text.stdout).toMatch(/^small\s+completed\s+2\s+08:00:02\s+2\.0s$/m);
  });

  test('of an old row without node statuses rebuilds them from the spec and the attempts', async () => {
    await upsertRun(t.db.pool, {
      workflowId: 'archived-old', pipeline: 'two', state: 'failed', reason: 'b failed', createdAt: at(0), startedAt: at(0), finishedAt: at(9),
      spec: { name: 'two', nodes: [{ id: 'a', activity: 'noop' }, { id: 'b', activity: 'boom', needs: ['a'] }, { id: 'c', activity: 'noop', needs: ['b'] }] },
    });
    await upsertAttemptEnd(t.db.pool, { workflowId: 'archived-old', nodeId: 'a', attempt: 1, activity: 'noop', outcome: 'completed', startedAt: at(1), finishedAt: at(2) });
    await upsertAttemptEnd(t.db.pool, {
      workflowId: 'archived-old', nodeId: 'b', attempt: 1, activity: 'boom', outcome: 'failed', startedAt: at(3), finishedAt: at(4), errorType: 'Error', errorMessage: 'no',
    });
    const out = parseJson<RunStatus & { source: string }>(await run('status', 'archived-old', '--json'));
    expect(out.source).toBe('store');
    expect(out.reason).toBe('b failed');
    // The node after the failed one was skipped: it counts as done in the percentage.
    expect(out.progress).toEqual({ completed: 1, skipped: 1, total: 3, running: 0, failed: 1, percent: 66 });
    expect(out.nodes.map((n) => [n.id, n.state, n.attempts, n.error])).toEqual([
      ['a', 'completed', 1, undefined],
      ['b', 'failed', 1, 'no'],
      ['c', 'skipped', 0, undefined],
    ]);
  });

  test('of a run neither Temporal nor the store has is one line and exit 2', async () => {
    const r = await run('status', 'no-such-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tapflow: no run with id "no-such-run"\n');
  });

  test('when the store cannot be read either, keeps Temporal\'s message and says so, on one line', async () => {
    const url = `postgres://tapflow:pw@127.0.0.1:${await unusedPort()}/tapflow`;
    const r = await tapflow({ DATABASE_URL: url, TEMPORAL_ADDRESS: temporal.address }, 'status', 'archived-ok');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^tapflow: no run with id "archived-ok"; the store could not be read either: cannot reach the store at postgres:\/\/tapflow:\*\*\*@127\.0\.0\.1:\d+\/tapflow: connection refused \(is PostgreSQL running\?\)\n$/,
    );
  });

  test('of a run no worker answers for comes from the store, and says so', async () => {
    // Temporal has this run, but nothing polls its task queue: the status query times out (10 s).
    await temporal.client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
      taskQueue: 'nobody-polls-this', workflowId: 'orphan', args: [{ spec: { name: 'thumbs', nodes: [{ id: 'fetch', activity: 'noop' }] } }],
    });
    await upsertRun(t.db.pool, { ...ARCHIVED, workflowId: 'orphan', state: 'paused', reason: 'lunch', result: undefined, finishedAt: undefined });
    const out = parseJson<StoredRunStatus>(await run('status', 'orphan', '--json'));
    expect(out).toMatchObject({ workflowId: 'orphan', state: 'paused', reason: 'lunch', source: 'store', fallback: 'no-worker', note: 'no worker answered the status query' });
  }, 60_000);

  test('when Temporal cannot be reached comes from the store, and says so', async () => {
    await upsertRun(t.db.pool, ARCHIVED);
    const dead = `127.0.0.1:${await unusedPort()}`;
    const r = await tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: dead }, 'status', 'archived-ok');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^from the store \\(recorded \\S+\\): Temporal could not be reached at ${dead.replace(/\./g, '\\.')}$`));
  }, 60_000);
});

describe('result', () => {
  test('of an archived completed run is the stored result, at once even with --wait', async () => {
    await upsertRun(t.db.pool, ARCHIVED);
    expect(parseJson(await run('result', 'archived-ok', '--json'))).toEqual({ small: { path: '/tmp/s.png' } });
    const waited = await run('result', 'archived-ok', '--wait');
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toEqual({ small: { path: '/tmp/s.png' } });
    expect(waited.stderr).toBe('(from the store: Temporal no longer has this run)\n');
  });

  test.each<['failed' | 'cancelled', string]>([
    ['failed', 'small: out of memory'],
    ['cancelled', 'not needed'],
  ])('of an archived %s run exits 1 with its reason', async (state, reason) => {
    await upsertRun(t.db.pool, { ...ARCHIVED, workflowId: `archived-${state}`, state, reason, result: undefined });
    const r = await run('result', `archived-${state}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`(from the store: Temporal no longer has this run)\ntapflow: archived-${state} ${state}: ${reason}\n`);
    const json = await run('result', `archived-${state}`, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ workflowId: `archived-${state}`, state, error: `archived-${state} ${state}: ${reason}` });
  });

  test('of a run the store last saw unfinished exits 1, saying why there is no result', async () => {
    await upsertRun(t.db.pool, { ...ARCHIVED, workflowId: 'archived-running', state: 'running', result: undefined, finishedAt: undefined });
    const r = await run('result', 'archived-running', '--wait', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tapflow: archived-running: Temporal no longer has this run, and the store last recorded it running, without a result\n');
  });

  test('of a run neither Temporal nor the store has is one line and exit 2', async () => {
    const r = await run('result', 'no-such-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tapflow: no run with id "no-such-run"\n');
  });
});
