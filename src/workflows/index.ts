/**
 * `tapflow/workflows`: the pipeline workflow and its contract, safe to import from workflow code
 * (it imports nothing but the core and the workflow SDK), so a team's own workflows can start
 * pipelines as child workflows and signal, update or query them.
 *
 * It is also the workflow entry a tapflow worker bundles: every function exported here is a
 * workflow type, so only workflows are exported as functions.
 *
 * ```ts
 * import { executeChild } from '@temporalio/workflow';
 * import { pipelineWorkflow } from 'tapflow/workflows';
 *
 * export async function nightly(): Promise<void> {
 *   await executeChild(pipelineWorkflow, { args: [{ spec, params: { day: 'today' } }] });
 * }
 * ```
 */
export { pipelineWorkflow } from './pipeline-workflow';
export { mapShardWorkflow } from './map-shard-workflow';
export { launchPipelineWorkflow } from './launch-pipeline-workflow';
export { concurrencyWorkflow } from './concurrency-workflow';
export * from './definitions';
export * from '../core/failure-types';
