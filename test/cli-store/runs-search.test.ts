/**
 * `tapflow runs search` against a real store: each filter, a time range, paging with the cursor,
 * the table and `--json`, bad input (exit 2) and a store that cannot be reached (exit 1).
 */
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { RunWrite } from '../../src/store/types';
import type { RunsSearchJson } from '../../src/cli/runs';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();
let deadTemporal: string;

beforeAll(async () => {
  // Temporal is not needed: the command must not even try it.
  deadTemporal = `127.0.0.1:${await unusedPort()}`;
});

const day = (d: number): Date => new Date(Date.UTC(2025, 0, d, 12));

const RUNS: RunWrite[] = [
  { workflowId: 'r1', pipeline: 'A', state: 'completed', tags: ['x', 'y'], userName: 'alice', groups: ['g1'], createdAt: day(1),
    progressCompleted: 3, progressTotal: 3, finishedAt: new Date(day(1).getTime() + 60_000), spec: { name: 'A', nodes: [] }, result: { a: 1 } },
  { workflowId: 'r2', pipeline: 'A', state: 'running', tags: ['x'], userName: 'bob', groups: ['g2'], createdAt: day(2) },
  { workflowId: 'r3', pipeline: 'B', state: 'failed', tags: ['y'], userName: 'alice', groups: ['g1', 'g2'], createdAt: day(3), reason: 'boom' },
  { workflowId: 'r4', pipeline: 'B', state: 'paused', createdAt: day(4) },
  { workflowId: 'r5', pipeline: 'A', state: 'completed', tags: ['z'], userName: 'alice', groups: ['g2'], createdAt: day(5) },
  // Created at the same instant: the workflow id orders them, and a page may end between them.
  { workflowId: 'r6a', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
  { workflowId: 'r6b', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
];
const ALL = ['r6b', 'r6a', 'r5', 'r4', 'r3', 'r2', 'r1'];

beforeEach(async () => {
  for (const run of RUNS) await upsertRun(t.db.pool, run);
});

function search(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: deadTemporal }, 'runs', 'search', ...args);
}

async function ids(...args: string[]): Promise<string[]> {
  return parseJson<RunsSearchJson>(await search('--json', ...args)).runs.map((r) => r.workflowId);
}

test('--json prints every run newest first, a documented row shape, and no next page', async () => {
  const out = parseJson<{ runs: Array<Record<string, unknown>>; next: unknown }>(await search('--json'));
  expect(out.runs.map((r) => r.workflowId)).toEqual(ALL);
  expect(out.next).toBeNull();
  const r1 = out.runs.find((r) => r.workflowId === 'r1');
  expect(Object.keys(r1 ?? {}).sort()).toEqual(
    ['attempt', 'createdAt', 'event', 'finishedAt', 'firstRunId', 'groups', 'idempotencyKey', 'pipeline', 'pipelineVersion', 'plots', 'priority', 'products',
      'progressCompleted', 'progressSkipped', 'progressTotal', 'reason', 'rerunOf', 'retries', 'scheduleId', 'site', 'startedAt', 'state', 'tags', 'timeoutMs', 'updatedAt',
      'userName', 'workflowId'].sort(),
  );
  expect(r1).toMatchObject({
    pipeline: 'A', state: 'completed', tags: ['x', 'y'], groups: ['g1'], userName: 'alice', progressCompleted: 3, progressTotal: 3,
    createdAt: '2025-01-01T12:00:00.000Z', finishedAt: '2025-01-01T12:01:00.000Z', startedAt: null,
  });
});

test.each<[string, string[], string[]]>([
  ['pipeline', ['--pipeline', 'A'], ['r5', 'r2', 'r1']],
  ['state', ['--state', 'completed'], ['r5', 'r1']],
  ['any of several states', ['--state', 'failed', '--state', 'paused'], ['r4', 'r3']],
  ['tag', ['--tag', 'x'], ['r2', 'r1']],
  ['all of several tags', ['--tag', 'x', '--tag', 'y'], ['r1']],
  ['user', ['--user', 'alice'], ['r5', 'r3', 'r1']],
  ['group', ['--group', 'g2'], ['r5', 'r3', 'r2']],
  ['all of several groups', ['--group', 'g1', '--group', 'g2'], ['r3']],
  ['a time range (from inclusive, to exclusive, offset-less times are UTC)', ['--from', '2025-01-02T12:00', '--to', '2025-01-04T12:00:00Z'], ['r3', 'r2']],
  ['a date alone', ['--from', '2025-01-05'], ['r6b', 'r6a', 'r5']],
  ['filters combined', ['--pipeline', 'A', '--user', 'alice', '--tag', 'x'], ['r1']],
])('filters by %s', async (_name, args, expected) => {
  expect(await ids(...args)).toEqual(expected);
});

test('relative times count back from now', async () => {
  const hour = 3_600_000;
  const now = Date.now();
  await upsertRun(t.db.pool, { workflowId: 'recent', pipeline: 'A', state: 'running', createdAt: new Date(now - hour) });
  await upsertRun(t.db.pool, { workflowId: 'earlier', pipeline: 'A', state: 'running', createdAt: new Date(now - 5 * hour) });
  expect(await ids('--from', '2h')).toEqual(['recent']);
  expect(await ids('--from', '1d', '--to', '3h')).toEqual(['earlier']);
});

test('pages follow each other with the cursor: no run skipped or repeated, ties included', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  const pages: string[][] = [];
  do {
    const page: RunsSearchJson = parseJson<RunsSearchJson>(await search('--json', '--limit', '2', ...(after ? ['--after', after] : [])));
    pages.push(page.runs.map((r) => r.workflowId));
    seen.push(...page.runs.map((r) => r.workflowId));
    after = page.next;
  } while (after !== null && pages.length < 10);
  expect(pages).toEqual([['r6b', 'r6a'], ['r5', 'r4'], ['r3', 'r2'], ['r1']]);
  expect(seen).toEqual(ALL);
});

test('a page ending exactly at the last run says there is no next page', async () => {
  const first = parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'A', '--limit', '2'));
  expect(first.next).not.toBeNull();
  const last = parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'A', '--limit', '2', '--after', first.next as string));
  expect(last.runs.map((r) => r.workflowId)).toEqual(['r1']);
  expect(last.next).toBeNull();
  const exact = parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'C', '--limit', '2'));
  expect(exact.runs).toHaveLength(2);
  expect(exact.next).toBeNull();
});

test('at the largest page size, the next page is still known exactly', async () => {
  await t.db.pool.query(`
    INSERT INTO tapflow.runs (workflow_id, pipeline, state, created_at)
    SELECT 'bulk-' || lpad(g::text, 4, '0'), 'bulk', 'completed', timestamptz '2025-02-01 00:00Z' + g * interval '1 second'
    FROM generate_series(1, 1001) g`);
  const full = parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'bulk', '--limit', '1000'));
  expect(full.runs).toHaveLength(1000);
  expect(full.runs[0]?.workflowId).toBe('bulk-1001');
  const rest = parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'bulk', '--limit', '1000', '--after', full.next as string));
  expect(rest.runs.map((r) => r.workflowId)).toEqual(['bulk-0001']);
  expect(rest.next).toBeNull();
  await t.db.pool.query(`DELETE FROM tapflow.runs WHERE workflow_id = 'bulk-0001'`);
  expect(parseJson<RunsSearchJson>(await search('--json', '--pipeline', 'bulk', '--limit', '1000')).next).toBeNull();
});

test('the table lists runs newest first and tells how to get the next page', async () => {
  const r = await search('--limit', '6');
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^RUN\s+PIPELINE\s+STATE\s+PROGRESS\s+USER\s+TAGS\s+CREATED\s+FINISHED$/);
  expect(lines.slice(1, 7).map((l) => l.split(/\s+/)[0])).toEqual(ALL.slice(0, 6));
  expect(r.stdout).toMatch(/^r3\s+B\s+failed\s+0\/0\s+alice\s+y\s+2025-01-03 12:00:00$/m);
  const more = /^more: add --after (\S+)$/m.exec(r.stdout);
  expect(more).not.toBeNull();
  expect(await ids('--limit', '6', '--after', more?.[1] as string)).toEqual(['r1']);
  expect((await search('--pipeline', 'nope')).stdout.trim()).toBe('no runs');
});

test.each<[string, string[], RegExp]>([
  ['an unknown state', ['--state', 'done'], /^tapflow: --state: unknown state "done"; one of queued, running, /],
  ['a time that is not one', ['--from', 'yesterday'], /^tapflow: --from: "yesterday" is not a time; /],
  ['an impossible date', ['--to', '2025-02-30'], /^tapflow: --to: "2025-02-30" is not a time; /],
  ['a bare number as a time', ['--from', '5'], /^tapflow: --from: "5" is not a time; /],
  ['a range that ends before it starts', ['--from', '1h', '--to', '2h'], /^tapflow: --from \(.*\) must be before --to \(.*\)$/],
  ['a limit of 0', ['--limit', '0'], /^tapflow: --limit: "0" is not a whole number from 1 to 1000$/],
  ['a limit too large', ['--limit', '1001'], /^tapflow: --limit: "1001" is not a whole number from 1 to 1000$/],
  ['a limit that is not a number', ['--limit', 'ten'], /^tapflow: --limit: "ten" is not a whole number/],
  ['a cursor that is not one', ['--after', 'not-a-cursor'], /^tapflow: --after: "not-a-cursor" is not a cursor; /],
])('%s is one line and exit 2, before the store is read', async (_name, args, message) => {
  // A store that cannot be reached: the options are refused before it is tried.
  const url = `postgres://tapflow:tapflow@127.0.0.1:${await unusedPort()}/tapflow`;
  const r = await tapflow({ DATABASE_URL: url, TEMPORAL_ADDRESS: deadTemporal }, 'runs', 'search', ...args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
});

test('a store that cannot be reached is one line and exit 1, without the password', async () => {
  const url = `postgres://tapflow:secret@127.0.0.1:${await unusedPort()}/tapflow`;
  const r = await tapflow({ DATABASE_URL: url, TEMPORAL_ADDRESS: deadTemporal }, 'runs', 'search', '--json');
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd()).toMatch(/^tapflow: cannot reach the store at postgres:\/\/tapflow:\*\*\*@127\.0\.0\.1:\d+\/tapflow: connection refused/);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
});

test('without DATABASE_URL it reads the dev store on TAPFLOW_STORE_PORT', async () => {
  const port = await unusedPort();
  const r = await tapflow({ TAPFLOW_STORE_PORT: String(port), TEMPORAL_ADDRESS: deadTemporal }, 'runs', 'search');
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd()).toBe(`tapflow: cannot reach the store at postgres://tapflow:***@127.0.0.1:${port}/tapflow: connection refused (is PostgreSQL running?)`);
});
