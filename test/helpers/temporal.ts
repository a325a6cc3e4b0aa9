/**
 * Temporal test environments on the binaries `npm run setup` installs (never downloaded).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalCliPath, testServerPath } from '../../src/devstack/temporal-binaries';
import { temporal } from '@temporalio/proto';
import {
  SEARCH_ATTRIBUTES,
  PIPELINE_SEARCH_ATTRIBUTE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
} from '../../src/workflows/definitions';

/**
 * The time-skipping test server: timers, retries and timeouts run in skipped time. tapflow's
 * search attributes are registered (the server refuses a start that sets unknown ones).
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  try {
    const { IndexedValueType } = temporal.api.enums.v1;
    const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      searchAttributes[name] =
        type === 'Int' ? IndexedValueType.INDEXED_VALUE_TYPE_INT : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    }
    await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
    return env;
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

/** A real dev server (in memory) with tapflow's search attributes registered. */
export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code, bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  return bundle;
}
