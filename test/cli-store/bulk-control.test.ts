/**
 * `tapflow pause|resume|cancel --query` end to end: real dev server (visibility, search
 * attributes), a worker recording into a real store, the command line as a user runs it. Several
 * runs of two pipelines; a dry run lists exactly the matching running runs and touches none; the
 * pause reaches exactly those (each recorded with who and why); a resume with --rate is spaced as
 * asked, and a run that refuses is reported without failing the command; bad input exits 2 with
 * one line.
 */
import type { BulkControlResult } from '../../src/control/bulk-control';
import type { RunState } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { parseJson, tapflow, type CliResult } from '../helpers/cli';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const t = storeRigPerFile(devServerEnv, 'bulk-control');
const A = 'bulk-a';
const B = 'bulk-b';

function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ TEMPORAL_ADDRESS: t.env.address }, ...args);
}

/** A long chain of short steps: a pause takes effect within a step, and the run outlasts the test. */
function chain(name: string): PipelineSpec {
  return {
    name,
    nodes: Array.from({ length: 60 }, (_, i) => ({
      id: `s${i}`,
      activity: 'step',
      input: { sleepMs: 1000 },
      heartbeatTimeout: '2s',
      ...(i > 0 ? { needs: [`s${i - 1}`] } : {}),
    })),
  };
}

/** Ids visibility lists for `query`, sorted. */
async function visible(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of t.env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids.sort();
}

/** Waits until visibility lists exactly `ids` for `query`. */
function visibleExactly(query: string, ids: string[]): Promise<true> {
  const want = JSON.stringify([...ids].sort());
  return eventually(`visibility to list ${want} for ${query}`, async () => (JSON.stringify(await visible(query)) === want ? true : undefined), {
    timeoutMs: 30_000,
  });
}

function runState(id: string, state: RunState): Promise<true> {
  return eventually(`${id} to be ${state}`, async () => ((await t.rig.tf.getStatus(id)).state === state ? true : undefined));
}

let aRuns: string[];
let bRuns: string[];

beforeAll(async () => {
  const stamp = Date.now().toString(36);
  aRuns = [];
  bRuns = [];
  for (let i = 0; i < 4; i++) aRuns.push((await t.rig.tf.startRun(chain(A), { id: `${A}-${stamp}-${i}` })).workflowId);
  for (let i = 0; i < 2; i++) bRuns.push((await t.rig.tf.startRun(chain(B), { id: `${B}-${stamp}-${i}` })).workflowId);
  // A run of pipeline a that has ended: the query alone matches it, the narrowing must not.
  const done = await t.rig.tf.startRun({ name: A, nodes: [{ id: 'only', activity: 'step' }] }, { id: `${A}-${stamp}-done` });
  await t.rig.tf.result(done.workflowId, { wait: true });
  await visibleExactly(`TapflowPipeline = '${A}' AND ExecutionStatus = 'Running'`, aRuns);
  await visibleExactly(`TapflowPipeline = '${A}' AND ExecutionStatus = 'Completed'`, [done.workflowId]);
  await visibleExactly(`TapflowPipeline = '${B}' AND ExecutionStatus = 'Running'`, bRuns);
});

afterAll(async () => {
  // Whatever a failed test left running.
  for (const id of [...(aRuns ?? []), ...(bRuns ?? [])]) await t.rig.tf.cancel(id).catch(() => undefined);
});

test('bulk pause, resume and cancel of a pipeline, end to end', async () => {
  const query = `TapflowPipeline = '${A}'`;

  // --dry-run: exactly a's running runs, and nothing done.
  const dry = parseJson<BulkControlResult>(await cli('pause', '--query', query, '--dry-run', '--json'));
  expect(dry).toMatchObject({ action: 'pause', query, dryRun: true, matched: 4, accepted: 0, refused: 0, failed: 0 });
  expect(dry.runs.map((r) => r.workflowId).sort()).toEqual([...aRuns].sort());
  expect(dry.runs.every((r) => r.outcome === 'matched' && r.state === 'running')).toBe(true);
  const dryText = await cli('pause', '--query', query, '--dry-run');
  expect(dryText.code).toBe(0);
  expect(dryText.stdout.trim().split('\n').sort()).toEqual(
    [...aRuns.map((id) => `${id}: would pause (running)`), '4 matched (dry run: nothing done)'].sort(),
  );
  for (const id of [...aRuns, ...bRuns]) expect((await t.rig.tf.getStatus(id)).state).toBe('running');
  for (const id of aRuns) expect(await listControlActions(t.db.pool, id)).toEqual([]);

  // Pause: exactly a's runs, each acknowledged and recorded with who and why; b's untouched.
  const paused = await cli('pause', '--query', query, '--reason', 'db maintenance', '--user', 'ops', '--json');
  expect(paused.code).toBe(0);
  const pauseResult = parseJson<BulkControlResult>(paused);
  expect(pauseResult).toMatchObject({ action: 'pause', dryRun: false, matched: 4, accepted: 4, refused: 0, failed: 0 });
  expect(pauseResult.runs.map((r) => r.workflowId).sort()).toEqual([...aRuns].sort());
  for (const run of pauseResult.runs) expect(['pausing', 'paused']).toContain(run.state);
  for (const id of aRuns) await runState(id, 'paused');
  for (const id of bRuns) expect((await t.rig.tf.getStatus(id)).state).toBe('running');
  const requestIds = new Set<string>();
  for (const id of aRuns) {
    const actions = await eventually(`${id}'s pause recorded`, async () => {
      const rows = await listControlActions(t.db.pool, id);
      return rows.length > 0 ? rows : undefined;
    });
    expect(actions).toEqual([expect.objectContaining({ action: 'pause', requestedBy: 'ops', reason: 'db maintenance', accepted: true })]);
    requestIds.add(actions[0]!.requestId);
  }
  expect(requestIds.size).toBe(4);
  for (const id of bRuns) expect(await listControlActions(t.db.pool, id)).toEqual([]);

  // One of them is resumed by hand: the bulk resume finds it running and it refuses.
  const [early, ...rest] = aRuns as [string, ...string[]];
  await t.rig.tf.resume(early, { by: 'someone' });

  const rate = 5;
  const resumed = await cli('resume', '--query', query, '--rate', String(rate), '--user', 'ops', '--json');
  expect(resumed.code).toBe(0);
  const resumeResult = parseJson<BulkControlResult>(resumed);
  expect(resumeResult).toMatchObject({ action: 'resume', matched: 4, accepted: 3, refused: 1, failed: 0 });
  expect(resumeResult.runs.find((r) => r.workflowId === early)).toMatchObject({
    outcome: 'refused',
    error: 'cannot resume: the run is running, not paused',
  });
  for (const id of rest) expect(resumeResult.runs.find((r) => r.workflowId === id)).toMatchObject({ outcome: 'accepted', state: 'running' });

  // The rate, from the times the runs themselves recorded taking the resume: one every 200 ms at
  // most (a refused run takes its turn too). The tolerance covers delivery jitter on a loaded
  // machine; without the limit the gaps are a few milliseconds.
  const intervalMs = 1000 / rate;
  const tolerance = 80;
  const acks: number[] = [];
  for (const id of rest) {
    const actions = await eventually(`${id}'s resume recorded`, async () => {
      const rows = (await listControlActions(t.db.pool, id)).filter((r) => r.action === 'resume');
      return rows.length > 0 ? rows : undefined;
    });
    expect(actions).toEqual([expect.objectContaining({ requestedBy: 'ops', accepted: true })]);
    acks.push(actions[0]!.requestedAt.getTime());
  }
  acks.sort((x, y) => x - y);
  const gaps = acks.slice(1).map((at, i) => at - acks[i]!);
  expect(gaps.filter((gap) => gap < intervalMs - tolerance)).toEqual([]);
  // The command's own report (refused run included) spans at least the three intervals between
  // four actions; each time there is when the answer came back, so only the span is firm.
  const reported = resumeResult.runs.map((r) => Date.parse(r.at ?? '')).sort((x, y) => x - y);
  expect(reported[3]! - reported[0]!).toBeGreaterThanOrEqual(3 * intervalMs - tolerance);

  // Cancel both pipelines, as text: a line per run and the summary.
  await visibleExactly(`(TapflowPipeline = '${A}' OR TapflowPipeline = '${B}') AND ExecutionStatus = 'Running'`, [...aRuns, ...bRuns]);
  const cancelled = await cli('cancel', '--query', `TapflowPipeline = '${A}' OR TapflowPipeline = '${B}'`, '--reason', 'done');
  expect(cancelled.code).toBe(0);
  const lines = cancelled.stdout.trim().split('\n');
  expect(lines.at(-1)).toBe('6 matched: 6 accepted, 0 refused, 0 failed');
  expect(lines.slice(0, -1).sort()).toEqual([...aRuns, ...bRuns].map((id) => `${id}: cancel accepted, run is cancelling`).sort());
  for (const id of [...aRuns, ...bRuns]) expect(await t.rig.tf.getState(id).catch(() => undefined)).toMatch(/cancell/);
});

test('a malformed query exits 2 with one line', async () => {
  const r = await cli('pause', '--query', 'TapflowPipeline = ');
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^tapflow: --query: Temporal refused the query: .+\n$/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});

test.each([
  ['neither ID nor --query', ['resume'], 'tapflow: resume: give a run ID, or --query to resume every run it matches\n'],
  ['both ID and --query', ['cancel', 'some-id', '--query', "TapflowState = 'running'"], 'tapflow: cancel: give a run ID or --query, not both\n'],
  ['--dry-run with an ID', ['pause', 'some-id', '--dry-run'], 'tapflow: pause: --dry-run and --rate go with --query\n'],
  ['a bad --rate', ['pause', '--query', "TapflowState = 'running'", '--rate', 'fast'], 'tapflow: --rate: expected a positive number of actions per second, got "fast"\n'],
  ['an empty --query', ['pause', '--query', ' '], 'tapflow: --query: must not be empty\n'],
])('%s exits 2 with one line', async (_name, args, stderr) => {
  const r = await cli(...args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(stderr);
});
