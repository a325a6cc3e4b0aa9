/**
 * Schedules of registered pipelines on the dev server's Temporal Schedules (the time-skipping
 * server has none), with a real worker and store: runs a schedule starts are ordinary runs
 * (recorded with the schedule and version, controllable, found by `--schedule`); `NAME` pins the
 * latest version at creation, `NAME@latest` follows new versions at each firing; each overlap
 * policy; pause and unpause; backfill; the refusals; and the command line and HTTP API over it.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import { TapflowClient } from '../../src/client';
import type { ScheduleJson, PipelineSchedules, OverlapPolicyName } from '../../src/control/schedules';
import type { ScheduleListJson, ScheduleTriggerJson } from '../../src/cli/schedule';
import type { RunsSearchJson } from '../../src/cli/runs';
import { isTapflowError } from '../../src/core/errors';
import type { PipelineSpec } from '../../src/core/types';
import { StorePipelineRegistry } from '../../src/store/pipeline-registry';
import { searchRuns } from '../../src/store/sql/search-runs';
import { STATE_SEARCH_ATTRIBUTE, PIPELINE_SEARCH_ATTRIBUTE } from '../../src/workflows/definitions';
import { parseJson, tapflow } from '../helpers/cli';
import { delay, eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

let app: FastifyInstance | undefined;
// Before the rig's own hooks, so the API closes first.
afterAll(async () => {
  await app?.close();
});
const stack = storeRigPerFile(devServerEnv, 'schedules');

const QUICK = 'sched-quick';
const quick = (v: number): PipelineSpec => ({ name: QUICK, nodes: [{ id: 'a', activity: 'step', input: { sleepMs: 0, v } }] });
/** A run that waits for an event: it stays running until released. */
const GATED: PipelineSpec = { name: 'sched-gated', nodes: [{ id: 'gate', kind: 'event', event: 'go' }] };

let registry: StorePipelineRegistry;
let tf: TapflowClient;
let schedules: PipelineSchedules;

beforeAll(async () => {
  registry = new StorePipelineRegistry(stack.db.pool);
  tf = new TapflowClient(stack.env.client, { taskQueue: stack.rig.taskQueue, registry });
  schedules = tf.schedules;
  await registry.push(quick(1), 'test');
  await registry.push(GATED, 'test');
});

/** The schedule's description once `ready` says it is. */
async function describedWhen(id: string, what: string, ready: (d: ScheduleJson) => boolean, timeoutMs = 30_000): Promise<ScheduleJson> {
  let last: ScheduleJson | undefined;
  try {
    return await eventually(what, async () => {
      last = await schedules.describe(id);
      return ready(last) ? last : undefined;
    }, { timeoutMs, intervalMs: 250 });
  } catch (err) {
    // The schedule as last seen says more than the timeout.
    const seen = last && { actions: last.actions, running: last.running, recentRuns: last.recentRuns };
    throw new Error(`${(err as Error).message}; ${id} last seen: ${JSON.stringify(seen)}`);
  }
}

/** The store's row of a run, once its state is `state`. */
function storedWhen(runId: string, state: string) {
  return eventually(`${runId} ${state} in the store`, async () => {
    const rows = await stack.db.pool.query('SELECT state, schedule_id AS "scheduleId", pipeline_version AS "pipelineVersion" FROM tapflow.runs WHERE workflow_id = $1', [runId]);
    const row = rows.rows[0] as { state: string; scheduleId: string | null; pipelineVersion: number | null } | undefined;
    return row?.state === state ? row : undefined;
  }, { timeoutMs: 30_000 });
}

test('a schedule of NAME pins the latest version; its runs are ordinary runs, recorded with the schedule and found by it', async () => {
  const created = await schedules.create({ id: 'quick-every', pipeline: QUICK, every: '1s' });
  expect(created).toMatchObject({ id: 'quick-every', pipeline: QUICK, version: 1, pinnedLatest: true });
  expect(created.nextRuns.length).toBeGreaterThan(0);

  const d = await describedWhen('quick-every', 'two completed runs', (s) => s.recentRuns.filter((r) => r.state === 'completed').length >= 2);
  await schedules.pause('quick-every', 'enough');
  expect(d).toMatchObject({ pipeline: QUICK, version: 1, every: '1s', cron: null, overlap: 'skip', taskQueue: stack.rig.taskQueue, input: null });
  const run = d.recentRuns.find((r) => r.state === 'completed');
  expect(run?.runId).toMatch(/^quick-every-\d{4}-\d{2}-\d{2}T/);

  const status = await tf.getStatus(run?.runId as string);
  expect(status).toMatchObject({ pipeline: QUICK, pipelineVersion: 1, scheduleId: 'quick-every', state: 'completed' });
  expect(await storedWhen(run?.runId as string, 'completed')).toEqual({ state: 'completed', scheduleId: 'quick-every', pipelineVersion: 1 });
  const found = await eventually('the runs by schedule', async () => {
    const rows = await searchRuns(stack.db.pool, { scheduleId: 'quick-every' });
    return rows.length >= 2 ? rows : undefined;
  });
  expect(found.every((r) => r.scheduleId === 'quick-every' && r.pipeline === QUICK)).toBe(true);
  expect(await searchRuns(stack.db.pool, { scheduleId: 'no-such-schedule' })).toEqual([]);

  const listed = (await schedules.list()).find((s) => s.id === 'quick-every');
  expect(listed).toMatchObject({ pipeline: QUICK, version: 1, every: '1s', paused: true, note: 'enough' });
  expect(listed?.lastRun?.runId).toMatch(/^quick-every-/);
  await schedules.delete('quick-every');
});

test('NAME@latest starts the version that is latest at each firing; NAME@N stays on N', async () => {
  await schedules.create({ id: 'follow', pipeline: `${QUICK}@latest`, every: '1h', paused: true, input: { day: 'mon' } });
  await schedules.create({ id: 'pin1', pipeline: `${QUICK}@1`, every: '1h', paused: true });

  const first = await schedules.trigger('follow', { waitMs: 15_000 });
  expect(first).not.toBeNull();
  expect(await storedWhen(first?.runId as string, 'completed')).toMatchObject({ scheduleId: 'follow', pipelineVersion: 1 });

  await registry.push(quick(2), 'test');
  const second = await schedules.trigger('follow', { waitMs: 15_000 });
  expect(await storedWhen(second?.runId as string, 'completed')).toMatchObject({ scheduleId: 'follow', pipelineVersion: 2 });
  const status = await tf.getStatus(second?.runId as string);
  expect(status).toMatchObject({ pipelineVersion: 2, scheduleId: 'follow', state: 'completed' });
  // The input and the Web UI's search attributes are as for any run.
  const result = (await tf.result(second?.runId as string)) as { a: { params: unknown; input: { v: number } } };
  expect(result.a).toMatchObject({ params: { day: 'mon' }, input: { v: 2 } });
  const described = await tf.client.workflow.getHandle(second?.runId as string).describe();
  expect(described.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE)).toBe(QUICK);
  expect(described.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE)).toBe('completed');

  const pinned = await schedules.trigger('pin1', { waitMs: 15_000 });
  expect(await storedWhen(pinned?.runId as string, 'completed')).toMatchObject({ scheduleId: 'pin1', pipelineVersion: 1 });
  expect((await schedules.describe('follow')).version).toBe('latest');
  await schedules.delete('follow');
  await schedules.delete('pin1');
});

describe('overlap policies, with runs that wait for an event', () => {
  const running = (d: ScheduleJson) => d.recentRuns.filter((r) => r.state === 'running');
  const make = (id: string, overlap: OverlapPolicyName) => schedules.create({ id, pipeline: GATED.name, every: '1s', overlap });
  const release = (runId: string) => tf.sendEvent(runId, 'go');

  test('skip starts nothing while the last run goes; buffer-one starts one after it; allow-all starts each', async () => {
    await Promise.all([make('ov-skip', 'skip'), make('ov-buffer-one', 'buffer-one'), make('ov-allow', 'allow-all')]);
    const skip = await describedWhen('ov-skip', 'skipped firings', (d) => d.actions.skippedOverlap >= 2);
    expect(skip.actions.taken).toBe(1);
    expect(skip.running).toHaveLength(1);

    // Temporal does not watch the runs of an allow-all schedule: their own states tell.
    const allow = await describedWhen('ov-allow', 'overlapping runs', (d) => running(d).length >= 2);
    expect(allow.actions.skippedOverlap).toBe(0);

    const one = await describedWhen('ov-buffer-one', 'one run with more buffered than fits', (d) => d.actions.skippedOverlap >= 1);
    expect(one.running).toHaveLength(1);
    await Promise.all(['ov-skip', 'ov-allow'].map((id) => schedules.pause(id)));
    // The buffered firing starts as soon as the first run ends (a paused schedule would keep it).
    await release(one.running[0] as string);
    const after = await describedWhen('ov-buffer-one', 'the buffered run', (d) => d.actions.taken === 2 && d.running.length === 1);
    expect(after.running[0]).not.toBe(one.running[0]);
    for (const id of ['ov-skip', 'ov-allow', 'ov-buffer-one']) await schedules.delete(id);
  });

  test('buffer-all keeps every firing for later; cancel-other cancels the running run for the next', async () => {
    await Promise.all([make('ov-buffer-all', 'buffer-all'), make('ov-cancel', 'cancel-other')]);
    const all = await describedWhen('ov-buffer-all', 'buffered firings', (d) => Date.now() - Date.parse(d.createdAt) > 3500);
    expect(all.actions.skippedOverlap).toBe(0);
    expect(all.running).toHaveLength(1);

    const cancelled = await describedWhen('ov-cancel', 'a run cancelled for the next', (d) => d.recentRuns.some((r) => r.state === 'cancelled') && running(d).length === 1);
    await schedules.pause('ov-cancel');
    const gone = cancelled.recentRuns.find((r) => r.state === 'cancelled');
    const status = await tf.getStatus(gone?.runId as string);
    expect(status.state).toBe('cancelled');

    // Each buffered firing starts in turn as the one before ends.
    const firstRun = all.running[0] as string;
    await release(firstRun);
    const next = await describedWhen('ov-buffer-all', 'the next buffered run', (d) => d.running.length === 1 && d.running[0] !== firstRun);
    await release(next.running[0] as string);
    await describedWhen('ov-buffer-all', 'a third run from the buffer', (d) => d.actions.taken >= 3);
    for (const id of ['ov-buffer-all', 'ov-cancel']) await schedules.delete(id);
  });
});

test('pause stops the firings and unpause starts them again; the note says why', async () => {
  await schedules.create({ id: 'pausable', pipeline: QUICK, every: '1s', paused: true, note: 'not yet' });
  expect(await schedules.describe('pausable')).toMatchObject({ paused: true, note: 'not yet' });
  await delay(2500);
  expect((await schedules.describe('pausable')).actions.taken).toBe(0);

  await schedules.unpause('pausable', 'go');
  await describedWhen('pausable', 'a firing', (d) => d.actions.taken >= 1);
  await schedules.pause('pausable', 'maintenance window');
  const paused = await schedules.describe('pausable');
  expect(paused).toMatchObject({ paused: true, note: 'maintenance window' });
  await delay(2500);
  // A firing already being taken when the pause came may still land; nothing after it.
  expect((await schedules.describe('pausable')).actions.taken).toBeLessThanOrEqual(paused.actions.taken + 1);
  await schedules.delete('pausable');
});

test('backfill starts the runs of past firings, each named by the time it stands for', async () => {
  await schedules.create({ id: 'hourly', pipeline: QUICK, cron: '0 * * * *', overlap: 'allow-all' });
  const hour = 3_600_000;
  const top = Math.floor(Date.now() / hour) * hour;
  // Two past firings: three and two hours before the last full hour.
  await schedules.backfill('hourly', new Date(top - 3 * hour - 60_000), new Date(top - 2 * hour + 60_000));
  const ids = [top - 3 * hour, top - 2 * hour].map((t) => `hourly-${new Date(t).toISOString().replace('.000Z', 'Z')}`);
  for (const id of ids) expect(await storedWhen(id, 'completed')).toMatchObject({ scheduleId: 'hourly' });
  expect((await schedules.describe('hourly')).cron).toBe('0 * * * *');
  await expect(schedules.backfill('hourly', new Date(top), new Date(top - hour))).rejects.toThrow(/from .* must be before to/);
  await schedules.delete('hourly');
});

test('refusals: one clear error each, nothing made', async () => {
  const code = async (p: Promise<unknown>): Promise<string> => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    if (!isTapflowError(err)) throw new Error(`expected a tapflow error, got ${String(err)}`);
    return `${err.code}: ${err.message}`;
  };
  expect(await code(schedules.describe('nope'))).toMatch(/^schedule_not_found: no schedule with id "nope"/);
  expect(await code(schedules.pause('nope'))).toMatch(/^schedule_not_found/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK }))).toMatch(/^usage: .*either a cron expression \(cron\) or an interval \(every\)/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, cron: '0 * * * *', every: '1h' }))).toMatch(/^usage: .*one of them/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, every: 'soon' }))).toMatch(/^usage: every: "soon" is not a duration/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, every: '100ms' }))).toMatch(/^usage: every: "100ms" is shorter than Temporal allows/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, cron: 'every day' }))).toMatch(/^usage: cron: "every day" is not a cron expression/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, cron: '99 * * * *' }))).toMatch(/^usage: the schedule was refused by Temporal/);
  expect(await code(schedules.create({ id: 'bad', pipeline: QUICK, every: '1h', overlap: 'sometimes' as OverlapPolicyName }))).toMatch(/^usage: overlap: "sometimes"/);
  expect(await code(schedules.create({ id: 'bad', pipeline: 'never-pushed', every: '1h' }))).toMatch(/^pipeline_not_found/);
  expect(await code(schedules.create({ id: 'bad', pipeline: `${QUICK}@99`, every: '1h' }))).toMatch(/^pipeline_not_found: .*has no version 99/);
  expect(await code(new TapflowClient(stack.env.client).schedules.create({ id: 'bad', pipeline: QUICK, every: '1h' }))).toMatch(/^usage: this client has no pipeline registry/);
  expect((await schedules.list()).some((s) => s.id === 'bad')).toBe(false);

  await schedules.create({ id: 'taken', pipeline: QUICK, every: '1h', paused: true });
  expect(await code(schedules.create({ id: 'taken', pipeline: QUICK, every: '2h' }))).toMatch(/^schedule_exists/);
  expect((await schedules.describe('taken')).every).toBe('1h');
  await schedules.delete('taken');
});

describe('the command line', () => {
  const cli = (...args: string[]) =>
    tapflow({ DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: stack.env.address, TAPFLOW_TASK_QUEUE: stack.rig.taskQueue }, ...args);

  test('create, list, describe, trigger, runs search --schedule, pause, unpause, delete', async () => {
    const created = parseJson<{ version: number; pinnedLatest: boolean }>(await cli('schedule', 'create', 'cli-hourly', '--pipeline', QUICK, '--every', '1h', '--input', '{"k":1}', '--tag', 'nightly', '--json'));
    expect(created).toMatchObject({ version: 2, pinnedLatest: true });
    const text = await cli('schedule', 'create', 'cli-text', '--pipeline', `${QUICK}@latest`, '--cron', '0 3 * * *', '--paused');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/created schedule cli-text: sched-quick@latest\neach firing starts the latest version/);

    const list = parseJson<ScheduleListJson>(await cli('schedule', 'list', '--json'));
    expect(list.schedules.find((s) => s.id === 'cli-hourly')).toMatchObject({ pipeline: QUICK, version: 2, every: '1h', paused: false });
    expect(list.schedules.find((s) => s.id === 'cli-text')).toMatchObject({ version: 'latest', cron: '0 3 * * *', paused: true });

    const fired = parseJson<ScheduleTriggerJson>(await cli('schedule', 'trigger', 'cli-hourly', '--json'));
    expect(fired.run?.runId).toMatch(/^cli-hourly-/);
    await storedWhen(fired.run?.runId as string, 'completed');
    const found = parseJson<RunsSearchJson>(await cli('runs', 'search', '--schedule', 'cli-hourly', '--json'));
    expect(found.runs.map((r) => [r.workflowId, r.scheduleId, r.pipelineVersion, r.tags])).toEqual([[fired.run?.runId, 'cli-hourly', 2, ['nightly']]]);

    const described = await cli('schedule', 'describe', 'cli-hourly');
    expect(described.stdout).toMatch(/pipeline\s+sched-quick@2/);
    expect(described.stdout).toMatch(/input\s+\{"k":1\}/);
    expect(described.stdout).toContain(fired.run?.runId as string);

    expect((await cli('schedule', 'pause', 'cli-hourly', '--reason', 'holiday')).stdout).toBe('paused schedule cli-hourly: holiday\n');
    expect(parseJson<ScheduleJson>(await cli('schedule', 'describe', 'cli-hourly', '--json'))).toMatchObject({ paused: true, note: 'holiday' });
    expect((await cli('schedule', 'unpause', 'cli-hourly')).code).toBe(0);
    expect((await cli('schedule', 'delete', 'cli-hourly')).stdout).toBe('deleted schedule cli-hourly (its runs are kept)\n');
    expect((await cli('schedule', 'delete', 'cli-text')).code).toBe(0);
  });

  test('bad input: one line and exit code 2', async () => {
    for (const [args, message] of [
      [['schedule', 'describe', 'nope'], /^tapflow: no schedule with id "nope"/],
      [['schedule', 'create', 'x', '--pipeline', QUICK], /either a cron expression/],
      [['schedule', 'create', 'x', '--pipeline', QUICK, '--every', '1h', '--overlap', 'never'], /overlap: "never" is not a policy/],
      [['schedule', 'create', 'x', '--pipeline', 'nothing', '--every', '1h'], /no registered pipeline named "nothing"/],
      [['schedule', 'backfill', 'x', '--from', 'yesterday', '--to', '1h'], /--from: "yesterday" is not a time/],
    ] as const) {
      const r = await cli(...args);
      expect({ args, code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ args, code: 2, lines: 1 });
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('the HTTP API', () => {
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const roles = {
      admin: [{ pipeline: QUICK, actions: ['admin' as const] }],
      operator: [{ pipeline: QUICK, actions: ['read' as const, 'start' as const, 'control' as const] }],
      other: [{ pipeline: 'elsewhere', actions: ['read' as const] }],
    };
    for (const [name, grants] of Object.entries(roles)) tokens[name] = (await createApiToken(stack.db.pool, { name, grants })).token;
    app = await buildApi({ client: tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
  });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, role: string, body?: object) =>
    (app as FastifyInstance).inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` }, ...(body ? { payload: body } : {}) });

  test('create needs admin on the pipeline; read, trigger and pause follow the grants; delete', async () => {
    const body = { id: 'api-hourly', pipeline: `${QUICK}@1`, every: '1h', tags: ['api'] };
    expect((await call('POST', '/api/schedules', 'operator', body)).statusCode).toBe(403);
    const created = await call('POST', '/api/schedules', 'admin', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'api-hourly', pipeline: QUICK, version: 1, pinnedLatest: false });
    expect((await call('POST', '/api/schedules', 'admin', body)).statusCode).toBe(409);
    expect((await call('POST', '/api/schedules', 'admin', { ...body, id: 'x', every: 'soon' })).json()).toMatchObject({ error: { code: 'invalid_request' } });

    const listed = (await call('GET', '/api/schedules', 'operator')).json() as ScheduleListJson;
    expect(listed.schedules.map((s) => s.id)).toContain('api-hourly');
    expect(((await call('GET', '/api/schedules', 'other')).json() as ScheduleListJson).schedules).toEqual([]);
    expect((await call('GET', '/api/schedules/api-hourly', 'other')).statusCode).toBe(403);
    // As for runs: a token not granted every pipeline learns nothing of which ids are free.
    expect((await call('GET', '/api/schedules/nope', 'operator')).statusCode).toBe(403);

    const fired = await call('POST', '/api/schedules/api-hourly/trigger', 'operator', {});
    expect(fired.statusCode).toBe(200);
    const run = (fired.json() as ScheduleTriggerJson).run;
    expect(await storedWhen(run?.runId as string, 'completed')).toMatchObject({ scheduleId: 'api-hourly', pipelineVersion: 1 });
    const user = await stack.db.pool.query('SELECT user_name FROM tapflow.runs WHERE workflow_id = $1', [run?.runId]);
    expect(user.rows[0]).toEqual({ user_name: 'admin' });

    expect((await call('POST', '/api/schedules/api-hourly/pause', 'operator', { reason: 'audit' })).json()).toEqual({ id: 'api-hourly', paused: true, note: 'audit' });
    expect(((await call('GET', '/api/schedules/api-hourly', 'operator')).json() as ScheduleJson).paused).toBe(true);
    expect((await call('DELETE', '/api/schedules/api-hourly', 'operator')).statusCode).toBe(403);
    expect((await call('DELETE', '/api/schedules/api-hourly', 'admin')).json()).toEqual({ id: 'api-hourly', deleted: true });
  });
});
