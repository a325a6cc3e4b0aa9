/**
 * The time-skipping server with tapflow's search attributes registered.
 *
 * `timeSkippingEnv()` alone is not enough for tapflow: the test server refuses to start a
 * workflow with search attributes it does not know ("search attribute TapflowPipeline is not
 * defined"), and `TapflowClient.startRun` always sets them. The test server does implement the
 * operator service, so they are registered here.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { timeSkippingEnv } from './temporal';

const { IndexedValueType } = temporal.api.enums.v1;

/** A time-skipping environment on which `TapflowClient.startRun` works. */
export async function timeSkippingEnvForTapflow(): Promise<TestWorkflowEnvironment> {
  const env = await timeSkippingEnv();
  try {
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
