import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const { Runtime, DefaultLogger, bundleWorkflowCode, Worker } = require('@temporalio/worker');
Runtime.install({ logger: new DefaultLogger('WARN') });
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { createWorker } = require('../dist/worker.js');
const { TapflowClient } = require('../dist/client.js');
const { temporalCliPath } = require('../dist/tools.js');
const defs = require('../dist/workflows/definitions.js');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, logger: quiet });
const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() },
  extraArgs: ['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=10000'],
  searchAttributes: [defs.PIPELINE_SEARCH_ATTRIBUTE, defs.STATE_SEARCH_ATTRIBUTE, defs.PROGRESS_SEARCH_ATTRIBUTE] } });
const tq = 'probe';
const worker = await createWorker({ connection: env.nativeConnection, taskQueue: tq, workerOptions: { workflowBundle: { code } } });
const tf = new TapflowClient(env.client, tq);
const N = Number(process.env.N || 1000);
const nodes = Array.from({ length: N }, (_, i) => ({ id: 'n' + String(i).padStart(4, '0'), activity: 'noop', ...(i ? { needs: ['n' + String(i - 1).padStart(4, '0')] } : {}) }));
function buckets(events) {
  const out = []; let st = 0, k = 0, sum = 0;
  for (const e of events) { const t = Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6;
    if (e.attributes === 'workflowTaskStartedEventAttributes') st = t;
    if (e.attributes === 'workflowTaskCompletedEventAttributes') { sum += t - st; if (++k % 100 === 0) { out.push((sum / 100).toFixed(1)); sum = 0; } } }
  return out.join(' ');
}
const hs = {};
await worker.runUntil(async () => {
  let t = performance.now();
  const { workflowId } = await tf.startRun({ name: 'chain', nodes }, { id: 'eng' });
  await tf.result(workflowId, { wait: true });
  console.log('engine', performance.now() - t);
  t = performance.now();
  await env.client.workflow.execute('baselineChainWorkflow', { taskQueue: tq, workflowId: 'base', args: [N] });
  console.log('baseline', performance.now() - t);
  for (const id of ['eng', 'base']) {
    const h = await env.client.workflow.getHandle(id).fetchHistory();
    console.log(id, 'WFT worker ms per 100:', buckets(h.events));
    hs[id] = h; writeFileSync(`/tmp/benchprobe/${id}.bin`, require('@temporalio/proto').temporal.api.history.v1.History.encode(h).finish());
  }
});
await env.teardown();

for (let r = 0; r < 3; r++) for (const id of ['eng', 'base']) {
  const t = performance.now();
  await Worker.runReplayHistory({ workflowBundle: { code } }, hs[id], id);
  console.log(id, (performance.now() - t).toFixed(0), 'ms replay');
}
