/**
 * The operator's commands as a user runs them (`node bin/tapflow.js`): retry, skip, edit, send,
 * rerun (in a live run, and of an ended run as a new run reusing the store's outputs, with
 * `--dry-run` printing what the rerun then does), children; each recorded in the store, and
 * refusals as one line with exit 2. A dev server, a worker recording into a real PostgreSQL.
 */
import { listControlActions } from '../../src/store/sql/list-control-actions';
import { getRun } from '../../src/store/sql/get-run';
import type { PipelineSpec } from '../../src/core/types';
import type { RunState, RunStatus } from '../../src/core/states';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, tapflow, type CliResult } from '../helpers/cli';
import { devServerEnv } from '../helpers/temporal';
import { eventually, nodeOf } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';

const s = storeRigPerFile(devServerEnv, 'operator-cli');
const dir = mkdtempSync(join(tmpdir(), 'tapflow-operator-'));

/** `tapflow ...args`, as user carol where the command takes `--user`. */
function cli(...args: string[]): Promise<CliResult> {
  const asCarol = ['children', 'validate'].includes(args[0] ?? '') ? [] : ['--user', 'carol'];
  return tapflow({ DATABASE_URL: s.db.url, TEMPORAL_ADDRESS: s.env.address, TAPFLOW_TASK_QUEUE: s.rig.taskQueue }, ...args, ...asCarol);
}

function specFile(name: string, spec: PipelineSpec): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

function runState(id: string, state: RunState): Promise<RunStatus> {
  return eventually(`${id} to be ${state}`, async () => {
    const status = await s.rig.tf.getStatus(id);
    return status.state === state ? status : undefined;
  });
}

/** a -> check (held: needs review) -> report; and a -> side. */
const REVIEWED: PipelineSpec = {
  name: 'reviewed',
  nodes: [
    { id: 'a', activity: 'step', input: { tag: 'a' } },
    { id: 'check', activity: 'review', needs: ['a'], input: { review: 'the score is low' } },
    { id: 'side', activity: 'step', needs: ['a'] },
    { id: 'report', activity: 'step', needs: ['check'] },
  ],
};

describe('retry, skip and refusals', () => {
  test('a held node: retry with a new input, then skip; each recorded with who and what', async () => {
    const id = 'cli-held';
    expect((await cli('start', specFile('reviewed', REVIEWED), '--id', id)).code).toBe(0);
    const held = await runState(id, 'held');
    expect(held.reason).toBe('node "check" is held: the score is low');
    expect(nodeOf(held, 'check')).toMatchObject({ state: 'failed', held: true, errorType: 'TapflowNeedsReview' });

    // Retry with an input that still asks for review: held again, attempts numbered on.
    const retried = parseJson<{ state: string; node: string; nodeState: string }>(
      await cli('retry', id, 'check', '--input', '{"review":"still low"}', '--reason', 'tuned', '--json'),
    );
    expect(retried).toMatchObject({ workflowId: id, action: 'retry', node: 'check' });
    const again = await eventually('held again', async () => {
      const st = await s.rig.tf.getStatus(id);
      return nodeOf(st, 'check').error === 'still low' ? st : undefined;
    });
    expect(nodeOf(again, 'check')).toMatchObject({ attempts: 2, earlierAttempts: 1, inputEdited: true, held: true });

    // Retry refused on a node that is not held: one line, exit 2.
    const refused = await cli('retry', id, 'a');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`tapflow: ${id}: cannot retry: node "a" is completed, not held; use "tapflow rerun ID --from a"`);

    const skipped = await cli('skip', id, 'check', '--output', '{"score":0.9}');
    expect(skipped.code).toBe(0);
    const result = (await s.rig.tf.result(id, { wait: true })) as { report: { upstream: Record<string, unknown> } };
    expect(result.report.upstream).toEqual({ check: { score: 0.9 } });

    const actions = await eventually('the actions recorded', async () => {
      const rows = await listControlActions(s.db.pool, id);
      return rows.length >= 2 ? rows : undefined;
    });
    expect(actions.map((a) => [a.action, a.nodeId, a.requestedBy])).toEqual([
      ['retry', 'check', 'carol'],
      ['skip', 'check', 'carol'],
    ]);
    expect(actions[0]?.reason).toBe('tuned');
    expect(actions[0]?.details).toEqual({ input: { review: 'still low' } });
    expect(actions[1]?.details).toEqual({ output: { score: 0.9 } });
  });

  test('bad input is one line and exit 2: bad JSON, an unknown node, a missing flag', async () => {
    const bad = await cli('skip', 'whatever', 'n', '--output', '{oops');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tapflow: --output: not valid JSON/);
    const missing = await cli('edit', 'whatever', 'n');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--input/);
  });
});

describe('edit, send and rerun in a live run', () => {
  test('edit while paused; an event; rerun --dry-run lists what the rerun then does', async () => {
    const id = 'cli-live';
    const spec: PipelineSpec = {
      name: 'approval',
      nodes: [
        { id: 'draft', activity: 'step', input: { v: 1 } },
        { id: 'approve', kind: 'event', event: 'approval', needs: ['draft'] },
        { id: 'publish', activity: 'step', needs: ['approve'], input: { v: 1 } },
      ],
    };
    expect((await cli('start', specFile('approval', spec), '--id', id)).code).toBe(0);
    await eventually('waiting for approval', async () => {
      const st = await s.rig.tf.getStatus(id);
      return nodeOf(st, 'approve').waitingFor === 'approval' ? true : undefined;
    });
    // Paused at once: a waiting event node holds up no pause.
    expect(parseJson<{ state: string }>(await cli('pause', id, '--json')).state).toBe('paused');
    expect((await cli('edit', id, 'publish', '--input', '{"v":2}')).code).toBe(0);
    const editRefused = await cli('edit', id, 'draft', '--input', '{}');
    expect(editRefused.code).toBe(2);
    expect(editRefused.stderr).toContain('cannot edit: node "draft" is completed');

    const sent = parseJson<{ delivered: string[] }>(await cli('send', id, 'approval', '--data', '{"by":"dana"}', '--json'));
    expect(sent.delivered).toEqual(['approve']);
    const unknownEvent = await cli('send', id, 'nope');
    expect(unknownEvent.code).toBe(2);
    expect(unknownEvent.stderr).toContain('no node of this run waits for event "nope"');

    // While paused, rerun from approve: the dry run's lists are what the rerun reports.
    const dry = parseJson<{ rerun: string[]; reused: string[]; mode: string }>(await cli('rerun', id, '--from', 'approve', '--dry-run', '--json'));
    expect(dry).toMatchObject({ mode: 'in-run', rerun: ['approve', 'publish'], reused: ['draft'] });
    const done = parseJson<{ rerun: string[]; reused: string[] }>(await cli('rerun', id, '--from', 'approve', '--json'));
    expect({ rerun: done.rerun, reused: done.reused }).toEqual({ rerun: dry.rerun, reused: dry.reused });
    expect((await cli('resume', id)).code).toBe(0);
    // approve waits again (its event was used by the first round); send it again.
    await eventually('waiting again', async () => {
      const st = await s.rig.tf.getStatus(id);
      return nodeOf(st, 'approve').waitingFor ? true : undefined;
    });
    await cli('send', id, 'approval', '--data', '{"by":"erin"}');
    const result = (await s.rig.tf.result(id, { wait: true })) as { publish: { input: unknown; upstream: unknown } };
    expect(result.publish).toMatchObject({ input: { v: 2 }, upstream: { approve: { by: 'erin' } } });
    expect(s.rig.recorder.startsOf(id, 'draft')).toHaveLength(1);
  });
});

describe('rerun of an ended run', () => {
  test('a new run reuses the outputs the store holds; --dry-run matches; both runs record it', async () => {
    const id = 'cli-ended';
    const spec: PipelineSpec = {
      name: 'ended',
      nodes: [
        { id: 'one', activity: 'step', input: { n: 1 } },
        { id: 'two', activity: 'step', needs: ['one'], input: { n: 2 } },
        { id: 'three', activity: 'step', needs: ['two'], input: { n: 3 } },
      ],
    };
    expect((await cli('start', specFile('ended', spec), '--id', id, '--wait')).code).toBe(0);
    await eventually('the final record', async () => ((await getRun(s.db.pool, id))?.state === 'completed' ? true : undefined));
    await s.recorder.flush();

    const dry = parseJson<{ mode: string; rerun: string[]; reused: string[] }>(await cli('rerun', id, '--from', 'two', '--dry-run', '--json'));
    expect(dry).toMatchObject({ mode: 'new-run', rerun: ['two', 'three'], reused: ['one'] });

    const out = parseJson<{ newRunId: string; rerun: string[]; reused: string[] }>(
      await cli('rerun', id, '--from', 'two', '--id', 'cli-ended-again', '--json'),
    );
    expect(out).toMatchObject({ newRunId: 'cli-ended-again', rerun: dry.rerun, reused: dry.reused });
    const result = (await s.rig.tf.result('cli-ended-again', { wait: true })) as { three: { upstream: { two: { upstream: unknown } } } };
    // "one" did not run again: its output came from the store.
    expect(s.rig.recorder.startsOf('cli-ended-again', 'one')).toHaveLength(0);
    expect(s.rig.recorder.startsOf('cli-ended-again', 'two')).toHaveLength(1);
    expect(result.three.upstream.two.upstream).toEqual({ one: expect.objectContaining({ nodeId: 'one', input: { n: 1 } }) });
    const status = await s.rig.tf.getStatus('cli-ended-again');
    expect(nodeOf(status, 'one')).toMatchObject({ state: 'completed', reused: true });

    await eventually('rerun_of recorded', async () => ((await getRun(s.db.pool, 'cli-ended-again'))?.rerunOf === id ? true : undefined));
    const actions = await listControlActions(s.db.pool, id);
    expect(actions.map((a) => [a.action, a.nodeId, a.requestedBy])).toEqual([['rerun', 'two', 'carol']]);
    expect(actions[0]?.details).toEqual({ newRunId: 'cli-ended-again', rerun: ['two', 'three'], reused: ['one'] });
  });
});

describe('children', () => {
  test('lists the child runs of pipeline nodes; a child spec file is inlined from its path', async () => {
    const child: PipelineSpec = { name: 'inner', nodes: [{ id: 'x', activity: 'step' }] };
    specFile('inner', child);
    const parentPath = join(dir, 'outer.json');
    writeFileSync(parentPath, JSON.stringify({ name: 'outer', nodes: [{ id: 'sub', kind: 'pipeline', pipeline: './inner.json' }] }));
    expect((await cli('start', parentPath, '--id', 'cli-parent', '--wait')).code).toBe(0);
    const out = parseJson<{ children: Array<{ node: string; workflowId: string; pipeline: string }> }>(await cli('children', 'cli-parent', '--json'));
    expect(out.children).toEqual([expect.objectContaining({ node: 'sub', workflowId: 'cli-parent/sub', pipeline: 'inner' })]);

    const loopPath = join(dir, 'loop.json');
    writeFileSync(loopPath, JSON.stringify({ name: 'loop', nodes: [{ id: 'self', kind: 'pipeline', pipeline: './loop.json' }] }));
    const loop = await cli('validate', loopPath);
    expect(loop.code).toBe(2);
    expect(loop.stderr).toMatch(/nodes\[0\]\.pipeline: "\.\/loop\.json" makes a cycle of spec files/);
  });
});
