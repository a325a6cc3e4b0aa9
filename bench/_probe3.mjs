import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
const require = createRequire(import.meta.url);
const { Runtime, DefaultLogger, bundleWorkflowCode } = require('@temporalio/worker');
Runtime.install({ logger: new DefaultLogger('WARN') });
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { createWorker } = require('../dist/worker.js');
const { temporalCliPath } = require('../dist/tools.js');
const defs = require('../dist/workflows/definitions.js');
const { EventType } = require('@temporalio/proto').temporal.api.enums.v1;
const names = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, logger: quiet });
const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() },
  extraArgs: (process.env.EXTRA||'').split(' ').filter(Boolean),
  searchAttributes: [defs.PIPELINE_SEARCH_ATTRIBUTE, defs.STATE_SEARCH_ATTRIBUTE, defs.PROGRESS_SEARCH_ATTRIBUTE] } });
const tq = 'probe';
const worker = await createWorker({ connection: env.nativeConnection, taskQueue: tq, workerOptions: { workflowBundle: { code }, ...JSON.parse(process.env.WOPTS||'{}') } });
await worker.runUntil(async () => {
  let k = 0;
  for (const step of process.env.PLAN.split(',')) {
    if (step.startsWith('s')) { await new Promise(r => setTimeout(r, Number(step.slice(1)))); continue; }
    const [wf, nn] = step.includes(':') ? step.split(':') : ['baselineChainWorkflow', step];
    const t0 = performance.now();
    const h = await env.client.workflow.start(wf, { taskQueue: tq, workflowId: 'w' + k++, args: [Number(nn)] });
    await h.result();
    const hist = await h.fetchHistory();
    const arr = []; let p;
    hist.events.forEach(e => { const ts = Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6; if (names[e.eventType].endsWith('WORKFLOW_TASK_STARTED')) arr.push(Math.round(ts - p)); p = ts; });
    console.log(wf, nn, Math.round(performance.now() - t0), 'ms; WFT sched->start:', arr.join(' '));
  }
});
await env.teardown();
