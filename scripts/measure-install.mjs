#!/usr/bin/env node
// What a client-only install of tapflow costs a team: packs the checkout (dist/ must be built;
// `--ignore-scripts`, so `prepare` does not rebuild dist/ under running tests), installs the
// tarball alone into a throwaway project, lets npm add the required peers itself (the Temporal
// client, common and envconfig, at the newest versions in range: this may download), and prints
// the number of packages installed and the size of node_modules. Removes the project afterwards.
//
//   node scripts/measure-install.mjs [--json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asJson = process.argv.includes('--json');

/** Runs a command to its end; exits with its output's tail when it fails. */
function run(command, args, cwd, timeoutMs) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status}`;
    process.stderr.write(`${command} ${args.join(' ')} failed (${why})\n${(result.stderr ?? '').split('\n').slice(-30).join('\n')}\n`);
    process.exit(1);
  }
  return result.stdout;
}

/** Bytes of every file under `dir` (what a tarball or a copy of it weighs, not disk blocks). */
function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += readFileSync(path).length;
  }
  return total;
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  process.stderr.write('dist/ is not built: run "npm run build"\n');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'tapflow-measure-install-'));
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root, 120_000));
  const tarball = join(work, packed.filename);
  const project = join(work, 'client-only');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'client-only', version: '1.0.0', private: true }, null, 2)}\n`);
  const started = Date.now();
  run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project, 10 * 60_000);
  const installMs = Date.now() - started;
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages).filter((path) => path !== '');
  const temporal = Object.fromEntries(
    packages.filter((path) => /^node_modules\/@temporalio\/[^/]+$/.test(path)).map((path) => [path.slice('node_modules/'.length), lock.packages[path].version]),
  );
  const diskKiB = Number(run('du', ['-sk', join(project, 'node_modules')], project, 60_000).split(/\s/)[0]);
  const figures = {
    tapflow: packed.version,
    tarballBytes: packed.size,
    tarballFiles: packed.entryCount,
    packages: packages.length,
    nodeModulesMB: Math.round((diskKiB / 1024) * 10) / 10,
    nodeModulesBytesMB: Math.round((bytesUnder(join(project, 'node_modules')) / 1024 / 1024) * 10) / 10,
    temporal,
    installSeconds: Math.round(installMs / 100) / 10,
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } else {
    console.log(`tapflow ${figures.tapflow}: tarball ${figures.tarballBytes} bytes, ${figures.tarballFiles} files`);
    console.log(`client-only install: ${figures.packages} packages, node_modules ${figures.nodeModulesMB} MB on disk (${figures.nodeModulesBytesMB} MB of files)`);
    console.log(`peers npm added: ${Object.entries(temporal).map(([name, version]) => `${name}@${version}`).join(', ')}`);
    console.log(`npm install took ${figures.installSeconds} s`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
