/**
 * The workflows a tapflow worker hosts: the entry point given to the worker's `workflowsPath`
 * and to `bundleWorkflowCode`. Named exports only; each is a workflow type.
 */
export { pipelineWorkflow } from './pipeline-workflow';
export { mapShardWorkflow } from './map-shard-workflow';
