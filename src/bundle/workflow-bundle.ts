/**
 * The workflow code a tapflow worker runs: tapflow's workflows (`tapflow/workflows`), and the
 * application's own beside them, bundled by the application's own `@temporalio/worker` at worker
 * start, so the bundle always holds the SDK the worker runs (a prebuilt bundle would hold another
 * version's workflow runtime).
 *
 * Bundling takes a few seconds, so tapflow's workflows alone are cached on disk, keyed by
 * everything that goes into them: tapflow's version and workflow files, and the SDK's version and
 * location. A bundle with the application's workflows (or its converters or interceptors) is
 * built afresh each start, as the SDK does: tapflow cannot know when those files change. Build it
 * once with {@link bundleTapflowWorkflows} and pass it as `workflowBundle` to skip that.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import { tapflowCacheDir } from '../control/cache-dir';
import { packageManifest } from '../control/package-root';
import { installedVersion } from '../control/peer-dependencies';

/** Bundled workflow code: what `createWorker` and the SDK's `Worker.create` take as `workflowBundle`. */
export interface WorkflowCode {
  code: string;
}

/** Options of {@link bundleTapflowWorkflows}. */
export interface TapflowBundleOptions {
  /**
   * A module of the application's own workflows, bundled beside tapflow's (its exported
   * functions become workflow types next to `pipelineWorkflow`). Default: none.
   */
  workflowsPath?: string;
  /** Workflow interceptor modules, as the SDK's `workflowInterceptorModules`. */
  workflowInterceptorModules?: string[];
  /** A custom payload converter module, as the data converter's `payloadConverterPath`. */
  payloadConverterPath?: string;
  /** A custom failure converter module, as the data converter's `failureConverterPath`. */
  failureConverterPath?: string;
  /**
   * Where tapflow-only bundles are kept. Default: `TAPFLOW_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/tapflow`, else `~/.cache/tapflow`; `false` to never cache.
   */
  cacheDir?: string | false;
}

/** Where tapflow's own workflows are: the `tapflow/workflows` entry, compiled or (in the checkout's tests) as source. */
export function tapflowWorkflowsPath(): string {
  return require.resolve('../workflows');
}

/**
 * Bundles tapflow's workflows, and the application's own when `workflowsPath` is given, with the
 * installed `@temporalio/worker`. Pass the result as `createWorker`'s `workflowBundle` (or to
 * `Worker.create`) to bundle once for several workers or for a deployment image.
 */
export async function bundleTapflowWorkflows(options: TapflowBundleOptions = {}): Promise<WorkflowCode> {
  const own = tapflowWorkflowsPath();
  const cacheable = !options.workflowsPath && !options.workflowInterceptorModules?.length && !options.payloadConverterPath && !options.failureConverterPath;
  const cacheDir = options.cacheDir ?? tapflowCacheDir();
  const cached = cacheable && cacheDir !== false ? join(cacheDir, 'bundles', `workflows-${bundleKey(own)}.js`) : undefined;
  if (cached) {
    try {
      return { code: readFileSync(cached, 'utf8') };
    } catch {
      // not cached yet
    }
  }
  const entry = options.workflowsPath ? combinedEntry(own, resolve(options.workflowsPath)) : undefined;
  try {
    const bundleOptions: BundleOptions = {
      workflowsPath: entry?.path ?? own,
      logger: quietLogger,
      // The combined entry lies in a temporary folder with no node_modules above it; the SDK's
      // generated entry beside it imports @temporalio/workflow, so webpack must also look where
      // the installed SDK is.
      ...(entry ? { webpackConfigHook: withSdkModules } : {}),
      ...(options.workflowInterceptorModules ? { workflowInterceptorModules: options.workflowInterceptorModules } : {}),
      ...(options.payloadConverterPath ? { payloadConverterPath: options.payloadConverterPath } : {}),
      ...(options.failureConverterPath ? { failureConverterPath: options.failureConverterPath } : {}),
    };
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const bundle = await bundleWorkflowCode(bundleOptions);
    if (cached) {
      writeQuietly(cached, bundle.code);
      pruneBundles(dirname(cached));
    }
    return { code: bundle.code };
  } finally {
    if (entry) rmSync(entry.dir, { recursive: true, force: true });
  }
}

/**
 * The cache key of tapflow's own bundle: a hash of tapflow's version and every file of the
 * folders its workflows import, and the workflow SDK's version and place (another copy of the
 * same version is another bundle: its runtime is what the worker checks against).
 */
function bundleKey(workflowsEntry: string): string {
  const hash = createHash('sha256');
  const root = dirname(dirname(workflowsEntry));
  hash.update(`tapflow ${packageManifest().version ?? ''}\n`);
  hash.update(`@temporalio/workflow ${installedVersion('@temporalio/workflow') ?? ''} ${safeResolve('@temporalio/workflow')}\n`);
  for (const part of ['workflows', 'core']) hashFolder(hash, join(root, part));
  return hash.digest('hex').slice(0, 24);
}

function hashFolder(hash: ReturnType<typeof createHash>, dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashFolder(hash, path);
    else if (/\.(js|ts)$/.test(name) && !name.endsWith('.d.ts')) hash.update(`${name}\n`).update(readFileSync(path));
  }
}

/** A temporary entry module that exports tapflow's workflows and the application's. */
function combinedEntry(own: string, theirs: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-workflows-'));
  const path = join(dir, 'workflows.js');
  writeFileSync(path, `export * from ${JSON.stringify(own)};\nexport * from ${JSON.stringify(theirs)};\n`);
  return { dir, path };
}

/** Bundles kept in the cache: each tapflow or SDK version (and, in a checkout, each edit) makes a new one. */
const KEPT_BUNDLES = 5;

/** Removes all but the {@link KEPT_BUNDLES} newest cached bundles; one that cannot be removed stays. */
function pruneBundles(dir: string): void {
  try {
    const bundles = readdirSync(dir)
      .filter((name) => /^workflows-[0-9a-f]+\.js$/.test(name))
      .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of bundles.slice(KEPT_BUNDLES)) rmSync(old.path, { force: true });
  } catch {
    // Another process pruning at the same time, or a read-only cache: the next start tries again.
  }
}

/** A webpack configuration that also resolves modules from the folder holding the installed `@temporalio/workflow`. */
function withSdkModules<C extends { resolve?: { modules?: string[] } }>(config: C): C {
  const sdk = dirname(require.resolve('@temporalio/workflow/package.json'));
  const modules = dirname(dirname(sdk)); // .../node_modules/@temporalio/workflow -> .../node_modules
  return { ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), modules] } };
}

/** Writes through a temporary file and a rename, so a reader never sees half a bundle; a cache that cannot be written is skipped. */
function writeQuietly(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch {
    // A read-only home or cache: the next start bundles again.
  }
}

function safeResolve(name: string): string {
  try {
    return require.resolve(name);
  } catch {
    return '';
  }
}

// The SDK's bundler reports webpack's progress at info; a worker's start says nothing of it.
const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: (message: string, meta?: unknown) => process.stderr.write(`tapflow bundle: ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`),
  error: (message: string, meta?: unknown) => process.stderr.write(`tapflow bundle: ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`),
} as unknown as BundleOptions['logger'];
