/**
 * `tapflow history ID` against a real store: the run's lifecycle, its node attempts (reconciled
 * ones marked) and control actions as one timeline; `--json`; an unknown run; no store.
 */
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import { upsertAttemptEnd } from '../../src/store/sql/upsert-attempt-end';
import { upsertAttemptStart } from '../../src/store/sql/upsert-attempt-start';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { HistoryJson } from '../../src/cli/history';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();
let deadTemporal: string;

beforeAll(async () => {
  deadTemporal = `127.0.0.1:${await unusedPort()}`;
});

const T0 = Date.UTC(2025, 2, 1, 9, 0, 0);
const at = (s: number): Date => new Date(T0 + s * 1000);

function history(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: deadTemporal }, 'history', ...args);
}

async function writeFailedRun(): Promise<void> {
  const db = t.db.pool;
  await upsertRun(db, { workflowId: 'h1', pipeline: 'wc', state: 'running', userName: 'alice', createdAt: at(0), startedAt: at(1), seq: 1 });
  await upsertAttemptStart(db, { workflowId: 'h1', nodeId: 'split', attempt: 1, activity: 'splitCorpus', startedAt: at(2) });
  await upsertAttemptEnd(db, { workflowId: 'h1', nodeId: 'split', attempt: 1, activity: 'splitCorpus', outcome: 'completed', finishedAt: at(3), output: 2 });
  await upsertAttemptStart(db, { workflowId: 'h1', nodeId: 'count', attempt: 1, activity: 'countWords', startedAt: at(4) });
  await upsertAttemptEnd(db, {
    workflowId: 'h1', nodeId: 'count', attempt: 1, activity: 'countWords', outcome: 'failed', finishedAt: at(5),
    errorType: 'TypeError', errorMessage: 'bad part',
  });
  await insertControlAction(db, { workflowId: 'h1', requestId: 'p1', action: 'pause', requestedBy: 'bob', reason: 'lunch', requestedAt: at(6), accepted: true });
  await insertControlAction(db, {
    workflowId: 'h1', requestId: 'p2', action: 'pause', requestedBy: 'bob', requestedAt: at(7), accepted: false,
    refusal: 'cannot pause: the run is already paused',
  });
  await insertControlAction(db, { workflowId: 'h1', requestId: 'r1', action: 'resume', requestedBy: 'bob', requestedAt: at(8), accepted: true });
  // The worker died before writing attempt 2: the end-of-run reconciliation recorded it.
  await upsertAttemptEnd(db, { workflowId: 'h1', nodeId: 'count', attempt: 2, activity: 'countWords', outcome: 'failed', finishedAt: at(9) });
  await db.query(`UPDATE tapflow.node_attempts SET source = 'reconciled' WHERE workflow_id = 'h1' AND node_id = 'count' AND attempt = 2`);
  await upsertRun(db, { workflowId: 'h1', pipeline: 'wc', state: 'failed', reason: 'count: bad part', finishedAt: at(10), seq: 2 });
}

test('prints the run lifecycle, attempts and control actions in time order, reconciled attempts marked', async () => {
  await writeFailedRun();
  const r = await history('h1');
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^TIME\s+NODE\s+WHAT\s+OUTCOME\s+DETAIL$/);
  const expected: RegExp[] = [
    /^2025-03-01 09:00:00\.000\s+\(run\)\s+created\s+pipeline wc by alice$/,
    /^2025-03-01 09:00:01\.000\s+\(run\)\s+started$/,
    /^2025-03-01 09:00:02\.000\s+split\s+attempt 1\s+started\s+splitCorpus$/,
    /^2025-03-01 09:00:03\.000\s+split\s+attempt 1\s+completed\s+1\.0s$/,
    /^2025-03-01 09:00:04\.000\s+count\s+attempt 1\s+started\s+countWords$/,
    /^2025-03-01 09:00:05\.000\s+count\s+attempt 1\s+failed\s+1\.0s {2}TypeError: bad part$/,
    /^2025-03-01 09:00:06\.000\s+\(run\)\s+pause\s+accepted\s+by bob: lunch$/,
    /^2025-03-01 09:00:07\.000\s+\(run\)\s+pause\s+refused\s+by bob {2}cannot pause: the run is already paused$/,
    /^2025-03-01 09:00:08\.000\s+\(run\)\s+resume\s+accepted\s+by bob$/,
    /^2025-03-01 09:00:09\.000\s+count\s+attempt 2\s+failed\s+\(reconciled\)$/,
    /^2025-03-01 09:00:10\.000\s+\(run\)\s+finished\s+failed\s+9\.0s {2}count: bad part$/,
  ];
  expect(lines).toHaveLength(expected.length + 1);
  expected.forEach((pattern, i) => expect(lines[i + 1]).toMatch(pattern));
});

test('--json keeps workflowId, attempts and controlActions, and adds the run', async () => {
  await writeFailedRun();
  const out = parseJson<HistoryJson & { run: Record<string, unknown> }>(await history('h1', '--json'));
  expect(Object.keys(out)).toEqual(['workflowId', 'run', 'attempts', 'controlActions']);
  expect(out.workflowId).toBe('h1');
  expect(out.run).toMatchObject({
    workflowId: 'h1', pipeline: 'wc', state: 'failed', reason: 'count: bad part', userName: 'alice',
    createdAt: '2025-03-01T09:00:00.000Z', startedAt: '2025-03-01T09:00:01.000Z', finishedAt: '2025-03-01T09:00:10.000Z',
  });
  expect(out.attempts.map((a) => [a.nodeId, a.attempt, a.outcome, a.source])).toEqual([
    ['split', 1, 'completed', 'worker'],
    ['count', 1, 'failed', 'worker'],
    ['count', 2, 'failed', 'reconciled'],
  ]);
  expect(out.controlActions.map((c) => [c.action, c.accepted])).toEqual([['pause', true], ['pause', false], ['resume', true]]);
});

test('a run with attempts but no run row still has a history, with run null', async () => {
  await upsertAttemptEnd(t.db.pool, { workflowId: 'old', nodeId: 'a', attempt: 1, activity: 'noop', outcome: 'completed', startedAt: at(0), finishedAt: at(1) });
  const out = parseJson<HistoryJson>(await history('old', '--json'));
  expect(out.run).toBeNull();
  expect(out.attempts).toHaveLength(1);
  const r = await history('old');
  expect(r.stdout).not.toContain('(run)');
  expect(r.stdout).toMatch(/^2025-03-01 09:00:01\.000\s+a\s+attempt 1\s+completed\s+1\.0s$/m);
});

test('a run with only its row shows its lifecycle', async () => {
  await upsertRun(t.db.pool, { workflowId: 'quiet', pipeline: 'p', state: 'cancelled', reason: 'not needed', createdAt: at(0), finishedAt: at(2) });
  const r = await history('quiet');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^2025-03-01 09:00:00\.000\s+\(run\)\s+created\s+pipeline p$/m);
  expect(r.stdout).toMatch(/^2025-03-01 09:00:02\.000\s+\(run\)\s+finished\s+cancelled\s+not needed$/m);
});

test('an unknown run is one line and exit 2', async () => {
  const r = await history('no-such-run');
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe('tapflow: the store has no record of a run "no-such-run"\n');
});

test('a store that cannot be reached is one line and exit 1', async () => {
  const url = `postgres://tapflow:pw@127.0.0.1:${await unusedPort()}/tapflow`;
  const r = await tapflow({ DATABASE_URL: url, TEMPORAL_ADDRESS: deadTemporal }, 'history', 'h1');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tapflow: cannot reach the store at postgres:\/\/tapflow:\*\*\*@127\.0\.0\.1:\d+\/tapflow: connection refused \(is PostgreSQL running\?\)\n$/);
});

test('a database without the tapflow schema is one line and exit 1', async () => {
  const url = await t.server.createDatabase();
  const r = await tapflow({ DATABASE_URL: url, TEMPORAL_ADDRESS: deadTemporal }, 'history', 'h1');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tapflow: the database at postgres:\/\/.* is not a tapflow store \(no tapflow schema\); .*\n$/);
});
