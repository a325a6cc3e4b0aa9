/**
 * `tapflow store migrate|purge|delete` and `tapflow worker --no-migrate` from the command line,
 * against throwaway stores: three `store migrate` processes racing on a fresh database all
 * succeed and every migration is applied once; what each command prints, as text and `--json`;
 * bad input is one line and exit 2 before anything is deleted; a live run is never deleted; a
 * worker that may not migrate refuses a schema that is behind with one line naming `store migrate`.
 */
import { MIGRATIONS } from '../../src/store/migrations';
import { insertControlAction } from '../../src/store/sql/insert-control-action';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { parseJson, tapflow, type CliResult } from '../helpers/cli';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest({ migrated: false });
const ALL = MIGRATIONS.map((m) => m.id);
const LATEST = Math.max(...ALL);
const DAY = 86_400_000;

function cli(...args: string[]): Promise<CliResult> {
  return tapflow({ DATABASE_URL: t.db.url }, ...args);
}

test('three store migrate processes racing on a fresh database all succeed; each migration is applied exactly once', async () => {
  const results = await Promise.all([1, 2, 3].map(() => cli('store', 'migrate', '--json')));
  const outs = results.map((r) => parseJson<{ applied: number[]; version: number }>(r));
  expect(outs.map((o) => o.version)).toEqual([LATEST, LATEST, LATEST]);
  expect(outs.flatMap((o) => o.applied).sort((a, b) => a - b)).toEqual(ALL);
  const { rows } = await t.db.pool.query('SELECT id, count(*)::int AS n FROM tapflow.migrations GROUP BY id ORDER BY id');
  expect(rows).toEqual(ALL.map((id) => ({ id, n: 1 })));

  expect(await cli('store', 'migrate')).toEqual({
    code: 0,
    stdout: `nothing to apply: the store at ${t.db.url.replace(/:[^:@/]+@/, ':***@')} is at migration ${LATEST}\n`,
    stderr: '',
  });
});

test('a worker that may not migrate refuses a schema that is behind, naming store migrate; store migrate then says what it applied', async () => {
  const hint = 'run "tapflow store migrate" (as a database user that may change the schema)';
  const [flag, env, badRetention] = await Promise.all([
    cli('worker', '--no-migrate'),
    tapflow({ DATABASE_URL: t.db.url, TAPFLOW_STORE_MIGRATE: 'false' }, 'worker'),
    cli('worker', '--store-retention', '90'),
  ]);
  for (const r of [flag, env]) expect(r).toMatchObject({ code: 1, stderr: `tapflow: the store has no tapflow schema yet: ${hint}\n` });
  expect(badRetention).toEqual({ code: 2, stdout: '', stderr: 'tapflow: --store-retention: "90" is not a duration with a unit, e.g. 90d, 12h, 30m\n' });
  expect((await t.db.pool.query(`SELECT to_regnamespace('tapflow') AS schema`)).rows).toEqual([{ schema: null }]);

  const migrated = await cli('store', 'migrate');
  expect(migrated.code).toBe(0);
  expect(migrated.stdout).toMatch(new RegExp(`^applied migrations ${ALL.join(', ')} to the store at postgres://\\S+: it is at migration ${LATEST}\\n$`));
});

describe('purge and delete', () => {
  beforeEach(async () => {
    await (await import('../../src/store/pool')).withPgClient(t.db.pool, async (client) => (await import('../../src/store/migrate')).migrate(client));
    const ago = (days: number): Date => new Date(Date.now() - days * DAY);
    const runs = [
      { workflowId: 'old-a', pipeline: 'media', state: 'completed' as const, createdAt: ago(100), finishedAt: ago(99) },
      { workflowId: 'old-b', pipeline: 'reports', state: 'failed' as const, createdAt: ago(100), finishedAt: ago(99) },
      { workflowId: 'old-live', pipeline: 'media', state: 'running' as const, createdAt: ago(100) },
      { workflowId: 'recent', pipeline: 'media', state: 'cancelled' as const, createdAt: ago(1), finishedAt: ago(1) },
    ];
    for (const run of runs) {
      await upsertRun(t.db.pool, run);
      await insertControlAction(t.db.pool, { workflowId: run.workflowId, requestId: 'r1', action: 'pause' });
    }
  });

  async function left(): Promise<string[]> {
    const { rows } = await t.db.pool.query('SELECT workflow_id FROM tapflow.runs UNION ALL SELECT workflow_id FROM tapflow.control_actions ORDER BY 1');
    return rows.map((r) => r.workflow_id as string);
  }
  const EVERYTHING = ['old-a', 'old-a', 'old-b', 'old-b', 'old-live', 'old-live', 'recent', 'recent'];

  test('bad input is one line and exit 2; purge --dry-run counts, deleting nothing; purge deletes the runs that ended before, never a live one; delete takes one run', async () => {
    const cases: Array<[string[], string]> = [
      [['purge'], '--older-than: required: delete the records of runs that ended more than this long ago, e.g. 90d'],
      [['purge', '--older-than', '90'], '--older-than: "90" is not a duration with a unit, e.g. 90d, 12h, 30m'],
      [['purge', '--older-than', 'soon', '--dry-run'], '--older-than: "soon" is not a duration with a unit, e.g. 90d, 12h, 30m'],
      [['purge', '--older-than', '1d', '--batch-size', '0'], '--batch-size: must be a whole number from 1 to 10000, got "0"'],
      [['delete', 'old-live'], 'old-live: the run is running: only the records of a run that has ended can be deleted'],
      [['delete', 'nope'], 'no run with id "nope"'],
    ];
    const results = await Promise.all(cases.map(([args]) => cli('store', ...args)));
    results.forEach((r, i) => expect(r).toEqual({ code: 2, stdout: '', stderr: `tapflow: ${cases[i]?.[1]}\n` }));
    expect(await left()).toEqual(EVERYTHING);

    const [dryJson, dryText] = await Promise.all([
      cli('store', 'purge', '--older-than', '90d', '--dry-run', '--json'),
      cli('store', 'purge', '--older-than', '2160h', '--pipeline', 'media', '--dry-run'),
    ]);
    const counts = { runs: 2, records: { attempt_outputs: 0, control_actions: 2, node_attempts: 0, notification_deliveries: 0, run_events: 2 } };
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(parseJson(dryJson)).toEqual({ dryRun: true, olderThan: '90d', endedBefore: iso, pipeline: null, ...counts, batches: 0 });
    expect(dryText).toMatchObject({ code: 0, stderr: '' });
    expect(dryText.stdout).toMatch(
      /^would delete the records of 1 run of pipeline "media" that ended more than 90d ago \(before \S+Z\): 0 attempt_outputs, 1 control_actions, 0 node_attempts, 0 notification_deliveries, 1 run_events\ndry run: nothing deleted\n$/,
    );
    expect(await left()).toEqual(EVERYTHING);

    expect(parseJson(await cli('store', 'purge', '--older-than', '90d', '--json', '--batch-size', '1'))).toEqual({
      dryRun: false,
      olderThan: '90d',
      endedBefore: iso,
      pipeline: null,
      ...counts,
      batches: 3,
    });
    expect(await left()).toEqual(['old-live', 'old-live', 'recent', 'recent']);

    const again = await cli('store', 'purge', '--older-than', '90d');
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^deleted the records of 0 runs that ended more than 90d ago \(before \S+Z\), in 1 batch: 0 attempt_outputs, 0 control_actions, 0 node_attempts, 0 notification_deliveries, 0 run_events\n$/);

    expect(await cli('store', 'delete', 'recent')).toEqual({
      code: 0,
      stdout: "deleted the store's records of run recent (cancelled): 0 attempt_outputs, 1 control_actions, 0 node_attempts, 0 notification_deliveries, 1 run_events\n",
      stderr: '',
    });
    expect(await left()).toEqual(['old-live', 'old-live']);
  });
});
