#!/usr/bin/env node
// Compiles src/ into dist/, from empty: a file moved or removed in src/ leaves nothing behind in
// dist/ for the package to ship. Run by `npm run build`, by `npm run setup` when a source is newer
// than the build, and by npm itself (`prepare`) before packing and when installed from git.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
