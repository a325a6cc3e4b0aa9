// A team's worker and client in one process, against a real Temporal dev server, in one of two
// scenarios (the first argument):
//
// - `pipeline`: a worker with this project's activities (tapflow's workflows alone); a client
//   starts a pipeline, pauses it while its first node works, sees it paused, resumes it and
//   reads its result.
// - `user-workflow`: a worker that also runs this project's workflows (workflowsPath, bundled
//   beside tapflow's); this project's workflow, started with the plain Temporal client, runs a
//   pipeline as a child workflow.
//
// Prints what it saw as one `consumer-report: <JSON>` line on stdout (the Temporal CLI prints
// its banner there too). Needs TAPFLOW_TEMPORAL_BIN, the Temporal CLI: nothing is downloaded.
'use strict';
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { TapflowClient, chain, step, pipeline } = require('tapflow');
const { createWorker } = require('tapflow/worker');
const { PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE } = require('tapflow/workflows');
const activities = require('./activities');

const scenario = process.argv[2];

/** Polls `read` until `done` holds for what it returns; fails after `timeoutMs`. */
async function waitFor(what, read, done, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Start, pause while `load` works, see `paused`, resume, read the result. */
async function pauseAndResume(client, report) {
  const spec = pipeline('consumer-sum', chain(step('load', 'loadNumbers'), step('double', 'double'), step('total', 'total')));
  const { workflowId } = await client.startRun(spec, { input: { numbers: [1, 2, 3] } });
  await waitFor('load to run', () => client.getStatus(workflowId), (s) => s.nodes.find((n) => n.id === 'load').state === 'running');
  report.pauseAck = await client.pause(workflowId, { reason: 'consumer test' });
  // `load` is in flight: the run waits for it, then starts nothing more.
  const paused = await waitFor('the run to be paused', () => client.getStatus(workflowId), (s) => s.state === 'paused');
  report.paused = { state: paused.state, reason: paused.reason, nodes: Object.fromEntries(paused.nodes.map((n) => [n.id, n.state])) };
  report.resumeAck = await client.resume(workflowId, { reason: 'consumer test' });
  report.result = await client.result(workflowId, { wait: true });
  report.finalState = (await client.getStatus(workflowId)).state;
}

async function main() {
  if (scenario !== 'pipeline' && scenario !== 'user-workflow') throw new Error(`unknown scenario ${scenario}`);
  const started = Date.now();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TAPFLOW_TEMPORAL_BIN },
      searchAttributes: [PIPELINE_SEARCH_ATTRIBUTE, STATE_SEARCH_ATTRIBUTE, PROGRESS_SEARCH_ATTRIBUTE],
    },
  });
  const report = { scenario };
  try {
    const taskQueue = 'consumer-project';
    const worker = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      activities: { ...activities },
      ...(scenario === 'user-workflow' ? { workflowsPath: require.resolve('./workflows') } : {}),
      shutdownGraceTime: '1s',
    });
    report.workerReadyMs = Date.now() - started;
    await worker.runUntil(async () => {
      if (scenario === 'pipeline') {
        await pauseAndResume(new TapflowClient(env.client, { taskQueue }), report);
      } else {
        report.userWorkflow = await env.client.workflow.execute('sumThroughPipeline', {
          taskQueue,
          workflowId: `sum-through-pipeline-${Date.now()}`,
          args: [[4, 5, 6]],
        });
      }
    });
  } finally {
    await env.teardown();
  }
  report.totalMs = Date.now() - started;
  process.stdout.write(`\nconsumer-report: ${JSON.stringify(report)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
