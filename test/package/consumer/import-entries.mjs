// Loads every tapflow entry point with static ES imports, as an ES module application does:
// a name Node cannot find among a CommonJS module's exports fails here, at link time.
// Prints the type of each name, and the error `tapflow/api` throws without Fastify, on one
// `consumer-report: <JSON>` line.
import { TapflowClient, validateSpec, chain } from 'tapflow';
import { pipelineWorkflow, pauseUpdate, statusQuery } from 'tapflow/workflows';
import { createWorker, permanentFailure, NativeConnection } from 'tapflow/worker';
import { openStore, migrate } from 'tapflow/store';
import { createTestEnvironment } from 'tapflow/testing';

const report = {
  tapflow: { names: { TapflowClient: typeof TapflowClient, validateSpec: typeof validateSpec, chain: typeof chain } },
  'tapflow/workflows': { names: { pipelineWorkflow: typeof pipelineWorkflow, pauseUpdate: typeof pauseUpdate, statusQuery: typeof statusQuery } },
  'tapflow/worker': { names: { createWorker: typeof createWorker, permanentFailure: typeof permanentFailure, NativeConnection: typeof NativeConnection } },
  'tapflow/store': { names: { openStore: typeof openStore, migrate: typeof migrate } },
  'tapflow/testing': { names: { createTestEnvironment: typeof createTestEnvironment } },
};
try {
  const api = await import('tapflow/api');
  report['tapflow/api'] = { names: { buildApi: typeof api.buildApi } };
} catch (err) {
  report['tapflow/api'] = { error: { name: err.name, code: err.code, message: err.message, stack: err.stack } };
}
process.stdout.write(`consumer-report: ${JSON.stringify(report)}\n`);
