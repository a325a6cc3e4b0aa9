/**
 * Records the histories that `replay.test.ts` replays. Skipped unless RECORD_HISTORY=1:
 *
 *   RECORD_HISTORY=1 npx jest test/replay/record-history.test.ts
 *   RECORD_HISTORY=1 TAPFLOW_HISTORY_DIR=test/replay/histories/0.3.0 npx jest test/replay/record-history.test.ts -t '...'
 *
 * The second form records a release's corpus into a folder of its own (docs/compatibility.md).
 *
 * A history already on disk is kept, not overwritten: the point of the recorded files is that
 * runs recorded by older workflow code keep replaying on new code (the first four predate the
 * run store's record calls, behind `patched('tapflow-store-records')`). Add a scenario to record
 * a new one; delete a file only on purpose. `0.3.0/replay-literal-templates.json` was recorded by
 * 0.3.0's own copy of this file (a node input holding a literal `${{`, before expressions): its
 * scenario means something else on later code, so it is not here.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJson } from '../helpers/history-json';
import type { PipelineSpec } from '../../src/core/types';
import { devServerEnv } from '../helpers/temporal';
import { eventually } from '../helpers/poll';
import { startRig, type TestRig } from '../helpers/worker';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { StorePipelineRegistry } from '../../src/store/pipeline-registry';
import { LAUNCH_PIPELINE_WORKFLOW_TYPE } from '../../src/workflows/definitions';

const RECORD = process.env.RECORD_HISTORY === '1';
const HISTORIES = process.env.TAPFLOW_HISTORY_DIR ? resolve(process.env.TAPFLOW_HISTORY_DIR) : join(__dirname, 'histories');

let env: TestWorkflowEnvironment;
let rig: TestRig;

async function save(id: string, file = id): Promise<void> {
  if (existsSync(join(HISTORIES, `${file}.json`))) return;
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  mkdirSync(HISTORIES, { recursive: true });
  // The file name is the workflow id (a child's, with '/' made '-'): replay gives it back.
  writeFileSync(join(HISTORIES, `${file}.json`), historyToJson(history) + '\n');
}

function state(id: string, want: string): Promise<true> {
  return eventually(`${id} to be ${want}`, async () => ((await rig.tf.getStatus(id)).state === want ? true : undefined));
}

/** Like `state(id, 'held')`, for a run a thousand activities away from it. */
function heldSlowly(id: string): Promise<true> {
  return eventually(`${id} to be held`, async () => ((await rig.tf.getStatus(id)).state === 'held' ? true : undefined), { timeoutMs: 90_000 });
}

/** When an execution's history began, in milliseconds. */
function timeOf(history: { events?: Array<{ eventTime?: { seconds?: unknown; nanos?: number | null } | null }> | null }): number {
  const time = history.events?.[0]?.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}

function started(id: string, nodeId: string): Promise<true> {
  return eventually(`${id}/${nodeId} to start`, () => (rig.recorder.startsOf(id, nodeId).length ? true : undefined));
}

(RECORD ? describe : describe.skip)('record histories for replay', () => {
  beforeAll(async () => {
    env = await devServerEnv();
    rig = await startRig(env, 'record-history');
  });

  afterAll(async () => {
    await rig?.stop();
    await env?.teardown();
  });

  test('a diamond with a retry, paused and resumed in the middle', async () => {
    const id = 'replay-diamond-retry-pause';
    const spec: PipelineSpec = {
      name: 'replay-diamond',
      nodes: [
        { id: 'a', activity: 'step', input: { sleepMs: 1000 } },
        {
          id: 'b',
          activity: 'flaky',
          needs: ['a'],
          input: { failures: 1 },
          retry: { maximumAttempts: 3, initialInterval: '1s' },
        },
        { id: 'c', activity: 'noop', needs: ['a'], input: { side: 'c' } },
        { id: 'd', activity: 'step', needs: ['b', 'c'] },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { lang: 'en' } });
    await started(id, 'a');
    expect(await rig.tf.pause(id, { reason: 'recording' })).toEqual({ state: 'pausing' });
    await eventually('paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
    await rig.tf.resume(id);
    await rig.tf.result(id, { wait: true });
    const status = await rig.tf.getStatus(id);
    expect(status.nodes.find((n) => n.id === 'b')?.attempts).toBe(2);
    await save(id);
  });

  test('a run cancelled with a node in flight', async () => {
    const id = 'replay-cancelled';
    const spec: PipelineSpec = {
      name: 'replay-cancel',
      nodes: [
        { id: 'first', activity: 'noop' },
        { id: 'long', activity: 'step', needs: ['first'], input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
        { id: 'after', activity: 'noop', needs: ['long'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await started(id, 'long');
    expect(await rig.tf.cancel(id, { reason: 'recording', wait: true })).toEqual({ state: 'cancelled' });
    await save(id);
  });

  test('a run that fails and cancels a sibling in flight', async () => {
    const id = 'replay-failed';
    const spec: PipelineSpec = {
      name: 'replay-fail',
      nodes: [
        { id: 'long', activity: 'step', input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
        { id: 'bad', activity: 'fail', input: { message: 'recorded failure', nonRetryable: true } },
        { id: 'join', activity: 'noop', needs: ['long', 'bad'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true }).catch(() => undefined);
    expect((await rig.tf.getStatus(id)).state).toBe('failed');
    await save(id);
  });

  test('a run with the store records: retry, pause and resume by update, products, completed', async () => {
    const id = 'replay-store-records';
    const spec: PipelineSpec = {
      name: 'replay-store',
      nodes: [
        { id: 'a', activity: 'step', input: { sleepMs: 1000 } },
        { id: 'b', activity: 'flaky', needs: ['a'], input: { failures: 1 }, retry: { initialInterval: '1s' } },
        { id: 'c', activity: 'produce', needs: ['a'], input: { products: ['/out/c.txt'], plots: ['/out/c.png'] } },
        { id: 'd', activity: 'step', needs: ['b', 'c'] },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { lang: 'en' }, tags: ['replay'], user: 'recorder', priority: 2 });
    await started(id, 'a');
    expect(await rig.tf.pause(id, { reason: 'recording', by: 'recorder', requestId: 'pause-1' })).toEqual({
      state: 'pausing',
    });
    await eventually('paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
    await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await rig.tf.result(id, { wait: true });
    await save(id);
  });

  test('a run that passes its timeout', async () => {
    const id = 'replay-timeout';
    const spec: PipelineSpec = {
      name: 'replay-timeout',
      nodes: [
        { id: 'first', activity: 'noop' },
        { id: 'slow', activity: 'step', needs: ['first'], input: { sleepMs: 60_000 }, heartbeatTimeout: '2s' },
      ],
    };
    await rig.tf.startRun(spec, { id, timeout: '3s' });
    await rig.tf.result(id, { wait: true }).catch(() => undefined);
    expect((await rig.tf.getStatus(id)).state).toBe('failed');
    await save(id);
  });

  test('a run paused and cancelled by signal', async () => {
    const id = 'replay-signals';
    const spec: PipelineSpec = {
      name: 'replay-signals',
      nodes: [
        { id: 'a', activity: 'step', input: { sleepMs: 500 } },
        { id: 'b', activity: 'noop', needs: ['a'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await started(id, 'a');
    const handle = env.client.workflow.getHandle(id);
    await handle.signal('pause', { reason: 'recording' });
    await eventually('paused', async () => ((await rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
    await handle.signal('cancel', { reason: 'recording' });
    await handle.result().catch(() => undefined);
    expect((await rig.tf.getStatus(id)).state).toBe('cancelled');
    await save(id);
  });

  test('operator control: hold and retry with an input, needs-review and skip, an event, a sleep, edit while paused', async () => {
    const id = 'replay-operator';
    const spec: PipelineSpec = {
      name: 'replay-operator',
      nodes: [
        { id: 'a', activity: 'noop' },
        { id: 'flaky', activity: 'fail', needs: ['a'], onFailure: 'hold', retry: { maximumAttempts: 1 }, input: { message: 'held' } },
        { id: 'review', activity: 'review', needs: ['a'], input: { review: 'check it' } },
        { id: 'approve', kind: 'event', event: 'approval', needs: ['a'] },
        { id: 'nap', kind: 'sleep', duration: '1s', needs: ['approve'] },
        { id: 'last', activity: 'step', needs: ['flaky', 'review', 'nap'] },
      ],
    };
    await rig.tf.startRun(spec, { id, user: 'recorder' });
    await eventually('two held nodes', async () => {
      const s = await rig.tf.getStatus(id);
      return s.nodes.filter((n) => n.held).length === 2 ? true : undefined;
    });
    await rig.tf.retry(id, 'flaky', { by: 'recorder', requestId: 'retry-1', input: { message: 'held again' } });
    // The run stays held meanwhile (review is): wait for flaky's own second hold.
    await eventually('flaky held again', async () => {
      const flaky = (await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'flaky');
      return flaky?.held && flaky.attempts === 2 ? true : undefined;
    });
    await rig.tf.skip(id, 'flaky', { by: 'recorder', requestId: 'skip-1', output: 'by hand' });
    await rig.tf.skip(id, 'review', { by: 'recorder', requestId: 'skip-2', output: { ok: true } });
    await rig.tf.sendEvent(id, 'approval', { by: 'recorder', requestId: 'send-1', data: { approved: true } });
    await rig.tf.pause(id, { by: 'recorder', requestId: 'pause-1' });
    await state(id, 'paused');
    await rig.tf.edit(id, 'last', { by: 'recorder', requestId: 'edit-1', input: { edited: true } });
    await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await state(id, 'completed').catch(async () => undefined);
    await rig.tf.result(id, { wait: true });
    await save(id);
  });

  test('a child pipeline, paused and resumed through its parent', async () => {
    const id = 'replay-child';
    const spec: PipelineSpec = {
      name: 'replay-child',
      nodes: [
        { id: 'prep', activity: 'noop' },
        {
          id: 'sub',
          kind: 'pipeline',
          needs: ['prep'],
          pipeline: {
            name: 'replay-child-inner',
            nodes: [
              { id: 'c1', activity: 'step', input: { sleepMs: 1000 }, heartbeatTimeout: '2s' },
              { id: 'c2', activity: 'noop', needs: ['c1'] },
            ],
          },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('c1 to start', () => (rig.recorder.startsOf(`${id}/sub`, 'c1').length ? true : undefined));
    await rig.tf.pause(id, { by: 'recorder', requestId: 'pause-1' });
    await state(`${id}/sub`, 'paused');
    await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await rig.tf.result(id, { wait: true });
    await save(id);
    await save(`${id}/sub`, `${id}-sub`);
  });

  test('a map node over two shards, paused and resumed', async () => {
    const id = 'replay-map';
    const spec: PipelineSpec = {
      name: 'replay-map',
      nodes: [
        { id: 'list', activity: 'range', input: { n: 1010 } },
        { id: 'each', kind: 'map', needs: ['list'], over: 'list.items', activity: 'square', maxParallel: 8 },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('items to start', () => (rig.recorder.startsOf(id, 'each').length > 20 ? true : undefined));
    await rig.tf.pause(id, { by: 'recorder', requestId: 'pause-1' });
    await state(id, 'paused');
    await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await rig.tf.result(id, { wait: true });
    await save(id);
    await save(`${id}/each/shard-0`, `${id}-shard-0`);
  });

  // Recorded on the code before finished shards were reused (commit dbd27f3): the retry ran both
  // shards again. Replayed on today's code, the retry must still run both (patch
  // 'tapflow-map-reuse-shards'), though shard 0 had finished.
  test('a held map retried, held again and skipped (before shard reuse)', async () => {
    const id = 'replay-map-held-retry';
    const spec: PipelineSpec = {
      name: 'replay-map-held-retry',
      nodes: [
        { id: 'list', activity: 'range', input: { n: 1005 } },
        {
          id: 'each',
          kind: 'map',
          needs: ['list'],
          over: 'list.items',
          activity: 'square',
          // One shard at a time: shard 0 finishes before item 1002 in shard 1 fails.
          maxParallel: 1,
          input: { failAt: 1002 },
          retry: { maximumAttempts: 1 },
          onFailure: 'hold',
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await heldSlowly(id);
    await rig.tf.retry(id, 'each', { by: 'recorder', requestId: 'retry-1' });
    await heldSlowly(id);
    await rig.tf.skip(id, 'each', { output: [], by: 'recorder', requestId: 'skip-1' });
    await rig.tf.result(id, { wait: true });
    await save(id);
  }, 120_000);

  test('a batched map shard (batchSize) with a batch retried after an item failed', async () => {
    const id = 'replay-map-batch';
    const spec: PipelineSpec = {
      name: 'replay-map-batch',
      nodes: [
        { id: 'list', activity: 'range', input: { n: 40 } },
        {
          id: 'each',
          kind: 'map',
          needs: ['list'],
          over: 'list.items',
          activity: 'square',
          batchSize: 10,
          maxParallel: 2,
          input: { flakyAt: 15 },
          retry: { maximumAttempts: 2, initialInterval: '100ms' },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true });
    await save(`${id}/each/shard-0`, `${id}-shard-0`);
  });

  test('a run continued as new several times, paused and held across executions', async () => {
    const id = 'replay-continued';
    const spec: PipelineSpec = {
      name: 'replay-continued',
      nodes: [
        ...Array.from({ length: 8 }, (_, i) => ({ id: `s${i}`, activity: 'step', ...(i > 0 ? { needs: [`s${i - 1}`] } : {}) })),
        { id: 'held', activity: 'fail', needs: ['s7'], onFailure: 'hold' as const, retry: { maximumAttempts: 1 }, input: { message: 'held' } },
        { id: 'last', activity: 'noop', needs: ['held'] },
      ],
    };
    // Low enough for three executions or more at a run's leanest (0.5.0: no record activities).
    await rig.tf.startRun(spec, { id, continueAsNewAfterEvents: 25 });
    await started(id, 's3');
    await rig.tf.pause(id, { by: 'recorder', requestId: 'pause-1' });
    await state(id, 'paused');
    await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await state(id, 'held');
    await rig.tf.skip(id, 'held', { by: 'recorder', requestId: 'skip-1', output: 'by hand' });
    await rig.tf.result(id, { wait: true });
    // Every execution of the run, oldest first: each replays on its own, the later ones from a carried state.
    const runIds: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) runIds.push(wf.runId);
    const executions = await Promise.all(
      runIds.map(async (runId) => ({ runId, history: await env.client.workflow.getHandle(id, runId).fetchHistory() })),
    );
    expect(executions.length).toBeGreaterThanOrEqual(3);
    executions.sort((a, b) => timeOf(a.history) - timeOf(b.history));
    executions.forEach(({ history }, i) => {
      const file = join(HISTORIES, `${id}-${i + 1}.json`);
      if (!existsSync(file)) writeFileSync(file, historyToJson(history) + '\n');
    });
  }, 90_000);

  /**
   * Pauses a run while its last node is in flight, and resumes it if it comes to rest paused.
   * Recorded twice: `replay-pause-at-end` by the code before `tapflow-pause-holds-end` (the run
   * completed as soon as the node finished, paused or not), `replay-pause-held-at-end` by the
   * code after it (the run rests paused until resumed).
   */
  async function pauseAtEnd(id: string): Promise<void> {
    const spec: PipelineSpec = {
      name: 'replay-pause-at-end',
      nodes: [
        { id: 'first', activity: 'step' },
        { id: 'last', activity: 'step', needs: ['first'], input: { sleepMs: 1500 } },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await started(id, 'last');
    await rig.tf.pause(id, { by: 'recorder', requestId: 'pause-1' });
    const rest = await eventually(`${id} to rest`, async () => {
      const s = (await rig.tf.getStatus(id)).state;
      return s === 'paused' || s === 'completed' ? s : undefined;
    });
    if (rest === 'paused') await rig.tf.resume(id, { by: 'recorder', requestId: 'resume-1' });
    await rig.tf.result(id, { wait: true });
    await save(id);
  }

  test('a run paused, then cancelled through Temporal (its reason read from the history)', async () => {
    const id = 'replay-temporal-cancel';
    const spec: PipelineSpec = {
      name: 'replay-temporal-cancel',
      nodes: [
        { id: 'a', activity: 'noop' },
        { id: 'b', activity: 'noop', needs: ['a'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.pause(id, { reason: 'recording' });
    await state(id, 'paused');
    const handle = env.client.workflow.getHandle(id);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect((await rig.tf.getStatus(id)).reason).toMatch(/^cancelled through Temporal by /);
    await save(id);
  });

  test('a run quiet after a quick node: every percent upserted, live store writes', async () => {
    const id = 'replay-trailing-progress';
    const spec: PipelineSpec = {
      name: 'replay-trailing',
      nodes: [
        { id: 'a', activity: 'noop' },
        { id: 'b', activity: 'noop' },
        { id: 'gate', kind: 'event', event: 'go', needs: ['a', 'b'] },
        { id: 'after', activity: 'noop', needs: ['gate'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('the gate to wait', async () => ((await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'gate')?.state === 'running' ? true : undefined));
    await rig.tf.sendEvent(id, 'go', { data: { ok: true } });
    await rig.tf.result(id, { wait: true });
    await save(id);
  });

  test('local steps: a chain of local steps paused mid-chain and resumed, a flaky one retried, an activity node after', async () => {
    const id = 'replay-local-steps';
    const chain = Array.from({ length: 120 }, (_, i) => ({
      id: `s${i}`,
      // `wait`'s output is small, where `step` echoes its upstream: the history stays small.
      activity: 'wait',
      input: { duration: '5ms' },
      ...(i > 0 ? { needs: [`s${i - 1}`] } : {}),
    }));
    const spec: PipelineSpec = {
      name: 'replay-local',
      defaults: { local: true },
      nodes: [
        ...chain,
        { id: 'flaky', activity: 'flaky', input: { failures: 1 }, needs: ['s119'], retry: { initialInterval: '100ms' } },
        { id: 'after', activity: 'noop', local: false, needs: ['flaky'] },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await eventually('the chain to be under way', async () => ((await rig.tf.getStatus(id)).progress.completed >= 10 ? true : undefined));
    await rig.tf.pause(id, { by: 'recorder', requestId: 'local-pause' });
    await state(id, 'paused');
    await rig.tf.resume(id, { by: 'recorder', requestId: 'local-resume' });
    await rig.tf.result(id, { wait: true });
    await save(id);
  });

  test('a branch: a false condition, a join after it, input templates and an over expression', async () => {
    const id = 'replay-branches';
    const spec: PipelineSpec = {
      name: 'replay-branches',
      nodes: [
        { id: 'probe', activity: 'noop', input: { kind: '${{ params.kind }}', n: 4 } },
        { id: 'video', activity: 'step', needs: ['probe'], when: 'upstream.probe.kind == "video"', input: { label: 'clip ${{ params.id }}' } },
        { id: 'image', activity: 'step', needs: ['probe'], when: 'upstream.probe.kind == "image"' },
        { id: 'items', activity: 'range', needs: ['probe'], input: { n: '${{ upstream.probe.n }}' } },
        { id: 'squares', kind: 'map', needs: ['items'], activity: 'square', over: '${{ upstream.items.items.filter(i, i > 0) }}' },
        { id: 'publish', activity: 'step', needs: ['video', 'image', 'squares'], trigger: 'none_failed' },
      ],
    };
    await rig.tf.startRun(spec, { id, input: { kind: 'video', id: 7 } });
    await rig.tf.result(id, { wait: true });
    expect((await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'image')?.skipCause).toBe('condition');
    await save(id);
  });

  test('a failure that reaches an all_done join: the run goes on, then fails', async () => {
    const id = 'replay-failure-join';
    const spec: PipelineSpec = {
      name: 'replay-failure-join',
      nodes: [
        { id: 'bad', activity: 'fail', input: { message: 'recorded failure', nonRetryable: true } },
        { id: 'other', activity: 'step', input: { sleepMs: 500 } },
        { id: 'after', activity: 'noop', needs: ['bad'] },
        { id: 'cleanup', activity: 'step', needs: ['bad', 'other'], trigger: 'all_done' },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await state(id, 'failed');
    expect((await rig.tf.getStatus(id)).nodes.find((n) => n.id === 'cleanup')?.state).toBe('completed');
    await save(id);
  });

  test('a repeated child pipeline that ends by its condition', async () => {
    const id = 'replay-repeat';
    const spec: PipelineSpec = {
      name: 'replay-repeat',
      nodes: [
        {
          id: 'write',
          kind: 'pipeline',
          pipeline: { name: 'replay-revise', nodes: [{ id: 'draft', activity: 'noop', input: '${{ params.input }}' }] },
          input: { round: '${{ round }}', previous: '${{ previous }}' },
          repeat: { until: 'output.draft.round >= 2', max: 3 },
        },
      ],
    };
    await rig.tf.startRun(spec, { id });
    await rig.tf.result(id, { wait: true });
    await save(id);
    await save(`${id}/write~2`, 'replay-repeat-write~2');
  });

  describe('with a store (the registry, concurrency slots)', () => {
    let pg: EmbeddedPostgres | undefined;
    let db: TestDatabase | undefined;
    let recorder: AttemptRecorder | undefined;
    let storeRig: TestRig | undefined;
    beforeAll(async () => {
      pg = await startTestPostgres();
      db = await freshDatabase(pg);
      recorder = new AttemptRecorder(db.pool);
      recorder.start();
      storeRig = await startRig(env, 'record-history-store', { store: { pool: db.pool, recorder } });
    });
    afterAll(async () => {
      await storeRig?.stop();
      await recorder?.drain();
      await db?.end();
      await pg?.stop();
    });

    test("a schedule's launch of a pipeline's latest version: looked up, then continued as new into the run", async () => {
      const id = 'replay-launch';
      const spec: PipelineSpec = { name: 'replay-latest', nodes: [{ id: 'only', activity: 'noop', input: { v: 2 } }] };
      await new StorePipelineRegistry((db as TestDatabase).pool).push(spec, 'recorder');
      const handle = await env.client.workflow.start(LAUNCH_PIPELINE_WORKFLOW_TYPE, {
        workflowId: id,
        taskQueue: (storeRig as TestRig).taskQueue,
        args: [{ pipeline: 'replay-latest', params: { day: 1 }, meta: { scheduleId: 'replay-schedule' } }],
      });
      await handle.result();
      // The launch's own execution: the lookup, and the continue-as-new.
      const launch = await env.client.workflow.getHandle(id, handle.firstExecutionRunId).fetchHistory();
      if (!existsSync(join(HISTORIES, `${id}.json`))) writeFileSync(join(HISTORIES, `${id}.json`), historyToJson(launch) + '\n');
    });

    test('two runs of a concurrency key with a limit of 1: one waits queued; and the key\'s coordinator', async () => {
      const spec: PipelineSpec = {
        name: 'replay-concurrency',
        concurrency: { key: 'replay-${{ params.tenant }}', limit: 1 },
        nodes: [{ id: 'work', activity: 'step', input: { sleepMs: 300 } }],
      };
      const tf = (storeRig as TestRig).tf;
      await tf.startRun(spec, { id: 'replay-concurrency-1', input: { tenant: 't' } });
      await tf.startRun(spec, { id: 'replay-concurrency-2', input: { tenant: 't' } });
      await tf.result('replay-concurrency-1', { wait: true });
      await tf.result('replay-concurrency-2', { wait: true });
      await save('replay-concurrency-1');
      await save('replay-concurrency-2');
      await save('tapflow-concurrency/runs/replay-t', 'replay-concurrency-coordinator');
    });

    test('two runs whose node shares a limit of 1: one waits for the slot', async () => {
      const spec: PipelineSpec = {
        name: 'replay-node-concurrency',
        nodes: [
          { id: 'prepare', activity: 'noop' },
          { id: 'gpu', activity: 'step', needs: ['prepare'], input: { sleepMs: 300 }, concurrency: { key: 'replay-gpu', limit: 1 } },
        ],
      };
      const tf = (storeRig as TestRig).tf;
      await tf.startRun(spec, { id: 'replay-node-concurrency-1' });
      await tf.startRun(spec, { id: 'replay-node-concurrency-2' });
      await tf.result('replay-node-concurrency-1', { wait: true });
      await tf.result('replay-node-concurrency-2', { wait: true });
      await save('replay-node-concurrency-1');
      await save('replay-node-concurrency-2');
    });
  });

  test('a run paused while its last node is in flight (before the pause held the end)', () => pauseAtEnd('replay-pause-at-end'), 60_000);

  test('a run paused while its last node is in flight, resting paused until resumed', () => pauseAtEnd('replay-pause-held-at-end'), 60_000);
});

if (!RECORD) {
  test('recording is off (set RECORD_HISTORY=1 to record)', () => {
    expect(RECORD).toBe(false);
  });
}
