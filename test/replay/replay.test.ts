/**
 * Replays every recorded history in `histories/` on the current workflow code; any
 * nondeterminism (a command added, dropped or reordered without `patched()`) fails the test.
 * Record with `RECORD_HISTORY=1 npx jest test/replay/record-history.test.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { historyFromJson } from '../helpers/history-json';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../helpers/temporal';
import { MAP_BATCH_ACTIVITY, RECORD_ACTIVITY } from '../../src/core/types';
import * as workflowTypes from '../../src/workflows';

const HISTORIES = join(__dirname, 'histories');
// Every history, those of a release's corpus (histories/<version>/) too: paths relative to HISTORIES.
const files = (readdirSync(HISTORIES, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();

/** The workflow id a history was recorded under: its file name (a release's files share names with the first corpus). */
const idOf = (file: string): string => basename(file, '.json');

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(4);
});

test('every workflow type the worker hosts has a recorded history', () => {
  // A new workflow type without one would never be checked for replay: record one for it.
  const types = Object.keys(workflowTypes).filter((name) => typeof (workflowTypes as Record<string, unknown>)[name] === 'function');
  expect(types.length).toBeGreaterThanOrEqual(2);
  const texts = files.map((file) => readFileSync(join(HISTORIES, file), 'utf8'));
  const missing = types.filter((type) => !texts.some((t) => new RegExp(`"workflowType":\\s*\\{\\s*"name":\\s*"${type}"`).test(t)));
  expect(missing).toEqual([]);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = historyFromJson(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
  expect(history.events?.length).toBeGreaterThan(0);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, idOf(file));
});

test('all histories replay in one replay worker per corpus folder', async () => {
  // Within a folder the workflow ids are unique; the id is the recorded one (a child's id is derived from it).
  const folders = new Map<string, string[]>();
  for (const file of files) folders.set(dirname(file), [...(folders.get(dirname(file)) ?? []), file]);
  const failures: string[] = [];
  let replayed = 0;
  for (const [folder, inFolder] of folders) {
    const histories = inFolder.map((file) => ({ workflowId: idOf(file), history: historyFromJson(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'))) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (result.error) failures.push(`${folder}/${result.workflowId}: ${result.error.message}`);
    }
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
  expect([...folders.keys()]).toEqual(expect.arrayContaining(['.', '0.2.0', '0.3.0', '0.4.0', '0.5.0']));
});

test('histories from before the run store have no record calls; the newer ones have the patch and record calls', () => {
  const text = (file: string): string => readFileSync(join(HISTORIES, file), 'utf8');
  const before = ['replay-cancelled.json', 'replay-diamond-retry-pause.json', 'replay-failed.json', 'replay-signals.json'];
  for (const file of before) expect(text(file)).not.toContain(RECORD_ACTIVITY);
  for (const file of ['replay-store-records.json', 'replay-timeout.json']) {
    expect(text(file)).toContain(RECORD_ACTIVITY);
    expect(text(file)).toMatch(/"markerName":\s*"core_patch"/);
  }
});

test('the operator and child histories hold what they are meant to cover: operator updates, a sleep timer, a child run', () => {
  const text = (file: string): string => readFileSync(join(HISTORIES, file), 'utf8');
  const operator = text('replay-operator.json');
  for (const update of ['retry', 'skip', 'send', 'edit', 'pause', 'resume']) {
    expect(operator).toMatch(new RegExp(`"name":\\s*"${update}"`));
  }
  expect(operator).toContain('timerStartedEventAttributes');
  expect(text('replay-child.json')).toContain('startChildWorkflowExecutionInitiatedEventAttributes');
  expect(text('replay-child.json')).toContain('signalExternalWorkflowExecutionInitiatedEventAttributes');
  // Every workflow type has a history: the map's shards run mapShardWorkflow.
  expect(text('replay-map.json')).toMatch(/"workflowType":\s*\{\s*"name":\s*"mapShardWorkflow"/);
  expect(text('replay-map-shard-0.json')).toMatch(/"workflowType":\s*\{\s*"name":\s*"mapShardWorkflow"/);
});

test('the held map history, recorded before finished shards were reused, ran every shard again on its retry', () => {
  const held = readFileSync(join(HISTORIES, 'replay-map-held-retry.json'), 'utf8');
  for (const shard of ['each/shard-0', 'each/shard-1', 'each.2/shard-0', 'each.2/shard-1']) {
    expect(held).toContain(`"replay-map-held-retry/${shard}"`);
  }
  expect(held).not.toContain('tapflow-map-reuse-shards');
});

test('the batched shard history runs its items as batch activities, one of them retried', () => {
  const batched = readFileSync(join(HISTORIES, 'replay-map-batch-shard-0.json'), 'utf8');
  expect(batched).toMatch(/"workflowType":\s*\{\s*"name":\s*"mapShardWorkflow"/);
  expect(batched.match(new RegExp(`"name":\\s*"${MAP_BATCH_ACTIVITY}"`, 'g'))).toHaveLength(4);
  // The second attempt of the batch holding the flaky item 15 completed it.
  expect(batched).toMatch(/"attempt":\s*2/);
});

test('the pause-at-end histories: before the patch the run completed while pausing; after it, it rested paused until resumed', () => {
  const text = (file: string): string => readFileSync(join(HISTORIES, file), 'utf8');
  // The patch marker's data, as the SDK writes it (JSON, base64 in the history).
  const marker = Buffer.from(JSON.stringify({ id: 'tapflow-pause-holds-end', deprecated: false })).toString('base64');
  const before = text('replay-pause-at-end.json');
  expect(before).not.toContain(marker);
  expect(before).toMatch(/"name":\s*"pause"/);
  expect(before).not.toMatch(/"name":\s*"resume"/);
  const after = text('replay-pause-held-at-end.json');
  expect(after).toContain(marker);
  expect(after).toMatch(/"name":\s*"resume"/);
});

test('a history the code does not match is reported (the check can fail)', async () => {
  // Rename the first scheduled activity: the workflow code schedules something else there.
  const json = JSON.parse(readFileSync(join(HISTORIES, 'replay-diamond-retry-pause.json'), 'utf8')) as {
    events: Array<{ activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }>;
  };
  const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes);
  if (!scheduled?.activityTaskScheduledEventAttributes?.activityType) throw new Error('no scheduled activity');
  scheduled.activityTaskScheduledEventAttributes.activityType.name = 'somethingElse';
  const replay = Worker.runReplayHistory(
    { workflowBundle: await workflowBundle() },
    historyFromJson(json),
    'replay-diamond-retry-pause',
  );
  await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
});

test('the continued-as-new histories: a chain of three executions, the later ones started from the carried state', () => {
  const text = (n: number): string => readFileSync(join(HISTORIES, `replay-continued-${n}.json`), 'utf8');
  expect(text(1)).toContain('workflowExecutionContinuedAsNewEventAttributes');
  expect(text(1)).toMatch(/"name":\s*"pause"/);
  expect(text(2)).toContain('"continuedExecutionRunId"');
  expect(text(2)).toContain('workflowExecutionContinuedAsNewEventAttributes');
  expect(text(2)).toMatch(/"name":\s*"skip"/);
  expect(text(3)).toContain('"continuedExecutionRunId"');
  expect(text(3)).toContain('workflowExecutionCompletedEventAttributes');
});

test('the 0.5.0 corpus carries one patch marker a run and local steps: markers, the tasks the run ended itself, a pause mid-chain', () => {
  const text = (file: string): string => readFileSync(join(HISTORIES, file), 'utf8');
  const patchesOf = (file: string): string[] => {
    const events = (JSON.parse(text(file)) as { events: Array<{ markerRecordedEventAttributes?: { details?: Record<string, { payloads?: Array<{ data?: string }> }> } }> }).events;
    return events
      .map((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data)
      .filter((d): d is string => d !== undefined)
      .map((d) => (JSON.parse(Buffer.from(d, 'base64').toString('utf8')) as { id: string }).id);
  };
  // The diamond asks no patch of its own: the lean one stands for every earlier one.
  expect(patchesOf('0.5.0/replay-diamond-retry-pause.json')).toEqual(['tapflow-lean-bookkeeping']);
  expect(patchesOf('0.4.0/replay-diamond-retry-pause.json')).toEqual(expect.arrayContaining(['tapflow-store-records', 'tapflow-live-views']));
  const local = text('0.5.0/replay-local-steps.json');
  expect((local.match(/"markerName":\s*"core_local_activity"/g) ?? []).length).toBeGreaterThanOrEqual(120);
  expect(local).toMatch(/"activityType":\s*\{\s*"name":\s*"tapflowEndTask"/);
  expect(local).toMatch(/"name":\s*"pause"/);
  // The durable final record is a local activity; the pause and the resume were recorded by
  // activities (their answers do not wait for the store).
  const diamond = text('0.5.0/replay-diamond-retry-pause.json');
  expect((diamond.match(/"activityType":\s*\{\s*"name":\s*"tapflowRecord"/g) ?? []).length).toBe(2);
  expect((diamond.match(/"markerName":\s*"core_local_activity"/g) ?? []).length).toBe(1);
});
