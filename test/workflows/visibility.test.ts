/**
 * What a run shows outside tapflow: search attributes (TapflowState, TapflowPipeline,
 * TapflowProgress) found through Temporal's list query, the workflow's current details, and each
 * activity's summary. On the dev server (the time-skipping server has no real visibility).
 * Visibility is eventually consistent, so list queries are polled.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState } from '../../src/core/states';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
} from '../../src/workflows/definitions';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let rig: TestRig;

beforeAll(async () => {
  env = await devServerEnv();
  rig = await startRig(env, uniqueTaskQueue('visibility'));
});

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

interface Listed {
  workflowId: string;
  pipeline?: string;
  state?: string;
  progress?: number;
}

/** The runs a visibility query finds, with tapflow's search attributes. */
async function list(query: string): Promise<Listed[]> {
  const rows: Listed[] = [];
  for await (const wf of env.client.workflow.list({ query })) {
    const row: Listed = { workflowId: wf.workflowId };
    const pipeline = wf.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE);
    const state = wf.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE);
    const progress = wf.typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE);
    if (pipeline !== undefined) row.pipeline = pipeline;
    if (state !== undefined) row.state = state;
    if (progress !== undefined) row.progress = progress;
    rows.push(row);
  }
  return rows;
}

/** Polls (up to ~10 s) until a query finds run `id`; returns its row. */
function listed(query: string, id: string): Promise<Listed> {
  return eventually(`${query} to find ${id}`, async () => (await list(query)).find((r) => r.workflowId === id), {
    timeoutMs: 10_000,
    intervalMs: 200,
  });
}

function waitForState(id: string, state: RunState): Promise<true> {
  return eventually(`${id} to be ${state}`, async () => ((await rig.tf.getStatus(id)).state === state ? true : undefined));
}

const chain: PipelineSpec = {
  name: 'visible-chain',
  nodes: [
    { id: 'fetch', activity: 'step', input: { sleepMs: 1000 } },
    { id: 'resize', activity: 'step', needs: ['fetch'] },
    { id: 'report', activity: 'noop', needs: ['resize'] },
  ],
};

describe('search attributes', () => {
  test('a paused run is found by TapflowState; a completed one shows TapflowProgress 100', async () => {
    const id = 'visible-paused';
    await rig.tf.startRun(chain, { id });
    await eventually('fetch to start', () => (rig.recorder.startsOf(id, 'fetch').length ? true : undefined));
    await rig.tf.pause(id);
    await waitForState(id, 'paused');

    const paused = await listed(`TapflowState = 'paused' AND TapflowPipeline = 'visible-chain'`, id);
    // One node of three done.
    expect(paused).toEqual({ workflowId: id, pipeline: 'visible-chain', state: 'paused', progress: 33 });
    expect((await rig.tf.listRuns({ state: 'paused' })).map((r) => r.workflowId)).toContain(id);
    // Not found under another state.
    expect((await list(`TapflowState = 'running'`)).map((r) => r.workflowId)).not.toContain(id);

    await rig.tf.resume(id);
    await rig.tf.result(id, { wait: true });
    const completed = await listed(`TapflowState = 'completed'`, id);
    expect(completed).toEqual({ workflowId: id, pipeline: 'visible-chain', state: 'completed', progress: 100 });

    const described = await env.client.workflow.getHandle(id).describe();
    expect(described.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE)).toBe('completed');
    expect(described.typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE)).toBe(100);
    expect(await rig.tf.getState(id)).toBe('completed');

    const rows = await rig.tf.listRuns({ pipeline: 'visible-chain', state: 'completed' });
    expect(rows.find((r) => r.workflowId === id)).toMatchObject({
      pipeline: 'visible-chain',
      state: 'completed',
      progressPercent: 100,
    });
  });

  test('failed and cancelled runs are filed under their final state', async () => {
    const failedId = 'visible-failed';
    await rig.tf.startRun(
      {
        name: 'visible-fail',
        nodes: [
          { id: 'ok', activity: 'noop' },
          { id: 'bad', activity: 'fail', needs: ['ok'], input: { message: 'nope', nonRetryable: true } },
        ],
      },
      { id: failedId },
    );
    await rig.tf.result(failedId, { wait: true }).catch(() => undefined);
    // `ok` completed (50%); `bad` failed and counts as not done.
    expect(await listed(`TapflowState = 'failed'`, failedId)).toMatchObject({ pipeline: 'visible-fail', progress: 50 });

    const cancelledId = 'visible-cancelled';
    await rig.tf.startRun(
      { name: 'visible-cancel', nodes: [{ id: 'long', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' }] },
      { id: cancelledId },
    );
    await eventually('long to start', () => (rig.recorder.startsOf(cancelledId, 'long').length ? true : undefined));
    await rig.tf.cancel(cancelledId, { wait: true });
    expect(await listed(`TapflowState = 'cancelled'`, cancelledId)).toMatchObject({
      pipeline: 'visible-cancel',
      progress: 0,
    });
  });
});

describe('every change of the whole percent reaches TapflowProgress', () => {
  /** Completes `a` at once, then waits for event `go`: nothing follows the change of progress. */
  const quiet: PipelineSpec = {
    name: 'visible-trailing',
    nodes: [
      { id: 'a', activity: 'noop' },
      { id: 'gate', kind: 'event', event: 'go', needs: ['a'] },
    ],
  };

  test('a progress change a moment after the last upsert reaches TapflowProgress at once, while the run waits', async () => {
    const id = 'visible-trailing';
    await rig.tf.startRun(quiet, { id });
    const handle = env.client.workflow.getHandle(id);
    // `a` completes a moment after the run's first upsert (state running, 0 %): within the
    // second that used to hold a progress change back, and nothing comes after it until the event.
    const waiting = await eventually(
      'gate to wait',
      async () => ((await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'gate')?.waitingFor === 'go' ? Date.now() : undefined),
      { intervalMs: 20 },
    );
    const published = await eventually(
      'TapflowProgress 50',
      async () => ((await handle.describe()).typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE) === 50 ? Date.now() : undefined),
      { intervalMs: 50, timeoutMs: 5_000 },
    );
    expect(published - waiting).toBeLessThanOrEqual(2_000);
    expect((await handle.describe()).typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE)).toBe('running');
    expect((await rig.tf.getStatus(id)).progress).toMatchObject({ completed: 1, skipped: 0, total: 2, percent: 50 });

    // The history says how: the run's one patch marker and the upsert of 50 % (the start set 0),
    // with no timer to wait for it.
    const events = (await handle.fetchHistory()).events ?? [];
    const patches = events
      .map((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0])
      .filter((p) => p !== undefined)
      .map((p) => defaultPayloadConverter.fromPayload<{ id: string }>(p).id);
    expect(patches).toEqual(['tapflow-lean-bookkeeping']);
    const upserts = events.flatMap((e, i) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      const progress = fields?.[PROGRESS_SEARCH_ATTRIBUTE.name];
      return progress ? [{ at: i, progress: defaultPayloadConverter.fromPayload<number>(progress) }] : [];
    });
    expect(upserts.map((u) => u.progress)).toEqual([50]);
    expect(events.filter((e) => e.timerStartedEventAttributes)).toEqual([]);

    await rig.tf.sendEvent(id, 'go', { by: 'test' });
    await rig.tf.result(id, { wait: true });
    expect((await handle.describe()).typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE)).toBe(100);
  });

  test('a skipped node counts as done in TapflowProgress', async () => {
    const id = 'visible-skipped';
    await rig.tf.startRun(
      {
        name: 'visible-skip',
        nodes: [
          { id: 'a', activity: 'noop' },
          // Nobody sends it: it times out and skips itself.
          { id: 'never', kind: 'event', event: 'never', needs: ['a'], timeout: '1s', onTimeout: 'skip' },
          { id: 'b', activity: 'noop', needs: ['never'] },
        ],
      },
      { id },
    );
    await rig.tf.result(id, { wait: true });
    const status = await rig.tf.getStatus(id);
    expect(status.nodes.find((n) => n.id === 'never')?.state).toBe('skipped');
    expect(status.progress).toMatchObject({ completed: 2, skipped: 1, total: 3, percent: 100 });
    expect((await env.client.workflow.getHandle(id).describe()).typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE)).toBe(100);
  });
});

describe('in the Web UI', () => {
  test('the timeline shows the nodes and one final store record; each activity carries its node id as its summary, and current details show progress', async () => {
    const id = 'visible-summaries';
    await rig.tf.startRun(chain, { id });
    await rig.tf.result(id, { wait: true });
    const handle = env.client.workflow.getHandle(id);

    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    const seen = scheduled.map((e) => {
      const summary = e.userMetadata?.summary;
      return {
        activityId: e.activityTaskScheduledEventAttributes?.activityId,
        summary: summary ? defaultPayloadConverter.fromPayload<string>(summary) : undefined,
      };
    });
    // The run's live changes leave through the store sink (no history event), and the durable
    // final record is a local activity: one marker, named, not an activity of the timeline.
    expect(seen).toEqual([
      { activityId: 'fetch', summary: 'fetch' },
      { activityId: 'resize', summary: 'resize' },
      { activityId: 'report', summary: 'report' },
    ]);
    const local = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(
      local.map((e) => ({
        activityType: defaultPayloadConverter.fromPayload<{ activity_type: string }>(e.markerRecordedEventAttributes?.details?.data?.payloads?.[0] ?? {}).activity_type,
        summary: e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined,
      })),
    ).toEqual([{ activityType: 'tapflowRecord', summary: 'record run completed' }]);

    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('visible-chain');
    expect(metadata.currentDetails).toContain('completed, 3/3 nodes done');
    expect(await (await handle.describe()).staticSummary()).toBe('tapflow pipeline visible-chain');
  });
});
