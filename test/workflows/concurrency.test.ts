/**
 * Concurrency limits across runs, on the dev server with a real worker and store: at most
 * `limit` runs of a key are past their start at once, sampled all along, while another key's runs
 * go on beside them; the others wait `queued` (no node started; the store and the search
 * attribute say so) and start in priority, then arrival, order; pause and cancel work while
 * queued (a paused run gives its place up, and takes its turn again when resumed); a run Temporal
 * terminated gives its slot back; a key that cannot be had fails the run before anything starts.
 */
import { isFinal, type RunState } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { EXPRESSION_FAILED } from '../../src/core/failure-types';
import { slotsQuery } from '../../src/workflows/concurrency-protocol';
import { concurrencyCoordinatorId } from '../../src/core/concurrency';
import { STATE_SEARCH_ATTRIBUTE } from '../../src/workflows/definitions';
import { delay, eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const stack = storeRigPerFile(devServerEnv, 'concurrency');

/** Runs of a tenant, `limit` at a time; each works 400 ms, or waits for an event `go` with `gate`. */
const limited = (limit: number, gate = false): PipelineSpec => ({
  name: 'tenant-work',
  concurrency: { key: 'tenant-${{ params.tenant }}', limit },
  nodes: gate
    ? [
        { id: 'gate', kind: 'event', event: 'go' },
        { id: 'work', activity: 'step', needs: ['gate'], input: { sleepMs: 0 } },
      ]
    : [{ id: 'work', activity: 'step', input: { sleepMs: 400 } }],
});

let n = 0;
async function start(spec: PipelineSpec, tenant: string, priority?: number): Promise<string> {
  const id = `conc-${tenant}-${++n}`;
  await stack.rig.tf.startRun(spec, { id, input: { tenant }, ...(priority === undefined ? {} : { priority }) });
  return id;
}

const stateOf = async (id: string): Promise<RunState> => (await stack.rig.tf.getStatus(id)).state;
const stateIs = (id: string, state: RunState) => eventually(`${id} ${state}`, async () => ((await stateOf(id)) === state ? true : undefined), { timeoutMs: 30_000 });
const allEnded = (ids: string[]) =>
  eventually('every run ended', async () => ((await Promise.all(ids.map(stateOf))).every((s) => isFinal(s)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 250 });
/** When each run's `work` node started. */
const workStarts = async (ids: string[]) =>
  Promise.all(ids.map(async (id) => (await stack.rig.tf.getStatus(id)).nodes.find((node) => node.id === 'work')?.startedAt ?? ''));

test('20 runs on a key with a limit of 2: at most 2 are past their start at once; another key goes on beside them; every run completes', async () => {
  const spec = limited(2);
  const a: string[] = [];
  for (let i = 0; i < 20; i++) a.push(await start(spec, 'a'));
  // Key b's runs wait at their gate, so they are running all the while key a's go through.
  const gated = limited(2, true);
  const b = [await start(gated, 'b'), await start(gated, 'b')];

  let most = 0;
  let sawQueued = false;
  let bBesideA = false;
  for (;;) {
    const states = await Promise.all(a.map(stateOf));
    const past = states.filter((s) => s !== 'queued' && !isFinal(s)).length;
    most = Math.max(most, past);
    sawQueued ||= states.includes('queued');
    const bStates = await Promise.all(b.map(stateOf));
    bBesideA ||= past === 2 && bStates.some((s) => s === 'running');
    expect(past).toBeLessThanOrEqual(2);
    if (states.every((s) => isFinal(s))) break;
    await delay(50);
  }
  for (const id of b) await stack.rig.tf.sendEvent(id, 'go');
  await allEnded(b);
  expect({ most, sawQueued, bBesideA }).toEqual({ most: 2, sawQueued: true, bBesideA: true });
  expect(await Promise.all([...a, ...b].map(stateOf))).toEqual(Array(22).fill('completed'));
});

test('queued runs start in priority, then arrival, order; queued shows in the status, the store and the Web UI', async () => {
  const spec = limited(1, true);
  const holder = await start(spec, 'order');
  await eventually('the first run to hold the slot', async () => ((await stack.rig.tf.getStatus(holder)).nodes[0]?.state === 'running' ? true : undefined));
  const priorities = [3, 3, 1, 5, 1, 3];
  const queued: string[] = [];
  for (const p of priorities) queued.push(await start(spec, 'order', p));
  for (const id of queued) await stateIs(id, 'queued');

  const status = await stack.rig.tf.getStatus(queued[0] as string);
  expect(status).toMatchObject({ state: 'queued', reason: 'waiting for a concurrency slot: key "tenant-order", limit 1' });
  expect(status.nodes.every((node) => node.state === 'pending')).toBe(true);
  const row = await eventually('the store to say queued', async () => {
    const { rows } = await stack.db.pool.query('SELECT state FROM tapflow.runs WHERE workflow_id = $1', [queued[0]]);
    return rows[0]?.state === 'queued' ? rows[0] : undefined;
  });
  expect(row).toEqual({ state: 'queued' });
  const described = await stack.env.client.workflow.getHandle(queued[0] as string).describe();
  expect(described.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE)).toBe('queued');
  const slots = await stack.env.client.workflow.getHandle(concurrencyCoordinatorId('runs', 'tenant-order')).query(slotsQuery);
  expect(slots).toMatchObject({ key: 'tenant-order', limit: 1, holders: [{ workflowId: holder }] });
  expect(slots.waiting.map((w) => w.workflowId)).toEqual([2, 4, 0, 1, 5, 3].map((i) => queued[i]));

  // Each run, released in turn, hands the slot to the next.
  const everyone = [holder, ...queued];
  for (let turn = 0; turn < everyone.length; turn++) {
    const running = await eventually(`turn ${turn}`, async () => {
      for (const id of everyone) {
        const s = await stack.rig.tf.getStatus(id);
        if (s.state === 'running' && s.nodes[0]?.state === 'running') return id;
      }
      return undefined;
    }, { timeoutMs: 30_000 });
    await stack.rig.tf.sendEvent(running, 'go');
    await stateIs(running, 'completed');
  }
  const starts = await workStarts([2, 4, 0, 1, 5, 3].map((i) => queued[i] as string));
  expect([...starts].sort()).toEqual(starts);
});

test('pause and cancel while queued: a paused run gives its place up and queues again when resumed; a cancelled one starts nothing', async () => {
  const spec = limited(1, true);
  const holder = await start(spec, 'pc');
  await eventually('the holder to run', async () => ((await stack.rig.tf.getStatus(holder)).nodes[0]?.state === 'running' ? true : undefined));
  const paused = await start(spec, 'pc');
  const cancelled = await start(spec, 'pc');
  const next = await start(spec, 'pc');
  for (const id of [paused, cancelled, next]) await stateIs(id, 'queued');

  expect(await stack.rig.tf.pause(paused, { reason: 'not now' })).toEqual({ state: 'paused' });
  expect((await stack.rig.tf.cancel(cancelled, { reason: 'not needed', wait: true })).state).toBe('cancelled');
  const gone = await stack.rig.tf.getStatus(cancelled);
  expect(gone.nodes.every((node) => node.state === 'cancelled' || node.state === 'pending')).toBe(true);
  expect(stack.rig.recorder.startsOf(cancelled)).toEqual([]);

  // The holder ends: the slot goes to the run behind the paused one.
  await stack.rig.tf.sendEvent(holder, 'go');
  await eventually('the next run to have the slot', async () => ((await stack.rig.tf.getStatus(next)).nodes[0]?.state === 'running' ? true : undefined));
  expect(await stateOf(paused)).toBe('paused');
  expect(await stack.rig.tf.resume(paused)).toEqual({ state: 'queued' });
  await stack.rig.tf.sendEvent(next, 'go');
  await eventually('the resumed run to have the slot', async () => ((await stack.rig.tf.getStatus(paused)).nodes[0]?.state === 'running' ? true : undefined));
  await stack.rig.tf.sendEvent(paused, 'go');
  await stateIs(paused, 'completed');
});

test('a run Temporal terminated gives its slot back, while new runs of the key keep coming', async () => {
  const spec = limited(1, true);
  const holder = await start(spec, 'term');
  await eventually('the holder to run', async () => ((await stack.rig.tf.getStatus(holder)).nodes[0]?.state === 'running' ? true : undefined));
  const waiter = await start(spec, 'term');
  await stateIs(waiter, 'queued');
  await stack.env.client.workflow.getHandle(holder).terminate('operator terminated it');
  // The coordinator checks its holders every 10 s, however busy the key: new runs keep coming
  // every 2 s meanwhile, and each signal they send must not put the check off.
  const arrivals: string[] = [];
  const admitted = async () => (await stack.rig.tf.getStatus(waiter)).nodes[0]?.state === 'running';
  const deadline = Date.now() + 40_000;
  while (!(await admitted())) {
    if (Date.now() > deadline) throw new Error(`the waiter never had the slot (arrivals: ${arrivals.length})`);
    if (arrivals.length < 15) arrivals.push(await start(spec, 'term'));
    await delay(2000);
  }
  expect(arrivals.length).toBeGreaterThanOrEqual(4);
  for (const id of [waiter, ...arrivals]) {
    await eventually(`${id} to run`, async () => ((await stack.rig.tf.getStatus(id)).nodes[0]?.state === 'running' ? true : undefined), { timeoutMs: 30_000 });
    await stack.rig.tf.sendEvent(id, 'go');
    await stateIs(id, 'completed');
  }
});

test('a key that cannot be had fails the run before anything starts', async () => {
  const id = 'conc-no-tenant';
  await stack.rig.tf.startRun(limited(1), { id, input: {} });
  await stateIs(id, 'failed');
  const status = await stack.rig.tf.getStatus(id);
  expect(status.reason).toBe('concurrency.key: params.tenant: field not found: tenant');
  expect(stack.rig.recorder.startsOf(id)).toEqual([]);
  const failure = await stack.env.client.workflow.getHandle(id).result().then(() => undefined, (err: { cause?: { type?: string } }) => err.cause?.type);
  expect(failure).toBe(EXPRESSION_FAILED);
});

describe('a node limit', () => {
  /** A run of a node on the one GPU, between two nodes that need no slot. */
  const gpu = (name: string, sleepMs = 150): PipelineSpec => ({
    name,
    nodes: [
      { id: 'prepare', activity: 'step', input: { sleepMs: 0 } },
      { id: 'gpu', activity: 'step', needs: ['prepare'], input: { sleepMs }, concurrency: { key: 'gpu', limit: 1 } },
      { id: 'after', activity: 'step', needs: ['gpu'], input: { sleepMs: 0 } },
    ],
  });

  test('of 1 across 10 runs: the node never runs twice at once, the others wait showing waitingFor, every run completes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await start(gpu('render'), 'gpu'));
    const seen = await eventually('a node waiting for the slot', async () => {
      for (const id of ids) {
        const node = (await stack.rig.tf.getStatus(id)).nodes.find((x) => x.id === 'gpu');
        if (node?.waitingFor === 'concurrency gpu') return node;
      }
      return undefined;
    });
    expect(seen.state).toBe('running');
    await allEnded(ids);
    expect(await Promise.all(ids.map(stateOf))).toEqual(Array(10).fill('completed'));
    expect(stack.rig.recorder.maxConcurrencyOfNode('gpu')).toBe(1);
  });

  test('a run paused while its node waits for a slot rests paused; cancelled, the waiting node ends cancelled', async () => {
    const holder = await start(gpu('render-hold', 4000), 'gpu2');
    await eventually('the holder to have the GPU', () => (stack.rig.recorder.startsOf(holder, 'gpu').length ? true : undefined));
    const paused = await start(gpu('render-paused'), 'gpu2');
    const cancelled = await start(gpu('render-cancelled'), 'gpu2');
    for (const id of [paused, cancelled]) {
      await eventually(`${id} to wait for the GPU`, async () => ((await stack.rig.tf.getStatus(id)).nodes.find((x) => x.id === 'gpu')?.waitingFor === 'concurrency gpu' ? true : undefined));
    }
    // Nothing works in the paused run: it comes to rest at once, its node still waiting.
    expect(await stack.rig.tf.pause(paused)).toEqual({ state: 'paused' });
    expect((await stack.rig.tf.cancel(cancelled, { wait: true })).state).toBe('cancelled');
    expect((await stack.rig.tf.getStatus(cancelled)).nodes.find((x) => x.id === 'gpu')?.state).toBe('cancelled');
    await stateIs(holder, 'completed');
    // Paused, it took no slot when the holder ended; resumed, it asks again and runs.
    expect(stack.rig.recorder.startsOf(paused, 'gpu')).toEqual([]);
    expect(await stack.rig.tf.resume(paused)).toEqual({ state: 'running' });
    await stateIs(paused, 'completed');
    expect(stack.rig.recorder.maxConcurrencyOfNode('gpu')).toBe(1);
  });
});
