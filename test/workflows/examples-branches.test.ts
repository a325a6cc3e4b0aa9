/**
 * The shipped examples with branches and cycles, run for real on the time-skipping server with
 * their own activity modules and spec files (read as the command line reads them):
 * examples/media (a `when` per branch, a `none_failed` join) and examples/review (a repeated
 * child pipeline that waits for a reviewer's event each round).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { NodeFunction } from '../../src/activities/wrap';
import { readSpecFile } from '../../src/cli/io';
import { TapflowClient } from '../../src/client';
import { REPEAT_EXHAUSTED } from '../../src/core/failure-types';
import type { NodeStatus, RunStatus } from '../../src/core/states';
import { assertValidSpec } from '../../src/core/validate';
import { eventually, nodeOf } from '../helpers/poll';
import { runFailure } from '../helpers/run-failure';
import { timeSkippingEnv, workflowBundle } from '../helpers/temporal';
import { uniqueTaskQueue } from '../helpers/worker';
import { createWorker } from '../../src/worker';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');

/**
 * The examples' activity modules, as `tapflow worker --activities` hosts them. Required here, not
 * given as `activityModules`: the worker loads those with a dynamic import, which jest refuses.
 */
function exampleActivities(...modules: string[]): Record<string, NodeFunction> {
  return Object.assign({}, ...modules.map((m) => require(join(EXAMPLES, m, 'activities.js')) as Record<string, NodeFunction>));
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
/** A client whose default task queue is the worker's. */
let tf: TapflowClient;
/** Where the examples write their files (their runs' `params.out`). */
let out: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'tapflow-examples-test-'));
  env = await timeSkippingEnv();
  const taskQueue = uniqueTaskQueue('examples-branches');
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: exampleActivities('media', 'review'),
    shutdownGraceTime: '1s',
    workerOptions: { workflowBundle: await workflowBundle(), workflowsPath: undefined },
  });
  running = worker.run();
  tf = new TapflowClient(env.client, { taskQueue });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Each node's id, state and skip cause. */
function states(status: RunStatus): Array<[string, string, string | undefined]> {
  return status.nodes.map((n) => [n.id, n.state, n.skipCause]);
}

/** Waits until run `id` exists and its status passes `ok`. */
function statusWhere(id: string, what: string, ok: (s: RunStatus) => boolean): Promise<RunStatus> {
  return eventually(`${id}: ${what}`, async () => {
    const status = await tf.getStatus(id);
    return ok(status) ? status : undefined;
  });
}

describe('examples/media', () => {
  const spec = readSpecFile(join(EXAMPLES, 'media', 'pipeline.yaml'));

  test('the spec file is valid as shipped', () => {
    expect(assertValidSpec(spec).name).toBe('media');
  });

  test('a video runs the video branch: segments with checksums, the image skipped by its condition, a manifest', async () => {
    const id = 'examples-media-video';
    const path = 'examples/media/files/clip.mp4';
    await tf.startRun(spec, { id, input: { path, id: 1, out } });
    const result = await tf.result(id, { wait: true });
    const status = await tf.getStatus(id);
    expect(states(status)).toEqual([
      ['probe', 'completed', undefined],
      ['video', 'completed', undefined],
      ['image', 'skipped', 'condition'],
      ['publish', 'completed', undefined],
    ]);
    // The input's templates were resolved from the run's params and the probe's output.
    expect(nodeOf(status, 'video').input).toEqual({ src: path, codec: 'h264', label: 'clip 1', segmentBytes: 1024 });

    const manifestPath = join(out, id, 'manifest.json');
    expect(result).toEqual({ publish: { manifest: manifestPath, branch: 'video', files: expect.any(Array) } });
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest).toMatchObject({ run: id, source: path, branch: 'video', outputs: { image: null } });
    const video = manifest.outputs.video;
    expect(video).toMatchObject({ label: 'clip 1', codec: 'h264', bytes: 2674 });
    expect(video.segments.map((s: { bytes: number }) => s.bytes)).toEqual([1024, 1024, 626]);
    // The segments are the file, cut up: joined back, they are it byte for byte.
    const original = readFileSync(join(EXAMPLES, 'media', 'files', 'clip.mp4'));
    const joined = Buffer.concat(video.segments.map((s: { file: string }) => readFileSync(s.file)));
    expect(joined.equals(original)).toBe(true);
    expect(readFileSync(video.playlist, 'utf8')).toContain('# clip 1: h264, 3 segments');
    expect(readdirSync(join(out, id)).sort()).toEqual(['manifest.json', 'video']);
  });

  test('an image runs the image branch: a thumbnail from the PNG, the video skipped by its condition', async () => {
    const id = 'examples-media-image';
    await tf.startRun(spec, { id, input: { path: 'examples/media/files/still.png', id: 2, out } });
    const result = await tf.result(id, { wait: true });
    const status = await tf.getStatus(id);
    expect(states(status)).toEqual([
      ['probe', 'completed', undefined],
      ['video', 'skipped', 'condition'],
      ['image', 'completed', undefined],
      ['publish', 'completed', undefined],
    ]);
    expect(result.publish).toMatchObject({ branch: 'image' });
    const manifest = JSON.parse(readFileSync(join(out, id, 'manifest.json'), 'utf8'));
    expect(manifest.outputs.video).toBeNull();
    // IHDR says 48x32; the thumbnail fits 16 a side.
    expect(manifest.outputs.image).toMatchObject({ width: 48, height: 32, thumb: { width: 16, height: 11 } });
    const thumb = readFileSync(manifest.outputs.image.thumb.path);
    expect(thumb.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([thumb.readUInt32BE(16), thumb.readUInt32BE(20)]).toEqual([16, 11]);
    expect(JSON.parse(readFileSync(manifest.outputs.image.sidecar, 'utf8'))).toMatchObject({ width: 48, height: 32 });
  });

  test('audio runs neither branch, so the none_failed join has nothing to publish and is skipped', async () => {
    const id = 'examples-media-audio';
    await tf.startRun(spec, { id, input: { path: 'examples/media/files/tone.wav', id: 3, out } });
    const result = await tf.result(id, { wait: true });
    const status = await tf.getStatus(id);
    expect(status.state).toBe('completed');
    expect(states(status)).toEqual([
      ['probe', 'completed', undefined],
      ['video', 'skipped', 'condition'],
      ['image', 'skipped', 'condition'],
      ['publish', 'skipped', 'upstream'],
    ]);
    expect(nodeOf(status, 'publish').skipReason).toBe('no need completed');
    expect(result).toEqual({ publish: null });
  });
});

describe('examples/review', () => {
  const spec = readSpecFile(join(EXAMPLES, 'review', 'pipeline.yaml'));

  test('the spec file is valid as shipped, with its round inlined', () => {
    const valid = assertValidSpec(spec);
    expect(valid.nodes[0]?.pipeline).toMatchObject({ name: 'review-round' });
  });

  /** Waits until round `child`'s approval waits for the reviewer, and returns its draft's output. */
  async function waitingForReview(child: string): Promise<NodeStatus> {
    const status = await statusWhere(child, 'approval waiting', (s) => nodeOf(s, 'approval').waitingFor === 'review');
    expect(nodeOf(status, 'write').state).toBe('completed');
    return nodeOf(status, 'write');
  }

  test('rejected in round 1 with notes, approved in round 2: the revised draft is published', async () => {
    const id = 'examples-review';
    await tf.startRun(spec, { id, input: { out } });

    // Round 1: its child run is <run>/draft; the event goes there.
    await waitingForReview(`${id}/draft`);
    const first = readFileSync(join(out, id, 'draft', 'draft.md'), 'utf8');
    // A first draft: prose, the 6 sentences that best sum up the article.
    expect(first.split('\n').filter((l) => l.startsWith('- '))).toEqual([]);
    const ack = await tf.sendEvent(`${id}/draft`, 'review', { data: { approved: false, notes: 'shorter, as bullets' } });
    expect(ack.delivered).toEqual(['approval']);

    // Round 2 is the child run <run>/draft~2, given the verdict on round 1.
    await waitingForReview(`${id}/draft~2`);
    const parent = await tf.getStatus(id);
    expect(nodeOf(parent, 'draft')).toMatchObject({ state: 'running', round: 2, childRunId: `${id}/draft~2` });
    expect(nodeOf(parent, 'draft').input).toMatchObject({ round: 2, last: { approved: false, notes: 'shorter, as bullets', sentences: 6 } });
    const second = readFileSync(join(out, id, 'draft~2', 'draft.md'), 'utf8');
    const bullets = second.split('\n').filter((l) => l.startsWith('- '));
    expect(bullets).toHaveLength(3);
    await tf.sendEvent(`${id}/draft~2`, 'review', { data: { approved: true, notes: 'good' } });

    const result = await tf.result(id, { wait: true });
    const publishedPath = join(out, id, 'published.md');
    expect(result).toEqual({ publish: { path: publishedPath, round: 2, words: expect.any(Number), sha256: expect.any(String) } });
    const published = readFileSync(publishedPath, 'utf8');
    expect(published).toBe(`${second.trimEnd()}\n\n_Approved in round 2: good._\n`);
    const status = await tf.getStatus(id);
    expect(states(status)).toEqual([
      ['draft', 'completed', undefined],
      ['publish', 'completed', undefined],
    ]);
    expect(nodeOf(status, 'draft').round).toBe(2);
    // Each round recorded its verdict beside its draft.
    expect(JSON.parse(readFileSync(join(out, id, 'draft', 'review.json'), 'utf8'))).toMatchObject({ round: 1, approved: false });
    expect(JSON.parse(readFileSync(join(out, id, 'draft~2', 'review.json'), 'utf8'))).toMatchObject({ round: 2, approved: true });
  });

  test('rejected in every round: the repeat runs out its 3 rounds, the run fails and nothing is published', async () => {
    const id = 'examples-review-rejected';
    await tf.startRun(spec, { id, input: { out } });
    for (const child of [`${id}/draft`, `${id}/draft~2`, `${id}/draft~3`]) {
      await waitingForReview(child);
      await tf.sendEvent(child, 'review', { data: { approved: false, notes: 'longer' } });
    }
    const failure = await runFailure(env.client, id);
    expect(failure.message).toContain('ran its 3 rounds without "output.decide.approved" holding');
    const status = await tf.getStatus(id);
    expect(status.state).toBe('failed');
    expect(nodeOf(status, 'draft')).toMatchObject({ state: 'failed', errorType: REPEAT_EXHAUSTED, round: 3 });
    expect(nodeOf(status, 'publish')).toMatchObject({ state: 'skipped', skipCause: 'upstream' });
    expect(readdirSync(join(out, id)).sort()).toEqual(['draft', 'draft~2', 'draft~3']);
    // "longer" added two sentences each round: 6, 8, 10.
    const sizes = ['draft', 'draft~2', 'draft~3'].map(
      (d) => JSON.parse(readFileSync(join(out, id, d, 'review.json'), 'utf8')).sentences as number,
    );
    expect(sizes).toEqual([6, 8, 10]);
  });
});
