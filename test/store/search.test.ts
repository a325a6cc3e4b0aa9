/**
 * searchRuns: each filter alone, filters combined, newest first, limits and pages.
 */
import { searchRuns } from '../../src/store/sql/search-runs';
import { upsertRun } from '../../src/store/sql/upsert-run';
import type { RunSearch, RunWrite } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

beforeEach(async () => {
  for (const run of RUNS) await upsertRun(t.db.pool, run);
});

const day = (d: number): Date => new Date(Date.UTC(2025, 0, d, 12));

// Every test searches these runs, on a database of its own.
const RUNS: RunWrite[] = [
  { workflowId: 'r1', pipeline: 'A', state: 'completed', tags: ['x', 'y'], userName: 'alice', groups: ['g1'], createdAt: day(1) },
  { workflowId: 'r2', pipeline: 'A', state: 'running', tags: ['x'], userName: 'bob', groups: ['g2'], createdAt: day(2) },
  { workflowId: 'r3', pipeline: 'B', state: 'failed', tags: ['y'], userName: 'alice', groups: ['g1', 'g2'], createdAt: day(3) },
  { workflowId: 'r4', pipeline: 'B', state: 'paused', createdAt: day(4) },
  { workflowId: 'r5', pipeline: 'A', state: 'completed', tags: ['z'], userName: 'alice', groups: ['g2'], createdAt: day(5) },
  // Two runs created at the same instant: the workflow id breaks the tie.
  { workflowId: 'r6a', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
  { workflowId: 'r6b', pipeline: 'C', state: 'cancelled', userName: 'carol', createdAt: day(6) },
];

async function ids(search: RunSearch = {}): Promise<string[]> {
  return (await searchRuns(t.db.pool, search)).map((r) => r.workflowId);
}

it('returns every run newest first without filters', async () => {
  expect(await ids()).toEqual(['r6b', 'r6a', 'r5', 'r4', 'r3', 'r2', 'r1']);
});

it('returns whole records', async () => {
  const [r1] = await searchRuns(t.db.pool, { pipeline: 'A', tag: 'y' });
  expect(r1).toMatchObject({ workflowId: 'r1', pipeline: 'A', state: 'completed', tags: ['x', 'y'], groups: ['g1'], userName: 'alice', createdAt: day(1) });
});

it.each<[string, RunSearch, string[]]>([
  ['pipeline', { pipeline: 'A' }, ['r5', 'r2', 'r1']],
  ['state', { state: 'completed' }, ['r5', 'r1']],
  ['any of several states', { state: ['failed', 'paused'] }, ['r4', 'r3']],
  ['tag', { tag: 'x' }, ['r2', 'r1']],
  ['all of several tags', { tag: ['x', 'y'] }, ['r1']],
  ['user', { userName: 'alice' }, ['r5', 'r3', 'r1']],
  ['group', { group: 'g2' }, ['r5', 'r3', 'r2']],
  ['all of several groups', { group: ['g1', 'g2'] }, ['r3']],
  ['created from (inclusive)', { createdFrom: day(5) }, ['r6b', 'r6a', 'r5']],
  ['created to (exclusive)', { createdTo: day(2) }, ['r1']],
  ['created in a range', { createdFrom: day(2), createdTo: day(4) }, ['r3', 'r2']],
  ['an ISO string for a time', { createdFrom: day(4).toISOString(), createdTo: day(5).toISOString() }, ['r4']],
  ['any of several pipelines', { pipelines: ['B', 'C'] }, ['r6b', 'r6a', 'r4', 'r3']],
  ['an empty list of pipelines (none)', { pipelines: [] }, []],
  ['a pipeline within the pipelines', { pipeline: 'A', pipelines: ['B'] }, []],
])('filters by %s', async (_name, search, expected) => {
  expect(await ids(search)).toEqual(expected);
});

it.each<[string, RunSearch, string[]]>([
  ['pipeline, user and tag', { pipeline: 'A', userName: 'alice', tag: 'x' }, ['r1']],
  ['state and group', { state: 'completed', group: 'g2' }, ['r5']],
  ['pipeline and time range', { pipeline: 'B', createdFrom: day(1), createdTo: day(4) }, ['r3']],
  ['user and states', { userName: 'alice', state: ['completed', 'failed'] }, ['r5', 'r3', 'r1']],
  ['filters no run matches together', { pipeline: 'B', tag: 'x' }, []],
  ['a value no run has', { userName: 'mallory' }, []],
])('combines %s', async (_name, search, expected) => {
  expect(await ids(search)).toEqual(expected);
});

it('limits and pages, newest first, through runs created at the same instant', async () => {
  const first = await searchRuns(t.db.pool, { limit: 3 });
  expect(first.map((r) => r.workflowId)).toEqual(['r6b', 'r6a', 'r5']);
  const second = await searchRuns(t.db.pool, { limit: 3, after: first[0]! });
  expect(second.map((r) => r.workflowId)).toEqual(['r6a', 'r5', 'r4']);
  const third = await searchRuns(t.db.pool, { limit: 3, after: first.at(-1)! });
  expect(third.map((r) => r.workflowId)).toEqual(['r4', 'r3', 'r2']);
  expect(await ids({ pipeline: 'A', after: third.at(-1)! })).toEqual(['r1']);
});

it('pages exactly through runs whose creation time the database set', async () => {
  for (let i = 0; i < 25; i++) await upsertRun(t.db.pool, { workflowId: `n${String(i).padStart(2, '0')}`, pipeline: 'p', state: 'running' });
  const seen: string[] = [];
  let after: RunSearch['after'];
  for (;;) {
    const page = await searchRuns(t.db.pool, { pipeline: 'p', limit: 4, after });
    if (page.length === 0) break;
    seen.push(...page.map((r) => r.workflowId));
    after = page.at(-1);
  }
  expect([...seen].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `n${String(i).padStart(2, '0')}`));
  expect(new Set(seen).size).toBe(25);
});

it('refuses a limit out of range', async () => {
  await expect(searchRuns(t.db.pool, { limit: 0 })).rejects.toThrow(RangeError);
  await expect(searchRuns(t.db.pool, { limit: 1001 })).rejects.toThrow(/from 1 to 1000/);
  await expect(searchRuns(t.db.pool, { limit: 2.5 })).rejects.toThrow(RangeError);
});

it('uses the indexes for selective filters', async () => {
  // A plan check, not a timing: with sequential scans off, each filter must have an index to use.
  const client = await t.db.pool.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const plan = async (where: string): Promise<string> =>
      (await client.query(`EXPLAIN SELECT workflow_id FROM tapflow.runs r WHERE ${where} ORDER BY created_at DESC LIMIT 50`)).rows
        .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
        .join('\n');
    expect(await plan(`r.tags @> ARRAY['x']`)).toMatch(/runs_tags_idx/);
    expect(await plan(`r.groups @> ARRAY['g1']`)).toMatch(/runs_groups_idx/);
    expect(await plan(`r.pipeline = 'A'`)).toMatch(/runs_pipeline_idx/);
    expect(await plan(`r.state = 'running'`)).toMatch(/runs_state_idx/);
    expect(await plan(`r.user_name = 'bob'`)).toMatch(/runs_user_idx/);
  } finally {
    await client.query('RESET enable_seqscan');
    client.release();
  }
});
