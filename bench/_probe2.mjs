import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
const require = createRequire(import.meta.url);
const { Runtime, DefaultLogger, bundleWorkflowCode } = require('@temporalio/worker');
Runtime.install({ logger: new DefaultLogger('WARN') });
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const { createWorker } = require('../dist/worker.js');
const { temporalCliPath } = require('../dist/tools.js');
const defs = require('../dist/workflows/definitions.js');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, logger: quiet });
const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() },
  extraArgs: (process.env.EXTRA||'').split(' ').filter(Boolean),
  searchAttributes: [defs.PIPELINE_SEARCH_ATTRIBUTE, defs.STATE_SEARCH_ATTRIBUTE, defs.PROGRESS_SEARCH_ATTRIBUTE] } });
const tq = 'probe';
const worker = await createWorker({ connection: env.nativeConnection, taskQueue: tq, workerOptions: { workflowBundle: { code } } });
await worker.runUntil(async () => {
  const n = Number(process.env.N||30);
  for (const [wid, nn] of (process.env.PLAN||'').split(',').filter(Boolean).map((p,i)=>['pre'+i, Number(p)])) { const t0=performance.now(); await env.client.workflow.execute('baselineChainWorkflow', { taskQueue: tq, workflowId: wid, args: [nn] }); console.log('pre', nn, performance.now()-t0); }
  let t = performance.now();
  const h = await env.client.workflow.start('baselineChainWorkflow', { taskQueue: tq, workflowId: 'b', args: [n] });
  await h.result();
  console.log('baseline chain', n, performance.now() - t);
  const hist = await h.fetchHistory();
  let prev;
  const { EventType } = require('@temporalio/proto').temporal.api.enums.v1;
  const names = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));
  const buckets = {};
  const B = Number(process.env.B||50)*6;
  hist.events.forEach((e, i) => {
    const ts = Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6;
    if (prev !== undefined) { const k = Math.floor(i / B) + ':' + names[e.eventType].replace('EVENT_TYPE_', ''); (buckets[k] ??= []).push(ts - prev); }
    prev = ts;
  });
  if (process.env.RAW) { const arr=[]; let p; let lastType; hist.events.forEach(e=>{const ts = Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6; const n=names[e.eventType]; if(n.endsWith('WORKFLOW_TASK_STARTED')) arr.push((ts-p).toFixed(1)); p=ts;}); console.log(arr.join(' ')); }
  for (const [k, v] of Object.entries(buckets)) console.log(k, (v.reduce((a,b)=>a+b,0)/v.length).toFixed(1));
});
await env.teardown();
