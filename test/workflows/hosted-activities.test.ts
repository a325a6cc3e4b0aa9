/**
 * A node naming an activity no live worker on its task queue hosts is refused at start, naming
 * the node and what is hosted there; workers publish what they host to the store; a queue no
 * worker has published for is not checked; a start may go ahead anyway when asked.
 */
import { TapflowClient } from '../../src/client';
import { isTapflowError, UnknownActivityError } from '../../src/core/errors';
import type { PipelineSpec } from '../../src/core/types';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { timeSkippingEnv } from '../helpers/temporal';

const t = storeRigPerFile(timeSkippingEnv, 'hosted-activities');
let tf: TapflowClient;

beforeAll(async () => {
  tf = new TapflowClient(t.env.client, { taskQueue: t.rig.taskQueue, store: t.db.pool });
  await eventually('the worker to publish what it hosts', async () => {
    const { rows } = await t.db.pool.query('SELECT activity FROM tapflow.hosted_activities WHERE task_queue = $1', [t.rig.taskQueue]);
    return rows.length > 0 ? rows.map((r: { activity: string }) => r.activity) : undefined;
  });
});

const typo: PipelineSpec = {
  name: 'typo',
  nodes: [
    { id: 'first', activity: 'step' },
    { id: 'second', activity: 'stpe', needs: ['first'] },
    {
      id: 'child',
      kind: 'pipeline',
      needs: ['first'],
      pipeline: { name: 'inner', nodes: [{ id: 'deep', activity: 'noope' }] },
    },
  ],
};

test("the worker published its own activities (not tapflow's bookkeeping)", async () => {
  const { rows } = await t.db.pool.query('SELECT activity FROM tapflow.hosted_activities WHERE task_queue = $1 ORDER BY activity', [t.rig.taskQueue]);
  const names = rows.map((r: { activity: string }) => r.activity);
  expect(names).toEqual(expect.arrayContaining(['noop', 'step', 'wait']));
  expect(names).not.toContain('tapflowRecord');
  expect(names).not.toContain('tapflowMapBatch');
});

test('a start naming unknown activities is refused, each node named, and nothing starts', async () => {
  const err = await tf.startRun(typo, { id: 'typo-1' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnknownActivityError);
  expect(isTapflowError(err, 'unknown_activity')).toBe(true);
  const lines = (err as Error).message.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^nodes\\[1\\] "second": no live worker on task queue "${t.rig.taskQueue}" hosts activity "stpe"; hosted there: .*\\bstep\\b`));
  expect(lines[1]).toMatch(/^nodes\[2\]\.pipeline\.nodes\[0\] "deep": no live worker on task queue "[^"]+" hosts activity "noope"/);
  await expect(t.env.client.workflow.getHandle('typo-1').describe()).rejects.toThrow();
});

test('allowUnknownActivities starts it anyway; a queue no worker has published for is not checked', async () => {
  const { workflowId } = await tf.startRun(typo, { id: 'typo-2', allowUnknownActivities: true });
  expect((await t.env.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  await t.env.client.workflow.getHandle(workflowId).terminate('test over');

  const elsewhere = await tf.startRun({ name: 'elsewhere', nodes: [{ id: 'x', activity: 'whatever' }] }, { id: 'typo-3', taskQueue: 'nobody-publishes-here' });
  expect(elsewhere.workflowId).toBe('typo-3');
  await t.env.client.workflow.getHandle('typo-3').terminate('test over');
});

test('a client without the store checks nothing', async () => {
  const plain = new TapflowClient(t.env.client, { taskQueue: t.rig.taskQueue });
  const { workflowId } = await plain.startRun(typo, { id: 'typo-4' });
  await t.env.client.workflow.getHandle(workflowId).terminate('test over');
});
