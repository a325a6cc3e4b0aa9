/**
 * The `tapflow` command line given malformed, oversized and hostile input, as a user runs it
 * (`node bin/tapflow.js` on the built `dist/`), against a dev server, a worker and a real store.
 * Every refusal must be exit 2 with exactly one line on stderr that says what is wrong and where,
 * no stack trace and no raw control character; and nothing may be started in Temporal or written
 * to the store (every table's row count unchanged).
 *
 * | kind      | command and input                                                                | expected                                   |
 * | --------- | -------------------------------------------------------------------------------- | ------------------------------------------ |
 * | malformed | start / validate / graph: a spec that is bad JSON, bad YAML, not an object      | 2: the file and position                   |
 * | malformed | start: a spec with a wrong type (`name: 5`)                                      | 2: `nodes...`/`name` problem               |
 * | malformed | start --input / --event: bad JSON, a missing @file                               | 2: the flag                                |
 * | malformed | start --priority / --timeout / --deadline / --on-failure / --idempotency-key    | 2: the flag                                |
 * | malformed | retry --input, skip --output, edit --input, send --data: bad JSON               | 2: the flag                                |
 * | malformed | runs search --limit / --from / --to / --after / --state; list --limit            | 2: the flag                                |
 * | malformed | pause/resume/cancel --query (bad syntax, empty), --rate, id and --query         | 2: the flag                                |
 * | malformed | token create --grant / --name, token revoke (not an id)                          | 2: what is wrong                           |
 * | oversized | start: a spec file over 2 MB; --input @file and --event @file over 2 MB          | 2: names the file/flag and the 2 MB limit  |
 * | oversized | start: spec and input each under 2 MB, together over                             | 2: names the limit                         |
 * | oversized | retry --input, skip --output, edit --input, send --data over 2 MB (live run)    | 2: names the flag and the limit; run unchanged |
 * | hostile   | status/result/history/children/watch/pause/rerun: `../../etc/passwd`; graph `/etc/passwd` | 2: no run with that id; graph: not a spec |
 * | hostile   | the same with a 10,000-character id                                              | 2: one line                                |
 * | hostile   | ids, node ids, event names holding ANSI escapes / CR                             | 2: escaped on stderr, never raw            |
 * | hostile   | start --id `../x`, 10,000 characters, a control character                        | 2: `id:` the problem                       |
 * | hostile   | start --tag/--group/--user/--site with ANSI escapes, 10,000 characters          | 2: `tags[0]:` ... the problem              |
 * | hostile   | start: a spec whose name holds an escape, or is 300 characters                   | 2: `spec name:` the problem                |
 * | hostile   | retry/skip/edit/send on the live run: node `../x`, 10k characters, escapes      | 2: the run's refusal                       |
 * | hostile   | runs search --tag / --user / --pipeline SQL-looking text, unicode                | 0: no runs; tables intact                  |
 * | hostile   | pause --query with SQL-looking text                                              | 2: Temporal refused the query              |
 * | hostile   | token revoke `../../x`, token create --name with an escape                       | 2: one line                                |
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineSpec } from '../../src/core/types';
import { tapflow, type CliResult } from '../helpers/cli';
import { eventually, nodeOf } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';
import { storeRowCounts, temporalHasRun } from '../helpers/nothing-written';

const s = storeRigPerFile(devServerEnv, 'hostile-cli');
const dir = mkdtempSync(join(tmpdir(), 'tapflow-hostile-'));

const LIVE = 'hostile-live';
const LONG = 'a'.repeat(10_000);
const ESC = 'x\u001b[31mred\u001b[0m\rover';
/** Just past Temporal's 2 MB payload limit once wrapped in JSON. */
const BIG = 'x'.repeat(2.2 * 1024 * 1024);
/** Under the limit alone; two of them together are over it. */
const HALF = 'y'.repeat(1.2 * 1024 * 1024);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The CLI with the file's store, Temporal and task queue. */
function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: s.db.url, TEMPORAL_ADDRESS: s.env.address, TAPFLOW_TASK_QUEUE: s.rig.taskQueue }, ...args);
}

/** Rows in every table of the store. */
const rowCounts = (): Promise<Record<string, number>> => storeRowCounts(s.db.pool);

/** Whether Temporal has a run with this id. */
const temporalHas = (id: string): Promise<boolean> => temporalHasRun(s.env.client, id);

/** A refusal: exit 2, nothing on stdout, exactly one line on stderr matching `line`, no stack trace, no raw control character. */
function expectRefused(r: CliResult, line: RegExp, code = 2): void {
  const context = `exit ${r.code}\nstdout: ${r.stdout.slice(0, 300)}\nstderr: ${r.stderr.slice(0, 600)}`;
  expect({ code: r.code, context }).toEqual({ code, context });
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n');
  expect(lines).toHaveLength(2); // one line and its newline
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^tapflow: /);
  expect(lines[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/\n\s+at |Error: |ServiceError|Failed to start Workflow|Workflow Update failed/);
  // eslint-disable-next-line no-control-regex
  expect(r.stderr.replace(/\n$/, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
}

/** A live run, paused, whose `gate` waits for event `go` and `after` is pending. */
const WAITING: PipelineSpec = {
  name: 'hostile',
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'after', activity: 'step', needs: ['gate'], input: { v: 1 } },
  ],
};

let spec: string;
let baseline: Record<string, number>;

beforeAll(async () => {
  spec = file('ok.json', JSON.stringify(WAITING));
  await s.rig.tf.startRun(WAITING, { id: LIVE });
  await eventually('the gate to wait', async () => (nodeOf(await s.rig.tf.getStatus(LIVE), 'gate').waitingFor === 'go' ? true : undefined));
  await s.rig.tf.pause(LIVE, { by: 'test', reason: 'hold still' });
  // The run's record and its pause reach the store through the worker: wait for both.
  baseline = await eventually('the live run recorded', async () => {
    const counts = await rowCounts();
    return counts.runs === 1 && counts.control_actions === 1 ? counts : undefined;
  });
}, 120_000);

afterEach(async () => {
  // Nothing half-written: no table grew or shrank.
  expect(await rowCounts()).toEqual(baseline);
});

describe('malformed input', () => {
  const bad = {
    json: () => file('bad.json', '{"name": "x", "nodes": [ {"id": "a",, } ]}'),
    yaml: () => file('bad.yaml', 'name: x\nnodes:\n  - {id: a, activity: f\n  - : :\n'),
    scalar: () => file('scalar.yaml', '42\n'),
    wrongType: () => file('wrong-type.json', JSON.stringify({ name: 5, nodes: [{ id: 'a', activity: 'noop' }] })),
  };
  const cases: Array<[string, () => string[], RegExp]> = [
    ['start: a spec that is bad JSON', () => ['start', bad.json()], /bad\.json:1:\d+: /],
    ['start: a spec that is bad YAML', () => ['start', bad.yaml()], /bad\.yaml:\d+:\d+: .*YAML/],
    ['validate: bad YAML', () => ['validate', bad.yaml()], /bad\.yaml:\d+:\d+: .*YAML/],
    ['graph: bad JSON', () => ['graph', bad.json()], /bad\.json:1:\d+: /],
    ['start: a spec that is a number', () => ['start', bad.scalar()], /scalar\.yaml: a spec must be an object/],
    ['start: a spec with a wrong type', () => ['start', bad.wrongType()], /wrong-type\.json: name: must be a non-empty string/],
    ['start: no such spec file', () => ['start', join(dir, 'nope.json')], /nope\.json: no such file/],
    ['start --input: bad JSON', () => ['start', spec, '--input', '{oops'], /--input: not valid JSON/],
    ['start --input: a missing @file', () => ['start', spec, '--input', '@/nonexistent/in.json'], /--input: cannot read/],
    ['start --event: bad JSON', () => ['start', spec, '--event', '['], /--event: not valid JSON/],
    ['start --priority: not a number', () => ['start', spec, '--priority', 'high'], /--priority: expected a whole number/],
    ['start --priority: out of range', () => ['start', spec, '--priority', '9'], /priority must be a whole number from 1/],
    ['start --timeout: not a duration', () => ['start', spec, '--timeout', 'banana'], /timeout must be a positive duration/],
    ['start --on-failure: unknown', () => ['start', spec, '--on-failure', 'explode'], /on-failure must be "fail" or "hold"/],
    ['start --idempotency-key: whitespace', () => ['start', spec, '--idempotency-key', 'a b'], /--idempotency-key: must not contain whitespace/],
    ['retry --input: bad JSON', () => ['retry', LIVE, 'after', '--input', '{'], /--input: not valid JSON/],
    ['skip --output: bad JSON', () => ['skip', LIVE, 'after', '--output', '{oops'], /--output: not valid JSON/],
    ['edit --input: bad JSON', () => ['edit', LIVE, 'after', '--input', 'nope'], /--input: not valid JSON/],
    ['edit: --input missing', () => ['edit', LIVE, 'after'], /--input/],
    ['send --data: bad JSON', () => ['send', LIVE, 'go', '--data', '{"a":'], /--data: not valid JSON/],
    ['runs search --limit 0', () => ['runs', 'search', '--limit', '0'], /--limit/],
    ['runs search --from: not a time', () => ['runs', 'search', '--from', 'yesterday-ish'], /--from/],
    ['runs search --to: not a time', () => ['runs', 'search', '--to', '2025-13-45'], /--to/],
    ['runs search --after: not a cursor', () => ['runs', 'search', '--after', 'garbage!!'], /--after/],
    ['runs search --state: unknown', () => ['runs', 'search', '--state', 'exploded'], /--state/],
    ['list --limit: not a number', () => ['list', '--limit', 'lots'], /--limit/],
    ['pause --query: bad syntax', () => ['pause', '--query', 'TapflowState = '], /--query/],
    ['pause --query: empty', () => ['pause', '--query', ''], /--query/],
    ['pause: an id and --query', () => ['pause', LIVE, '--query', "TapflowState = 'running'"], /--query/],
    ['resume --rate: not a number', () => ['resume', '--query', "TapflowState = 'paused'", '--rate', 'fast'], /--rate/],
    ['watch --interval: not a number', () => ['watch', LIVE, '--interval', 'often'], /^tapflow: --interval: expected milliseconds as a whole number, got "often"$/],
    ['token create --grant: no action', () => ['token', 'create', '--name', 'x', '--grant', 'nocolon'], /grant/i],
    ['token create --grant: unknown action', () => ['token', 'create', '--name', 'x', '--grant', 'p:fly'], /fly/],
    ['token create --name: empty', () => ['token', 'create', '--name', '', '--grant', '*:read'], /name/i],
    ['token revoke: not a token id', () => ['token', 'revoke', 'not-an-id'], /is not a token id/],
  ];
  test.each(cases)('%s', async (_name, args, line) => {
    expectRefused(await cli(...args()), line);
  });
});

describe('oversized input (past Temporal 2 MB payload limit): refused before anything starts', () => {
  const LIMIT = /past Temporal's 2 MB payload limit/;
  test('a spec file over 2 MB', async () => {
    const big = file('big-spec.json', JSON.stringify({ ...WAITING, nodes: [{ id: 'a', activity: 'noop', input: { blob: BIG } }] }));
    const r = await cli('start', big, '--id', 'hostile-big-spec');
    expectRefused(r, /big-spec\.json: 2\.\d MB as JSON is past Temporal's 2 MB payload limit; nothing was started/);
    expect(await temporalHas('hostile-big-spec')).toBe(false);
  });

  test('--input @file and --event @file over 2 MB', async () => {
    const big = file('big-input.json', JSON.stringify({ blob: BIG }));
    expectRefused(await cli('start', spec, '--id', 'hostile-big-input', '--input', `@${big}`), /^tapflow: --input: 2\.\d MB/);
    expectRefused(await cli('start', spec, '--id', 'hostile-big-event', '--event', `@${big}`), /^tapflow: --event: 2\.\d MB/);
    expect(await temporalHas('hostile-big-input')).toBe(false);
    expect(await temporalHas('hostile-big-event')).toBe(false);
  });

  test('a spec and an input each under 2 MB, together over', async () => {
    const halfSpec = file('half-spec.json', JSON.stringify({ ...WAITING, nodes: [{ id: 'a', activity: 'noop', input: { blob: HALF } }] }));
    const halfInput = file('half-input.json', JSON.stringify({ blob: HALF }));
    const r = await cli('start', halfSpec, '--id', 'hostile-together', '--input', `@${halfInput}`);
    expectRefused(r, /the run's start \(its spec, input and metadata\): 2\.\d MB .*payload limit/);
    expect(await temporalHas('hostile-together')).toBe(false);
  });

  test('retry --input, skip --output, edit --input and send --data over 2 MB: the live run is untouched', async () => {
    const big = file('big-payload.json', JSON.stringify(BIG));
    for (const [args, flag] of [
      [['retry', LIVE, 'after', '--input'], '--input'],
      [['skip', LIVE, 'after', '--output'], '--output'],
      [['edit', LIVE, 'after', '--input'], '--input'],
      [['send', LIVE, 'go', '--data'], '--data'],
    ] as const) {
      expectRefused(await cli(...args, `@${big}`), new RegExp(`^tapflow: ${flag}: 2\\.\\d MB .*${LIMIT.source}`));
    }
    const status = await s.rig.tf.getStatus(LIVE);
    expect(status.state).toBe('paused');
    expect(nodeOf(status, 'gate')).toMatchObject({ state: 'running', waitingFor: 'go' });
    expect(nodeOf(status, 'after')).toMatchObject({ state: 'pending' });
    expect(nodeOf(status, 'after').inputEdited).toBeUndefined();
  });
});

describe('hostile input', () => {
  // `history` reads the store alone and says so; the rest ask Temporal first.
  const unknownRun = /no run with id |the store has no record of a run /;
  const readers = ['status', 'result', 'history', 'children', 'watch', 'pause', 'resume', 'cancel'];
  const cases: Array<[string, () => string[], RegExp]> = [
    ...readers.map((cmd): [string, () => string[], RegExp] => [`${cmd} ../../etc/passwd`, () => [cmd, '../../etc/passwd'], unknownRun]),
    ...['status', 'history'].map((cmd): [string, () => string[], RegExp] => [`${cmd} <10,000 characters>`, () => [cmd, LONG], unknownRun]),
    ['send <a 10,000-character run id>', () => ['send', LONG, 'go'], unknownRun],
    // Quoted back with the escapes made visible (the run id JSON-quoted, the rest as \xNN).
    ['status <an id with ANSI escapes and a CR>', () => ['status', ESC], /no run with id "x\\u001b\[31mred\\u001b\[0m\\rover"/],
    ['history <an id with ANSI escapes and a CR>', () => ['history', ESC], /no record of a run "x\\x1b\[31mred\\x1b\[0m\\x0dover"/],
    // An existing file is a spec to graph: /etc/passwd is refused as one, in one line. (Absolute,
    // since whether ../../etc/passwd exists depends on how deep the checkout sits.)
    ['graph /etc/passwd', () => ['graph', '/etc/passwd'], /\/etc\/passwd: a spec must be an object/],
    ['graph <10,000 characters>', () => ['graph', LONG], unknownRun],
    ['rerun ../../etc/passwd', () => ['rerun', '../../etc/passwd', '--from', 'a'], unknownRun],
    ['rerun --from ../x (live run)', () => ['rerun', LIVE, '--from', '../x'], /no node "\.\.\/x"|has no node/],
    ['start --id ../escape', () => ['start', spec, '--id', '../escape'], /^tapflow: id: must not contain a "\." or "\.\." path segment$/],
    ['start --id a/../../b', () => ['start', spec, '--id', 'a/../../b'], /^tapflow: id: must not contain a "\." or "\.\." path segment$/],
    ['start --id <10,000 characters>', () => ['start', spec, '--id', LONG], /^tapflow: id: at most 1000 characters, got 10000$/],
    ['start --id <ANSI escapes>', () => ['start', spec, '--id', ESC], /^tapflow: id: must not contain control characters$/],
    ['start --tag <ANSI escapes>', () => ['start', spec, '--tag', 'ok', '--tag', ESC], /^tapflow: tags\[1\]: must not contain control characters$/],
    ['start --tag <10,000 characters>', () => ['start', spec, '--tag', LONG], /^tapflow: tags\[0\]: at most 100 characters/],
    ['start --user <ANSI escapes>', () => ['start', spec, '--user', ESC], /^tapflow: user: must not contain control characters$/],
    ['start --site <10,000 characters>', () => ['start', spec, '--site', LONG], /^tapflow: site: at most 200 characters/],
    ['start: a spec name holding an escape', () => ['start', file('esc-name.json', JSON.stringify({ ...WAITING, name: ESC }))], /^tapflow: spec name: must not contain control characters$/],
    ['start: a 300-character spec name', () => ['start', file('long-name.json', JSON.stringify({ ...WAITING, name: 'n'.repeat(300) }))], /^tapflow: spec name: at most 200 characters, got 300$/],
    ['retry: node ../x', () => ['retry', LIVE, '../x'], /cannot retry: the run has no node "\.\.\/x"/],
    ['skip: a node with ANSI escapes', () => ['skip', LIVE, ESC], /cannot skip: the run has no node "x\\x1b\[31mred\\x1b\[0m\\x0dover"/],
    ['edit: a 10,000-character node', () => ['edit', LIVE, LONG, '--input', '1'], /cannot edit: the run has no node/],
    ['send: an event with ANSI escapes', () => ['send', LIVE, ESC], /waits for event "x\\x1b\[31mred/],
    ['pause --query: SQL-looking text', () => ['pause', '--query', "TapflowPipeline = 'x'; DROP TABLE tapflow.runs; --", '--dry-run'], /--query: Temporal refused the query/],
    ['token revoke ../../x', () => ['token', 'revoke', '../../x'], /is not a token id/],
    ['token create --name <ANSI escapes>', () => ['token', 'create', '--name', ESC, '--grant', '*:read'], /control characters/],
  ];
  test.each(cases)('%s', async (_name, args, line) => {
    expectRefused(await cli(...args()), line);
  });

  test('nothing the refused starts named was started in Temporal', async () => {
    for (const id of ['../escape', 'a/../../b', LONG, ESC]) expect(await temporalHas(id)).toBe(false);
  });

  test('SQL-looking and unicode search terms are only data: no runs, exit 0, tables intact', async () => {
    for (const args of [
      ['--tag', "x' OR '1'='1"],
      ['--user', "'; DROP TABLE tapflow.runs; --"],
      ['--pipeline', 'hostile" OR 1=1 --'],
      ['--tag', 'ünïcødé-😀-\u202e'],
      ['--group', '%'],
      ['--pipeline', '_'],
    ]) {
      const r = await cli('runs', 'search', ...args, '--json');
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual({ runs: [], next: null });
    }
  });

  test('a unicode run id is quoted back intact', async () => {
    expectRefused(await cli('status', 'ünïcødé-😀'), /^tapflow: no run with id "ünïcødé-😀"/);
  });
});
