/**
 * The store's record of a run that moves to a new worker mid-run: the new worker replays the run
 * from its history first (as after a worker restart or crash). Writes made while replaying are
 * not sent, yet they must take their numbers as they did: the writes after them, the final record
 * among them, must carry the numbers that follow, or the store would take them for stale (lower
 * than what the first worker wrote) and keep the run `running` forever. And the new worker's
 * first live write must carry every node, since it has no list to lay changes over. Real dev
 * server, real PostgreSQL.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineSpec } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { getRun } from '../../src/store/sql/get-run';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { eventually } from '../helpers/poll';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

let env: TestWorkflowEnvironment;
let pg: EmbeddedPostgres;
let db: TestDatabase;
let recorder: AttemptRecorder;
const taskQueue = uniqueTaskQueue('store-replay');

beforeAll(async () => {
  [env, pg] = await Promise.all([devServerEnv(), startTestPostgres()]);
  db = await freshDatabase(pg);
  recorder = new AttemptRecorder(db.pool);
  recorder.start();
});

afterAll(async () => {
  await recorder?.drain();
  await db?.end();
  await Promise.all([pg?.stop(), env?.teardown()]);
});

const workerWithStore = (): Promise<TestRig> => startRig(env, taskQueue, { store: { pool: db.pool, recorder } });

test('a run that moves to a new worker mid-run is recorded completed, with every node', async () => {
  const id = 'moved-mid-run';
  const spec: PipelineSpec = {
    name: 'moved',
    nodes: [
      { id: 'a', activity: 'step' },
      { id: 'b', activity: 'step', needs: ['a'] },
      { id: 'c', activity: 'step', needs: ['a'] },
      { id: 'd', activity: 'step', needs: ['b', 'c'] },
      { id: 'gate', kind: 'event', event: 'go', needs: ['d'] },
      { id: 'e', activity: 'step', needs: ['gate'] },
      { id: 'f', activity: 'step', needs: ['e'] },
    ],
  };
  const first = await workerWithStore();
  await first.tf.startRun(spec, { id });
  // The first worker takes the run up to the gate, writing as it goes.
  await eventually('the run to wait at the gate, recorded', async () => {
    const row = await getRun(db.pool, id);
    return row?.nodes?.find((n) => n.id === 'gate')?.state === 'running' ? row : undefined;
  });
  await first.stop();
  // A new worker, with nothing cached: the event makes it replay the run, then go on.
  const second = await workerWithStore();
  try {
    await second.tf.sendEvent(id, 'go', { by: 'test' });
    await second.tf.result(id, { wait: true });
    const row = await eventually(`${id} to be recorded completed`, async () => {
      const r = await getRun(db.pool, id);
      return r?.state === 'completed' ? r : undefined;
    });
    expect(row).toMatchObject({ state: 'completed', progressCompleted: 7, progressTotal: 7 });
    expect(row.nodes?.map((n) => [n.id, n.state])).toEqual(['a', 'b', 'c', 'd', 'gate', 'e', 'f'].map((n) => [n, 'completed']));
  } finally {
    await second.stop();
  }
});
