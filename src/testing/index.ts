/**
 * `tapflow/testing`: run pipelines with the application's own activities in its own tests
 * (jest, vitest, node:test), on Temporal's time-skipping test server: timers, retries and
 * sleeps take no real time. Needs the optional peer dependency `@temporalio/testing` and the test
 * server binary, which `npx tapflow setup` installs (the SDK's own download is not used).
 *
 * ```ts
 * import { createTestEnvironment } from 'tapflow/testing';
 * import * as activities from '../src/activities';
 *
 * let env: TapflowTestEnvironment;
 * beforeAll(async () => { env = await createTestEnvironment({ activities }); });
 * afterAll(() => env?.teardown());
 *
 * test('thumbnails', async () => {
 *   expect(await env.run(spec, { input: { url: 'file:///data/a.png' } })).toEqual({ report: { pages: 1 } });
 * });
 * ```
 */
import { checkTemporalSdk, WORKER_SDK_PACKAGES } from '../control/peer-dependencies';

// Before the testing SDK loads: without it, or at another version than the worker's (a second
// native bridge), one line naming what to install.
checkTemporalSdk([...WORKER_SDK_PACKAGES, '@temporalio/testing'], 'tapflow/testing');

export { createTestEnvironment, type TapflowTestEnvironment, type TestEnvironmentOptions } from './test-environment';
export { temporalCliPath, testServerPath, ToolNotFoundError } from '../devstack/temporal-binaries';
