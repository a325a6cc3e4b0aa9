/**
 * The pipeline registry from the command line, against a real store: `tapflow pipeline push`
 * (the same content is the same version, new content the next), `list`, `show` (the latest and
 * `@1`; its text is a spec file again), `diff`, `tapflow start NAME[@VERSION]` on a dev server
 * (the run's status and store row carry the version; the other start flags still apply), `runs
 * search --version`, and bad input: references the registry does not have, an invalid spec
 * (exit 2, one line each, nothing stored).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineDiffJson, PipelineListJson, PipelinePushJson, PipelineShowJson } from '../../src/cli/pipeline';
import type { RunsSearchJson } from '../../src/cli/runs';
import { parseSpecText } from '../../src/core/parse';
import type { RunStatus } from '../../src/core/states';
import type { PipelineSpec } from '../../src/core/types';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { parseJson, tapflow, unusedPort, type CliResult } from '../helpers/cli';
import { eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';

const t = databasePerTest();
let deadTemporal: string;
let env: TestWorkflowEnvironment | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tapflow-registry-'));

beforeAll(async () => {
  // Only `start` needs Temporal: every other command must not even try it.
  deadTemporal = `127.0.0.1:${await unusedPort()}`;
});

afterAll(async () => {
  await env?.teardown();
});

const V1: PipelineSpec = {
  name: 'media',
  description: 'probe, then encode',
  nodes: [
    { id: 'probe', activity: 'step', input: { sleepMs: 0 } },
    { id: 'encode', activity: 'step', needs: ['probe'], input: { sleepMs: 0, preset: 'fast' } },
  ],
};

// encode's input changed, thumb added, and a pipeline-level field.
const V2: PipelineSpec = {
  ...V1,
  maxParallel: 2,
  nodes: [
    { id: 'probe', activity: 'step', input: { sleepMs: 0 } },
    { id: 'encode', activity: 'step', needs: ['probe'], input: { sleepMs: 0, preset: 'slow' } },
    { id: 'thumb', activity: 'step', needs: ['probe'], input: { sleepMs: 0 } },
  ],
};

let files = 0;
/** Writes a spec file (JSON, or YAML text as given) and returns its path. */
function specFile(spec: unknown, ext = 'json'): string {
  const path = join(dir, `spec-${++files}.${ext}`);
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return path;
}

/** The CLI with the test's store and a Temporal nothing listens on. */
function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: deadTemporal }, ...args);
}

async function push(spec: unknown, ...args: string[]): Promise<PipelinePushJson> {
  return parseJson<PipelinePushJson>(await cli('pipeline', 'push', specFile(spec), '--json', ...args));
}

async function pushBoth(): Promise<void> {
  await push(V1, '--user', 'alice');
  await push(V2, '--user', 'bob');
}

async function storedVersions(): Promise<number> {
  return Number((await t.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tapflow.pipelines')).rows[0]?.n);
}

/** Exit 2, nothing on stdout, and exactly one line on stderr matching `line`. */
function expectOneLine(r: CliResult, line: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
}

test('push: a new version, the same content (in any key order, as YAML) the same version, a change the next', async () => {
  const first = await cli('pipeline', 'push', specFile(V1), '--user', 'alice');
  expect(first).toEqual({ code: 0, stdout: 'pushed media@1\n', stderr: '' });

  // The same spec with its keys in another order, written as YAML: the same content.
  const reordered = 'nodes:\n  - input: { sleepMs: 0 }\n    activity: step\n    id: probe\n  - needs: [probe]\n    id: encode\n    activity: step\n    input: { preset: fast, sleepMs: 0 }\ndescription: probe, then encode\nname: media\n';
  expect(await cli('pipeline', 'push', specFile(reordered, 'yaml'))).toEqual({ code: 0, stdout: 'media@1 already has this content (the latest)\n', stderr: '' });
  expect(await push(V1)).toEqual({ name: 'media', version: 1, created: false, latest: 1 });

  expect(await push(V2, '--user', 'bob')).toEqual({ name: 'media', version: 2, created: true, latest: 2 });
  expect((await cli('pipeline', 'push', specFile(V1))).stdout).toBe('media@1 already has this content (the latest is media@2)\n');
  expect(await storedVersions()).toBe(2);
});

test('list: each pipeline with its latest version, versions, nodes, pushed at and description', async () => {
  expect((await cli('pipeline', 'list')).stdout).toBe('no registered pipelines (push one: tapflow pipeline push SPEC)\n');
  await pushBoth();
  await push({ name: 'audio', nodes: [{ id: 'only', activity: 'step' }] });

  const out = parseJson<PipelineListJson>(await cli('pipeline', 'list', '--json'));
  expect(out.pipelines).toEqual([
    { name: 'audio', latest: 1, versions: 1, nodes: 1, description: null, pushedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    { name: 'media', latest: 2, versions: 2, nodes: 3, description: 'probe, then encode', pushedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
  ]);

  const text = await cli('pipeline', 'list');
  expect(text.code).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+LATEST\s+VERSIONS\s+NODES\s+PUSHED\s+DESCRIPTION$/);
  expect(lines[1]).toMatch(/^audio\s+1\s+1\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  expect(lines[2]).toMatch(/^media\s+2\s+2\s+3\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+probe, then encode$/);
});

test('show: the latest or a version asked for, with every version; its text is the spec again', async () => {
  await pushBoth();
  const latest = parseJson<PipelineShowJson>(await cli('pipeline', 'show', 'media', '--json'));
  expect(latest).toEqual({
    name: 'media', version: 2, digest: expect.stringMatching(/^[0-9a-f]{64}$/), pushedBy: 'bob', pushedAt: expect.any(String), spec: V2,
    versions: [
      { version: 2, digest: latest.digest, pushedBy: 'bob', pushedAt: latest.pushedAt },
      { version: 1, digest: expect.stringMatching(/^[0-9a-f]{64}$/), pushedBy: 'alice', pushedAt: expect.any(String) },
    ],
  });
  expect(parseJson<PipelineShowJson>(await cli('pipeline', 'show', 'media@latest', '--json')).version).toBe(2);

  const one = parseJson<PipelineShowJson>(await cli('pipeline', 'show', 'media@1', '--json'));
  expect(one).toMatchObject({ name: 'media', version: 1, pushedBy: 'alice', spec: V1 });
  expect(one.digest).toBe(latest.versions[1]?.digest);

  const text = await cli('pipeline', 'show', 'media@1');
  expect(text.code).toBe(0);
  const lines = text.stdout.split('\n');
  expect(lines[0]).toBe('# media@1: 2 versions, the latest is media@2');
  expect(lines[1]).toBe(`# digest  ${one.digest}`);
  expect(lines[2]).toMatch(/^# pushed {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d by alice$/);
  expect(text.stdout).toMatch(/^# VERSION\s+PUSHED\s+BY\s+DIGEST$/m);
  expect(text.stdout).toMatch(new RegExp(`^# 1\\s+\\S+ \\S+\\s+alice\\s+${one.digest.slice(0, 12)}$`, 'm'));
  // Keys in the order a spec is written, whatever order the store keeps them in.
  expect(text.stdout).toContain('\nname: media\ndescription: probe, then encode\nnodes:\n  - id: probe\n    activity: step\n');
  // The particulars are comments: the output read as YAML is the spec, and pushed again it is version 1.
  expect(parseSpecText(text.stdout, 'shown.yaml')).toEqual(V1);
  expect(parseJson<PipelinePushJson>(await cli('pipeline', 'push', specFile(text.stdout, 'yaml'), '--json'))).toMatchObject({ version: 1, created: false, latest: 2 });

  expect((await cli('pipeline', 'show', 'media')).stdout.split('\n')[0]).toBe('# media@2: the latest of 2 versions');
});

test('diff: nodes added, removed and changed with their fields, and the pipeline fields', async () => {
  await pushBoth();
  const forward = parseJson<PipelineDiffJson>(await cli('pipeline', 'diff', 'media@1', 'media@2', '--json'));
  expect(forward).toEqual({
    from: 'media@1', to: 'media@2',
    added: ['thumb'], removed: [], changed: [{ id: 'encode', fields: ['input'] }], unchanged: ['probe'], pipelineFields: ['maxParallel'],
  });
  // A reference without a version is the latest.
  const back = parseJson<PipelineDiffJson>(await cli('pipeline', 'diff', 'media', 'media@1', '--json'));
  expect(back).toMatchObject({ from: 'media@2', to: 'media@1', added: [], removed: ['thumb'] });

  const text = await cli('pipeline', 'diff', 'media@1', 'media@2');
  expect(text.code).toBe(0);
  expect(text.stdout.trimEnd().split('\n').map((l) => l.replace(/\s+/g, ' ').trimEnd())).toEqual([
    'media@1 -> media@2',
    ' + thumb added',
    ' ~ encode input',
    ' pipeline fields changed: maxParallel',
    ' 1 node unchanged',
  ]);
  expect((await cli('pipeline', 'diff', 'media@2', 'media')).stdout).toBe('media@2 -> media@2\n  the same content\n');
});

test.each<[string, string[], RegExp]>([
  ['show of a pipeline never pushed', ['pipeline', 'show', 'nope'], /^tapflow: no registered pipeline named "nope": push it first \(tapflow pipeline push SPEC\)$/],
  ['show of version 0', ['pipeline', 'show', 'media@0'], /^tapflow: "media@0": the version after "@" must be a whole number from 1, or "latest"$/],
  ['show of a version not pushed', ['pipeline', 'show', 'media@9'], /^tapflow: pipeline "media" has no version 9 \(tapflow pipeline show media lists its versions\)$/],
  ['diff with a version not pushed', ['pipeline', 'diff', 'media@1', 'media@9'], /^tapflow: pipeline "media" has no version 9 /],
  ['start of neither a file nor a pipeline', ['start', 'nope'], /^tapflow: nope: no such file, and no registered pipeline named "nope": push it first/],
  ['start of version 0', ['start', 'media@0'], /^tapflow: media@0: no such file, nor a registered pipeline: the version after "@" must be a whole number from 1, or "latest"$/],
  ['start of a version not pushed', ['start', 'media@9'], /^tapflow: media@9: no such file, and pipeline "media" has no version 9 /],
  ['runs search --version without --pipeline', ['runs', 'search', '--version', '1'], /^tapflow: --version: only with --pipeline \(a version number belongs to one pipeline\)$/],
  ['runs search --version that is not one', ['runs', 'search', '--pipeline', 'media', '--version', 'x'], /^tapflow: --version: "x" is not a version: a whole number from 1$/],
])('%s is one line and exit 2', async (_name, args, line) => {
  await pushBoth();
  expectOneLine(await cli(...args), line);
});

test('an invalid spec is refused with every problem where it is, exit 2, and nothing is stored', async () => {
  const bad = { name: 'media', nodes: [{ id: 'a', activity: 'step', needs: ['missing'] }, { id: 'a', activity: 'step', neds: [] }] };
  const path = specFile(bad);
  const r = await cli('pipeline', 'push', path, '--json');
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const line of lines) expect(line).toMatch(new RegExp(`^tapflow: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: nodes\\[\\d\\]`));
  expect(r.stderr).toMatch(/nodes\[0\]\.needs\[0\]: /);
  expect(r.stderr).toMatch(/nodes\[1\]\.neds/);
  expectOneLine(await cli('pipeline', 'push', join(dir, 'absent.json')), /^tapflow: .*absent\.json: no such file$/);
  expect(await storedVersions()).toBe(0);
});

test('start NAME[@VERSION]: the run records the version; the other flags apply; runs search --version finds it', async () => {
  env = await devServerEnv();
  const recorder = new AttemptRecorder(t.db.pool);
  recorder.start();
  const taskQueue = uniqueTaskQueue('registry-cli');
  const run = (...args: string[]): Promise<CliResult> =>
    tapflow({ DATABASE_URL: t.db.url, TEMPORAL_ADDRESS: (env as TestWorkflowEnvironment).address, TAPFLOW_TASK_QUEUE: taskQueue }, ...args);
  let rig: TestRig | undefined;
  try {
    rig = await startRig(env, taskQueue, { store: { pool: t.db.pool, recorder } });
    await pushBoth();

    // By name: the latest.
    const text = await run('start', 'media', '--id', 'reg-latest', '--tag', 'by-name');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^started reg-latest from media@2\n {2}runId \S+\n$/);
    await rig.tf.result('reg-latest', { wait: true });

    // By version, with --input and --wait.
    const one = parseJson<{ workflowId: string; runId: string; pipeline: string; version: number; state: string; result: Record<string, { params: unknown }> }>(
      await run('start', 'media@1', '--id', 'reg-one', '--input', '{"lang":"en"}', '--wait', '--json'),
    );
    expect(one).toMatchObject({ workflowId: 'reg-one', pipeline: 'media', version: 1, state: 'completed' });
    expect(one.result.encode?.params).toEqual({ lang: 'en' });

    // With an idempotency key: a repeat is the first run.
    const keyed = parseJson<{ workflowId: string; existing: boolean; version: number }>(await run('start', 'media@1', '--idempotency-key', 'k1', '--json'));
    expect(keyed).toMatchObject({ workflowId: 'media-k1', existing: false, version: 1 });
    await rig.tf.result('media-k1', { wait: true });
    expect(parseJson<{ workflowId: string; existing: boolean }>(await run('start', 'media@1', '--idempotency-key', 'k1', '--json'))).toMatchObject({
      workflowId: 'media-k1', existing: true,
    });

    // The status says which version ran.
    const status = parseJson<RunStatus>(await run('status', 'reg-one', '--json'));
    expect(status).toMatchObject({ pipeline: 'media', pipelineVersion: 1, state: 'completed' });
    expect((await run('status', 'reg-latest')).stdout).toMatch(/^pipeline {2}media@2$/m);

    // And the store's row.
    await eventually('the runs recorded with their versions', async () => {
      const { rows } = await t.db.pool.query<{ workflow_id: string; pipeline_version: number | null; state: string }>(
        `SELECT workflow_id, pipeline_version, state FROM tapflow.runs WHERE pipeline = 'media' ORDER BY workflow_id`,
      );
      const done = rows.filter((r) => r.state === 'completed');
      return done.length === 3 ? rows.map((r) => [r.workflow_id, r.pipeline_version]) : undefined;
    });
    const { rows } = await t.db.pool.query<{ workflow_id: string; pipeline_version: number | null }>(
      `SELECT workflow_id, pipeline_version FROM tapflow.runs ORDER BY workflow_id`,
    );
    expect(rows).toEqual([
      { workflow_id: 'media-k1', pipeline_version: 1 },
      { workflow_id: 'reg-latest', pipeline_version: 2 },
      { workflow_id: 'reg-one', pipeline_version: 1 },
    ]);

    // An ended run's rerun on another version says what that version changed; version 2 changed
    // maxParallel, which reaches every node, so nothing is reused.
    const rerun = parseJson<{ version: number; reused: string[]; rerun: string[]; diff: { added: string[]; pipelineFields: string[] } }>(
      await run('rerun', 'reg-one', '--from', 'encode', '--version', 'latest', '--dry-run', '--json'),
    );
    expect(rerun).toMatchObject({ version: 2, reused: [], rerun: ['probe', 'encode', 'thumb'], diff: { added: ['thumb'], pipelineFields: ['maxParallel'] } });
    expect((await run('rerun', 'reg-one', '--from', 'encode', '--version', '1', '--dry-run')).stdout).toMatch(/on version 1: added -; removed -; changed -/);
    expectOneLine(await run('rerun', 'reg-one', '--from', 'encode', '--version', '7', '--dry-run'), /media" has no version 7/);
  } finally {
    await rig?.stop();
    await recorder.drain();
  }

  // runs search reads the store alone.
  const ids = async (...args: string[]): Promise<string[]> =>
    parseJson<RunsSearchJson>(await cli('runs', 'search', '--json', ...args)).runs.map((r) => r.workflowId).sort();
  expect(await ids('--pipeline', 'media', '--version', '1')).toEqual(['media-k1', 'reg-one']);
  expect(await ids('--pipeline', 'media', '--version', '2')).toEqual(['reg-latest']);
  expect(await ids('--pipeline', 'media', '--version', '3')).toEqual([]);
  expect(await ids('--pipeline', 'media')).toEqual(['media-k1', 'reg-latest', 'reg-one']);
  const table = await cli('runs', 'search', '--pipeline', 'media', '--version', '2');
  expect(table.stdout).toMatch(/^reg-latest\s+media@2\s+completed\s/m);
});

test('an argument that is a file is a spec file, never looked up in the registry', async () => {
  // Nothing registered: had the path been taken for a pipeline name, it would be "no such file" and exit 2.
  const r = await cli('start', specFile(V1));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tapflow: cannot reach Temporal at /);
});

test('with no store to look in, a missing file is still bad input; a configured store that fails is a failure', async () => {
  const port = await unusedPort();
  const missing = join(dir, 'typo.yaml');
  // Only the dev store was tried, and none runs: most likely a mistyped file name.
  expectOneLine(
    await tapflow({ TAPFLOW_STORE_PORT: String(port), TEMPORAL_ADDRESS: deadTemporal }, 'start', missing),
    /^tapflow: .*typo\.yaml: no such file, and the registered pipelines could not be read: /,
  );
  const configured = await tapflow({ DATABASE_URL: `postgres://tapflow@127.0.0.1:${port}/tapflow`, TEMPORAL_ADDRESS: deadTemporal }, 'start', missing);
  expect(configured.code).toBe(1);
  expect(configured.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tapflow: .*typo\.yaml: no such file, and the registered pipelines could not be read: /)]);
});
