/**
 * Every view of one run tells the same truth about its nodes and progress. One mixed run (an
 * activity, a map node with items, a sleep, a child pipeline, an event node waiting, a node held
 * for an operator, a node an operator skips) on a dev server with a real worker, store and API, looked at in several moments:
 * while the event waits, after the operator's skip, after the event is sent (the last node in
 * flight), and at the end. In each, the run's `status` query is the reference, and each other
 * view must come to show the same node states and the same progress:
 *
 * - `GET /api/runs/:id`, `tapflow status --json` (the CLI binary): at once, they ask the run;
 * - the store's row (`runStatusFromStore`) and the latest `status` event of the run's stream
 *   (the same row): within a few seconds, as the workflow writes the row;
 * - `TapflowState`/`TapflowProgress` (describe) and `tapflow list --json`: within 3 s (the
 *   every whole percent is upserted at once; visibility trails a little).
 *
 * The views are compared in separate tests per moment, so one view lagging does not hide the
 * others: the run goes on from one test to the next.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import { openEventStream, type StreamEvent } from '../../src/control/event-stream-client';
import type { RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { runStatusFromStore } from '../../src/store/run-status';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { PROGRESS_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE } from '../../src/workflows/definitions';
import { parseJson, tapflow } from '../helpers/cli';
import { delay, eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

let app: FastifyInstance;
// Before the rig's own hooks, so the API (and the store connection its stream holds) closes first.
afterAll(async () => {
  await stream?.stop();
  await app?.close();
});
const s = storeRigPerFile(devServerEnv, 'all-views');
let base: string;
let token: string;

const ID = 'all-views';
const PIPELINE = 'all-views';
/**
 * prep -> items -> count (a map over 8 items); prep -> nap (a sleep), child (a child pipeline),
 * approve (an event), check (fails and is held for an operator, who skips it); approve -> optional
 * (skipped by an operator while pending); merge needs all of them and works a while, so the moment
 * after the event has a node in flight.
 */
const spec: PipelineSpec = {
  name: PIPELINE,
  nodes: [
    { id: 'prep', activity: 'step' },
    { id: 'items', activity: 'range', needs: ['prep'], input: { n: 8 } },
    { id: 'count', kind: 'map', needs: ['items'], over: 'items.items', activity: 'square' },
    { id: 'nap', kind: 'sleep', needs: ['prep'], duration: '1s' },
    { id: 'child', kind: 'pipeline', needs: ['prep'], pipeline: { name: 'all-views-child', nodes: [{ id: 'x', activity: 'noop' }] } },
    { id: 'approve', kind: 'event', needs: ['prep'], event: 'approve' },
    { id: 'check', activity: 'fail', needs: ['prep'], onFailure: 'hold', input: { message: 'needs a look', nonRetryable: true } },
    { id: 'optional', activity: 'step', needs: ['approve'] },
    { id: 'merge', activity: 'step', needs: ['count', 'nap', 'child', 'approve', 'check', 'optional'], input: { sleepMs: 12_000 } },
  ],
} as PipelineSpec;

/** What every view must agree on: the run's state and progress, and each node's state. */
interface Seen {
  state: string;
  percent: number;
  progress?: { completed: number; skipped: number; total: number };
  /** Node id to its state, with what else says where it is: `+held`, `waiting for E`, `i/n items`. */
  nodes?: Record<string, string>;
}

/** The part of a status every view must agree on. */
function seen(status: RunStatus): Required<Seen> {
  const nodes: Record<string, string> = {};
  for (const n of status.nodes) {
    nodes[n.id] =
      n.state + (n.held ? ' +held' : '') + (n.waitingFor ? ` waiting for ${n.waitingFor}` : '') + (n.items ? ` ${n.items.done}/${n.items.total} items` : '');
  }
  const { completed, skipped, total, percent } = status.progress;
  return { state: status.state, percent, progress: { completed, skipped, total }, nodes };
}

/** Only the state and the percentage: what the search attributes and `tapflow list` hold. */
const brief = (view: Seen): Seen => ({ state: view.state, percent: view.percent });

/** `tapflow ...args` against this file's stack. */
const cli = (...args: string[]) => tapflow({ DATABASE_URL: s.db.url, TEMPORAL_ADDRESS: s.env.address, TAPFLOW_TASK_QUEUE: s.rig.taskQueue }, ...args);

/** The run's stream, read in the background for the whole file. */
let stream: { events: StreamEvent[]; stop: () => Promise<void> } | undefined;
function follow(url: string): NonNullable<typeof stream> {
  const events: StreamEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    try {
      for await (const event of openEventStream(url, { token, signal: controller.signal })) events.push(event);
    } catch {
      // aborted at the end of the file, or the stream ended with the run
    }
  })();
  return {
    events,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

/** Each view of the run, read now. */
const views: Record<string, () => Promise<Seen | undefined>> = {
  'GET /api/runs/:id': async () => {
    const res = await fetch(`${base}/api/runs/${ID}`, { headers: { authorization: `Bearer ${token}` } });
    return seen((await res.json()) as RunStatus);
  },
  'tapflow status --json': async () => seen(parseJson<RunStatus>(await cli('status', ID, '--json'))),
  'the store row': async () => {
    const row = await getRun(s.db.pool, ID);
    if (!row) return undefined;
    return seen(runStatusFromStore(row, row.nodes ? [] : await listAttempts(s.db.pool, ID)));
  },
  'the latest status event': async () => {
    const last = [...(stream?.events ?? [])].reverse().find((e) => e.event === 'status');
    return last ? seen(JSON.parse(last.data) as RunStatus) : undefined;
  },
  'TapflowState/TapflowProgress': async () => {
    const attributes = (await s.env.client.workflow.getHandle(ID).describe()).typedSearchAttributes;
    const state = attributes.get(STATE_SEARCH_ATTRIBUTE);
    const percent = attributes.get(PROGRESS_SEARCH_ATTRIBUTE);
    return state === undefined || percent === undefined ? undefined : { state, percent };
  },
  'tapflow list --json': async () => {
    const rows = parseJson<Array<{ workflowId: string; state: string; progressPercent?: number }>>(await cli('list', '--pipeline', PIPELINE, '--json'));
    const row = rows.find((r) => r.workflowId === ID);
    return row?.progressPercent === undefined ? undefined : { state: row.state, percent: row.progressPercent };
  },
};

/** Views that show only the state and the percentage. */
const BRIEF = new Set(['TapflowState/TapflowProgress', 'tapflow list --json']);
/** How long each view may take to catch up with the run. */
const CATCH_UP_MS: Record<string, number> = {
  'GET /api/runs/:id': 0,
  'tapflow status --json': 0,
  'the store row': 3_000,
  'the latest status event': 3_000,
  'TapflowState/TapflowProgress': 3_000,
  'tapflow list --json': 3_000,
};

/**
 * What each of `names` shows, polled until it shows `expected` or its time to catch up has
 * passed (then the last thing it showed, for the assertion's diff).
 */
async function compare(names: string[], expected: Required<Seen>): Promise<{ shown: Record<string, Seen | undefined>; want: Record<string, Seen> }> {
  const shown: Record<string, Seen | undefined> = {};
  const want: Record<string, Seen> = {};
  await Promise.all(
    names.map(async (name) => {
      want[name] = BRIEF.has(name) ? brief(expected) : expected;
      const deadline = Date.now() + (CATCH_UP_MS[name] ?? 0);
      for (;;) {
        shown[name] = await views[name]!().catch((err: unknown) => ({ state: `error: ${String(err)}`, percent: -1 }));
        if (isDeepStrictEqual(shown[name], want[name]) || Date.now() >= deadline) return;
        await delay(100);
      }
    }),
  );
  return { shown, want };
}

/** The run's status (the reference), once `ready` says the moment has come; it must then hold still. */
async function moment(what: string, ready: (status: RunStatus) => boolean): Promise<Required<Seen>> {
  const status = await eventually(what, async () => {
    const st = await s.rig.tf.getStatus(ID);
    return ready(st) ? st : undefined;
  }, { timeoutMs: 60_000, intervalMs: 50 });
  return seen(status);
}

const node = (status: RunStatus, id: string) => status.nodes.find((n) => n.id === id);
const LIVE = ['GET /api/runs/:id', 'tapflow status --json'];
const STORE = ['the store row', 'the latest status event'];
const VISIBILITY = ['TapflowState/TapflowProgress', 'tapflow list --json'];

/** The reference of the current moment, set by the first test of each moment. */
let reference: Required<Seen>;

/**
 * The views, against the run's own status at this moment: each group its own test, so one view
 * that lags does not hide the others.
 */
function viewsAgree(): void {
  test('the API and tapflow status agree', async () => {
    const { shown, want } = await compare(LIVE, reference);
    expect(shown).toEqual(want);
  });
  test('the search attributes and tapflow list agree within 3 s', async () => {
    const { shown, want } = await compare(VISIBILITY, reference);
    expect(shown).toEqual(want);
  });
  test('the store row and the stream agree within 3 s', async () => {
    const { shown, want } = await compare(STORE, reference);
    expect(shown).toEqual(want);
  });
}


beforeAll(async () => {
  token = (await createApiToken(s.db.pool, { name: 'admin', grants: [{ pipeline: '*', actions: ['admin'] }] })).token;
  app = await buildApi({ client: s.rig.tf, store: s.db.pool, tokens: new StoreTokenVerifier(s.db.pool) });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  await s.rig.tf.startRun(spec, { id: ID });
  await eventually('the run in the store', () => getRun(s.db.pool, ID));
  stream = follow(`${base}/api/runs/${ID}/events`);
}, 120_000);

describe('while the event waits and a node is held: map done, sleep done, child done', () => {
  test('the run says so itself', async () => {
    reference = await moment('approve to wait with the rest done and check held', (st) =>
      ['count', 'nap', 'child'].every((id) => node(st, id)?.state === 'completed') &&
      node(st, 'approve')?.waitingFor === 'approve' &&
      node(st, 'check')?.held === true,
    );
    expect(reference).toEqual({
      state: 'held',
      percent: 55,
      progress: { completed: 5, skipped: 0, total: 9 },
      nodes: {
        prep: 'completed',
        items: 'completed',
        count: 'completed 8/8 items',
        nap: 'completed',
        child: 'completed',
        approve: 'running waiting for approve',
        check: 'failed +held',
        optional: 'pending',
        merge: 'pending',
      },
    });
  });
  viewsAgree();
});

describe('an operator skips the held node and a pending one', () => {
  test('the run counts them skipped, and done in the percentage', async () => {
    expect((await cli('skip', ID, 'check', '--output', '{"looked":true}', '--json')).code).toBe(0);
    expect((await cli('skip', ID, 'optional', '--output', '{"skipped":true}', '--json')).code).toBe(0);
    reference = await moment('check and optional skipped', (st) => node(st, 'optional')?.state === 'skipped' && node(st, 'check')?.state === 'skipped');
    expect(reference).toMatchObject({ state: 'running', percent: 77, progress: { completed: 5, skipped: 2, total: 9 } });
    expect(reference.nodes).toMatchObject({ approve: 'running waiting for approve', check: 'skipped', optional: 'skipped', merge: 'pending' });
  });
  viewsAgree();
});

describe('after the event: the last node in flight', () => {
  test('the run says so itself', async () => {
    await s.rig.tf.sendEvent(ID, 'approve', { by: 'test', data: { ok: true } });
    reference = await moment('merge to run', (st) => node(st, 'merge')?.state === 'running');
    expect(reference).toMatchObject({ state: 'running', percent: 88, progress: { completed: 6, skipped: 2, total: 9 } });
    expect(reference.nodes).toMatchObject({ approve: 'completed', merge: 'running' });
  });
  viewsAgree();
});

describe('at the end', () => {
  test('the run completed at 100 %, the skipped nodes counted as done', async () => {
    await s.rig.tf.result(ID, { wait: true });
    reference = await moment('the run to complete', (st) => st.state === 'completed');
    expect(reference).toMatchObject({ state: 'completed', percent: 100, progress: { completed: 7, skipped: 2, total: 9 } });
  });
  viewsAgree();
});
