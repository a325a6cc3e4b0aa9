/**
 * The worker's side of `launchPipelineWorkflow`: the latest version of a registered pipeline, read
 * from the store's registry when a schedule that follows it fires.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { PIPELINE_NOT_FOUND } from '../core/failure-types';
import { StorePipelineRegistry } from '../store/pipeline-registry';
import type { Queryable } from '../store/pool';
import type { StoreValueCodec } from '../store/value-codec';
import type { LatestPipeline } from '../workflows/launch-pipeline-workflow';

/**
 * The lookup activity. Without a store it fails for good: the registry lives there, so a schedule
 * on `NAME@latest` needs workers that have one.
 */
export function createLatestPipelineActivity(store?: { pool: Queryable; valueCodec?: StoreValueCodec }): (name: string) => Promise<LatestPipeline> {
  const registry = store ? new StorePipelineRegistry(store.pool, store.valueCodec) : undefined;
  return async (name) => {
    if (!registry) {
      throw ApplicationFailure.nonRetryable(
        `cannot start the latest version of ${JSON.stringify(name)}: this worker has no store, where registered pipelines are kept (give it DATABASE_URL)`,
        PIPELINE_NOT_FOUND,
      );
    }
    const found = await registry.get(name);
    if (!found) {
      throw ApplicationFailure.nonRetryable(`no registered pipeline named ${JSON.stringify(name)}: push it (tapflow pipeline push SPEC)`, PIPELINE_NOT_FOUND);
    }
    return { spec: found.spec, version: found.version };
  };
}
