// Pre-builds the workflow bundle a worker loads (dist/workflow-bundle.js), so workers in a
// deployment start without bundling. Run by `npm run build` (and so by `npm run setup`).
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'workflow-bundle.js');
const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: join(root, 'src', 'workflows', 'index.ts'), logger: quiet });
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
