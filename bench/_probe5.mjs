import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const { Runtime, DefaultLogger, bundleWorkflowCode, Worker } = require('@temporalio/worker');
Runtime.install({ logger: new DefaultLogger('WARN') });
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, logger: quiet });
for (let r = 0; r < Number(process.env.R||3); r++) for (const id of (process.env.IDS||'eng,base').split(',')) {
  const history = require('@temporalio/proto').temporal.api.history.v1.History.decode(readFileSync(`/tmp/benchprobe/${id}.bin`));
  const t = performance.now();
  await Worker.runReplayHistory({ workflowBundle: { code } }, history, id);
  console.log(id, (performance.now() - t).toFixed(0), 'ms replay');
}
