/**
 * A store outage in the middle of a run: the embedded PostgreSQL is stopped while a node runs
 * and started again later. The pipeline goes on and finishes its nodes during the outage, and
 * takes a pause and a resume; the run stays open (its status already says `completed`) until
 * its final record can be written; once the database is back, every record lands: the run row,
 * both control actions, and one attempt row per attempt, agreeing with the run's own counts.
 * Real dev server, real PostgreSQL process stopped and started.
 */
import type { PipelineSpec } from '../../src/core/types';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { delay, eventually } from '../helpers/poll';
import { devServerEnv } from '../helpers/temporal';
import { storeRigPerFile } from '../helpers/store-rig';

const warnings: string[] = [];
const t = storeRigPerFile(devServerEnv, 'store-outage', { maxBackoffMs: 500, warn: (m) => warnings.push(m) });

test('a store outage mid-run loses no run and no record', async () => {
  const spec: PipelineSpec = {
    name: 'outage',
    nodes: [
      { id: 'before', activity: 'step', input: { sleepMs: 1500 } },
      { id: 'shaky', activity: 'flaky', needs: ['before'], input: { failures: 1 }, retry: { initialInterval: '200ms' } },
      { id: 'during', activity: 'step', needs: ['shaky'], input: { sleepMs: 1500 } },
      { id: 'last', activity: 'produce', needs: ['during'], input: { products: ['/out/last.txt'] } },
    ],
  };
  const id = `outage-${Date.now()}`;
  await t.rig.tf.startRun(spec, { id, user: 'alice', tags: ['outage'] });
  await eventually('the start to be recorded', async () => ((await getRun(t.db.pool, id)) ? true : undefined));
  await eventually('before to start', () => (t.rig.recorder.startsOf(id, 'before').length > 0 ? true : undefined));

  await t.server.stopServer('fast');

  // The pipeline goes on without the store, and takes control actions.
  await eventually('during to start', () => (t.rig.recorder.startsOf(id, 'during').length > 0 ? true : undefined));
  expect(await t.rig.tf.pause(id, { by: 'bob', reason: 'during the outage', requestId: 'outage-pause' })).toEqual({
    state: 'pausing',
  });
  await eventually('paused', async () => ((await t.rig.tf.getStatus(id)).state === 'paused' ? true : undefined));
  await t.rig.tf.resume(id, { by: 'bob', requestId: 'outage-resume' });
  const done = await eventually(
    'every node to finish',
    async () => {
      const status = await t.rig.tf.getStatus(id);
      return status.state === 'completed' ? status : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // Finished, but the run waits for its final record before it closes.
  await delay(1000);
  expect((await t.env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  expect(warnings.some((w) => /unreachable|outage|retry/i.test(w))).toBe(true);

  await t.server.startServer();
  const result = await t.env.client.workflow.getHandle(id).result();
  expect(result).toEqual({ last: { reported: 1 } });

  const run = await eventually('the final record', async () => {
    const found = await getRun(t.db.pool, id);
    return found?.state === 'completed' ? found : undefined;
  });
  expect(run).toMatchObject({ userName: 'alice', tags: ['outage'], products: ['/out/last.txt'], result, nodes: done.nodes });
  expect(run.nodes?.map((n) => [n.id, n.attempts])).toEqual([
    ['before', 1],
    ['shaky', 2],
    ['during', 1],
    ['last', 1],
  ]);
  const actions = await listControlActions(t.db.pool, id);
  expect(actions.map((a) => [a.action, a.requestId, a.requestedBy, a.reason])).toEqual([
    ['pause', 'outage-pause', 'bob', 'during the outage'],
    ['resume', 'outage-resume', 'bob', null],
  ]);
  // One attempt row per attempt the run counted, each finished as the run saw it.
  const rows = await eventually('every attempt row, finished', async () => {
    const found = await listAttempts(t.db.pool, id);
    return found.length === 5 && found.every((r) => r.outcome !== 'running') ? found : undefined;
  });
  for (const node of run.nodes ?? []) {
    const mine = rows.filter((r) => r.nodeId === node.id).sort((a, b) => a.attempt - b.attempt);
    expect(mine.map((r) => r.attempt)).toEqual(Array.from({ length: node.attempts }, (_, i) => i + 1));
    expect(mine.at(-1)?.outcome).toBe('completed');
  }
});
