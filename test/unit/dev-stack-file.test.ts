/**
 * Where a running `tapflow dev` listens, as the other commands find it: written in its data
 * folder and in the per-user cache, read from `./.tapflow/` first, taken only while the process
 * that wrote it lives, and removed when it stops (unless another stack wrote over it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devStackFiles, findDevStack, removeDevStack, writeDevStack, type DevStackInfo } from '../../src/devstack/dev-stack-file';
import { loadTemporalSettings } from '../../src/control/connection';

let root: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tapflow-stack-'));
  env = { TAPFLOW_CACHE_DIR: join(root, 'cache') };
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const stack = (over: Partial<DevStackInfo> = {}): DevStackInfo => ({
  pid: process.pid,
  temporalAddress: '127.0.0.1:17233',
  namespace: 'default',
  taskQueue: 'mine',
  storePort: 17432,
  apiUrl: 'http://127.0.0.1:18080',
  uiUrl: 'http://127.0.0.1:18233',
  dataDir: join(root, 'project', '.tapflow'),
  ...over,
});

test('a running stack is found from its project folder, and from anywhere through the per-user file', () => {
  writeDevStack(stack(), env);
  expect(findDevStack(env, join(root, 'project'))).toEqual({ info: stack(), file: join(root, 'project', '.tapflow', 'stack.json') });
  mkdirSync(join(root, 'elsewhere'));
  expect(findDevStack(env, join(root, 'elsewhere'))).toEqual({ info: stack(), file: join(root, 'cache', 'dev-stack.json') });
});

test('the project folder wins over the last stack started elsewhere', () => {
  writeDevStack(stack(), env);
  writeDevStack(stack({ temporalAddress: '127.0.0.1:27233', dataDir: join(root, 'other', '.tapflow') }), env);
  expect(findDevStack(env, join(root, 'project'))?.info.temporalAddress).toBe('127.0.0.1:17233');
  expect(findDevStack(env, root)?.info.temporalAddress).toBe('127.0.0.1:27233');
});

test('a stack whose process is gone is not taken', () => {
  writeDevStack(stack({ pid: 2 ** 22 + 12345 }), env);
  expect(findDevStack(env, join(root, 'project'))).toBeUndefined();
});

test('stopping removes its files, but not a newer stack that wrote over the per-user one', () => {
  const first = stack();
  writeDevStack(first, env);
  const second = stack({ pid: process.ppid, dataDir: join(root, 'other', '.tapflow') });
  writeDevStack(second, env);
  removeDevStack(first, env);
  const [firstOwn, userFile] = devStackFiles(first.dataDir, env);
  expect(existsSync(firstOwn as string)).toBe(false);
  expect(existsSync(userFile as string)).toBe(true);
  expect(findDevStack(env, root)?.info.pid).toBe(process.ppid);
});

test('the address: a flag, else the environment, else the running stack, else the default', () => {
  const saved = process.env.TEMPORAL_ADDRESS;
  delete process.env.TEMPORAL_ADDRESS;
  try {
    expect(loadTemporalSettings({ fallbackAddress: '127.0.0.1:17233' })).toMatchObject({ addressFrom: 'fallback', connectionOptions: { address: '127.0.0.1:17233' } });
    expect(loadTemporalSettings({})).toMatchObject({ addressFrom: 'default', connectionOptions: { address: 'localhost:7233' } });
    expect(loadTemporalSettings({ address: 'a:1', fallbackAddress: 'b:2' })).toMatchObject({ addressFrom: 'override', connectionOptions: { address: 'a:1' } });
    process.env.TEMPORAL_ADDRESS = 'env:7233';
    expect(loadTemporalSettings({ fallbackAddress: 'b:2' })).toMatchObject({ addressFrom: 'environment', connectionOptions: { address: 'env:7233' } });
  } finally {
    if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = saved;
  }
});
