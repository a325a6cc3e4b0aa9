export { pipelineWorkflow } from './pipeline-workflow';
