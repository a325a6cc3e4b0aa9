// The consumer project's own workflow, bundled beside tapflow's (createWorker's workflowsPath):
// it runs a pipeline as a child workflow, as a team's workflow would.
'use strict';
const { executeChild } = require('@temporalio/workflow');
const { pipelineWorkflow } = require('tapflow/workflows');

/** Doubles and sums `numbers` through a child pipeline run; returns the child's result. */
async function sumThroughPipeline(numbers) {
  const spec = {
    name: 'child-sum',
    nodes: [
      { id: 'double', activity: 'double' },
      { id: 'total', activity: 'total', needs: ['double'] },
    ],
  };
  const result = await executeChild(pipelineWorkflow, { args: [{ spec, params: { numbers } }] });
  return { child: result, workflow: 'sumThroughPipeline' };
}

module.exports = { sumThroughPipeline };
