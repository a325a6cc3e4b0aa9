/**
 * The packed package against the Temporal SDK versions it says it supports, beyond the one the
 * checkout tests with (consumer.test.ts): the oldest, installed from the registry (slow the first
 * time: the native bridge is large), and a broken install mixing two SDK versions, which must be
 * one clear error rather than a native crash.
 */
import { join } from 'node:path';
import {
  TEMPORAL_BIN,
  TEMPORAL_PACKAGES,
  checkoutVersion,
  createProject,
  installedVersion,
  makeTempDir,
  npmInstall,
  packCheckout,
  readReport,
  removeDir,
  runOk,
  type PackedTarball,
} from './consumer-project';

/** The oldest SDK tapflow supports: the floor of its peer range (`>=1.23.0 <2`). */
const OLDEST_SDK = '1.23.0';

/** An entry point's report from require-entries.cjs. */
type EntryReport = Record<string, { names?: Record<string, string>; error?: { name: string; code?: string; message: string } }>;

const ENTRY_POINTS = {
  tapflow: { TapflowClient: 'function', validateSpec: 'function', chain: 'function' },
  'tapflow/worker': { createWorker: 'function', permanentFailure: 'function', NativeConnection: 'function' },
};

let root: string;
let packed: PackedTarball;

beforeAll(() => {
  root = makeTempDir('tapflow-sdk-versions-');
  packed = packCheckout(join(root, 'pack'));
});

afterAll(() => removeDir(root));

/** Loads `tapflow` and `tapflow/worker` in `project` with require(); returns what each exposed or threw. */
function requireEntries(project: string): EntryReport {
  const wanted = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([entry, names]) => [entry, Object.keys(names)]));
  return readReport<EntryReport>(runOk('require-entries.cjs', 'node', ['require-entries.cjs', JSON.stringify(wanted)], { cwd: project, timeoutMs: 60_000 }));
}

describe(`Temporal SDK ${OLDEST_SDK}, the oldest supported`, () => {
  let project: string;

  beforeAll(() => {
    project = createProject(root, 'sdk-oldest', {
      dependencies: { tapflow: `file:${packed.path}`, ...Object.fromEntries(TEMPORAL_PACKAGES.map((name) => [name, OLDEST_SDK])) },
    });
    // Downloads the SDK (and its native bridge) unless npm's cache has it.
    const install = npmInstall(project, 15 * 60_000);
    console.log(`SDK ${OLDEST_SDK} project: npm install took ${(install.ms / 1000).toFixed(1)} s`);
  }, 16 * 60_000);

  test('is what got installed', () => {
    for (const name of TEMPORAL_PACKAGES) expect(`${name}@${installedVersion(project, name)}`).toBe(`${name}@${OLDEST_SDK}`);
  });

  test('require() loads tapflow and tapflow/worker', () => {
    const report = requireEntries(project);
    for (const [entry, names] of Object.entries(ENTRY_POINTS)) expect({ entry, ...report[entry] }).toEqual({ entry, names });
  });

  test("a worker with the project's activities runs a pipeline a client pauses and resumes", () => {
    const env = { TAPFLOW_TEMPORAL_BIN: TEMPORAL_BIN, TAPFLOW_CACHE_DIR: join(root, 'cache') };
    const result = runOk('run-pipeline.js pipeline', 'node', ['run-pipeline.js', 'pipeline'], { cwd: project, env, timeoutMs: 150_000 });
    expect(readReport<Record<string, unknown>>(result)).toMatchObject({
      paused: { state: 'paused', nodes: { load: 'completed', double: 'pending', total: 'pending' } },
      result: { total: { total: 12, by: 'consumer-activities' } },
      finalState: 'completed',
    });
  }, 180_000);
});

describe(`mixed SDK versions: @temporalio/worker ${OLDEST_SDK}, the rest at the checkout's`, () => {
  const current = checkoutVersion('@temporalio/worker');
  let project: string;

  beforeAll(() => {
    // The worker's own exact pins on the other SDK packages make npm nest a second copy of them under it.
    project = createProject(root, 'sdk-mixed', {
      dependencies: {
        tapflow: `file:${packed.path}`,
        ...Object.fromEntries(TEMPORAL_PACKAGES.map((name) => [name, name === '@temporalio/worker' ? OLDEST_SDK : current])),
      },
    });
    const install = npmInstall(project, 15 * 60_000);
    console.log(`mixed SDK project: npm install took ${(install.ms / 1000).toFixed(1)} s`);
  }, 16 * 60_000);

  test('is what got installed: two SDK versions side by side', () => {
    expect(installedVersion(project, '@temporalio/worker')).toBe(OLDEST_SDK);
    expect(installedVersion(project, '@temporalio/workflow')).toBe(current);
    expect(installedVersion(join(project, 'node_modules', '@temporalio', 'worker'), '@temporalio/common')).toBe(OLDEST_SDK);
  });

  test('tapflow/worker refuses to load with one sdk_incompatible error naming the versions; tapflow still loads', () => {
    const report = requireEntries(project);
    expect({ entry: 'tapflow', ...report.tapflow }).toEqual({ entry: 'tapflow', names: ENTRY_POINTS.tapflow });
    const error = report['tapflow/worker']?.error;
    expect(error).toMatchObject({ name: 'SdkVersionError', code: 'sdk_incompatible' });
    expect(error?.message).toContain(`@temporalio/worker@${OLDEST_SDK}`);
    expect(error?.message).toContain(`@temporalio/workflow@${current}`);
    expect(error?.message).not.toContain('\n');
  });
});
