/**
 * `tapflow pipeline push|list|show|diff`: the pipeline registry in the run store. A pushed spec
 * is kept under its name as a numbered version, the same content being the version it already is;
 * `tapflow start NAME[@VERSION]` starts one (see `start.ts`).
 *
 * Exit codes: 0 done; 2 bad input (an unreadable or invalid spec, a malformed reference, a
 * pipeline or version the registry does not have), nothing written; 1 the store cannot be read.
 */
import { PipelineNotFoundError, UsageError } from '../core/errors';
import { diffPipelines, type PipelineDiff } from '../core/pipeline-diff';
import { formatPipelineRef, parsePipelineRef, type RegisteredPipeline, type RegisteredPipelineSummary } from '../core/pipeline-registry';
import { assertPayloadFits } from '../core/payload-limit';
import { MAX_NAME_LENGTH, textProblem } from '../core/run-text';
import type { PipelineSpec } from '../core/types';
import { formatProblem } from '../core/validate';
import { yaml } from '../core/yaml-limits';
import { StorePipelineRegistry } from '../store/pipeline-registry';
import { redactUrl, type Queryable } from '../store/pool';
import { getPipeline, listPipelineVersions } from '../store/sql/get-pipeline';
import { isEncodedValue } from '../store/value-codec';
import { commandValueCodec } from './data-converter';
import { currentUser, print, printJson, readSpecFile, type GlobalOptions } from './io';
import { printable } from './printable';
import { table } from './render';
import { commandStoreUrl, StoreReadError, withStore } from './store-access';
import { SpecProblemsError, startableSpec } from './validate';

/** Options of `pipeline push`, as commander gives them. */
export interface PipelinePushOptions extends GlobalOptions {
  /** Who pushes it. Default: the OS user. */
  user?: string;
}

/** What `tapflow pipeline push --json` prints. */
export interface PipelinePushJson {
  name: string;
  /** The version that has the spec's content: new, or the one that had it already. */
  version: number;
  /** False when a version with the same content was there already. */
  created: boolean;
  /** The pipeline's latest version now. */
  latest: number;
}

/** What `tapflow pipeline list --json` prints: every registered pipeline, by name. Times are ISO-8601. */
export interface PipelineListJson {
  pipelines: RegisteredPipelineSummary[];
}

/** One version in {@link PipelineShowJson}: its particulars without the spec. */
export interface PipelineVersionJson {
  version: number;
  digest: string;
  pushedBy: string | null;
  pushedAt: Date;
}

/** What `tapflow pipeline show --json` prints: the version asked for, and every version, newest first. */
export interface PipelineShowJson {
  name: string;
  version: number;
  digest: string;
  pushedBy: string | null;
  pushedAt: Date;
  spec: PipelineSpec;
  versions: PipelineVersionJson[];
}

/** What `tapflow pipeline diff --json` prints: the diff from `from` to `to` (references with their versions, `media@1`). */
export type PipelineDiffJson = PipelineDiff & { from: string; to: string };

/** How many hex digits of a digest the text views show: enough to tell versions apart by eye. */
const DIGEST_PREFIX = 12;

/**
 * Validates a spec file and pushes it: a new version, or the one that already has its content.
 * Prints `pushed media@3`, or `media@2 already has this content (the latest is media@3)`; with
 * `--json`, a {@link PipelinePushJson}.
 *
 * @throws {UsageError} when the file cannot be read or parsed, or `--user` is not a name.
 * @throws {SpecProblemsError} listing every problem of an invalid spec (nothing is stored).
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function pipelinePushCommand(path: string, options: PipelinePushOptions): Promise<number> {
  const spec = pushableSpec(path);
  const pushedBy = options.user ?? currentUser();
  const userProblem = textProblem(pushedBy, MAX_NAME_LENGTH);
  if (userProblem) throw new UsageError(`--user: ${userProblem}`);
  const out = await withRegistry(async (registry, db): Promise<PipelinePushJson> => {
    const pushed = await registry.push(spec, pushedBy);
    // Read rather than assumed: a push of old content is not the latest, and another push may
    // have landed meanwhile.
    const latest = (await getPipeline(db, spec.name))?.version ?? pushed.version;
    return { name: pushed.name, version: pushed.version, created: pushed.created, latest };
  });
  if (options.json) {
    printJson(out);
    return 0;
  }
  const ref = formatPipelineRef(out.name, out.version);
  if (out.created) print(`pushed ${printable(ref)}`);
  else {
    const latest = out.latest === out.version ? 'the latest' : `the latest is ${formatPipelineRef(out.name, out.latest)}`;
    print(printable(`${ref} already has this content (${latest})`));
  }
  return 0;
}

/**
 * Prints every registered pipeline: a table (name, latest version, versions, nodes and pushed at
 * of the latest, description), or with `--json` a {@link PipelineListJson}.
 *
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function pipelineListCommand(options: GlobalOptions): Promise<number> {
  const pipelines = await withRegistry((registry) => registry.list());
  if (options.json) {
    const out: PipelineListJson = { pipelines };
    printJson(out);
    return 0;
  }
  if (pipelines.length === 0) {
    print('no registered pipelines (push one: tapflow pipeline push SPEC)');
    return 0;
  }
  print(
    ...table(
      ['NAME', 'LATEST', 'VERSIONS', 'NODES', 'PUSHED', 'DESCRIPTION'],
      pipelines.map((p) => [printable(p.name), String(p.latest), String(p.versions), String(p.nodes), time(p.pushedAt), printable(oneLine(p.description ?? '', 60))]),
    ),
  );
  return 0;
}

/**
 * Prints one version (`NAME`: the latest; `NAME@VERSION`): its particulars and every version of
 * the pipeline as `#` comment lines, then its spec as YAML, so the whole output is a spec file
 * again (`tapflow pipeline show media@2 > media.yaml`). With `--json`, a {@link PipelineShowJson}.
 *
 * @throws {UsageError} for a malformed reference, or a spec the store keeps encoded and this
 *   command cannot decode.
 * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function pipelineShowCommand(refText: string, options: GlobalOptions): Promise<number> {
  const ref = parsePipelineRef(refText);
  const { found, versions } = await withRegistry(async (registry, db) => ({
    found: await findRegistered(registry, ref.name, ref.version),
    // The rows as stored: their particulars alone are shown, so no version's spec is decoded.
    versions: (await listPipelineVersions(db, ref.name)).map((v): PipelineVersionJson => ({ version: v.version, digest: v.digest, pushedBy: v.pushedBy, pushedAt: v.pushedAt })),
  }));
  if (options.json) {
    const out: PipelineShowJson = { name: found.name, version: found.version, digest: found.digest, pushedBy: found.pushedBy, pushedAt: found.pushedAt, spec: found.spec, versions };
    printJson(out);
    return 0;
  }
  const latest = versions[0]?.version ?? found.version;
  const count = `${versions.length} version${versions.length === 1 ? '' : 's'}`;
  const header = [
    `${formatPipelineRef(found.name, found.version)}: ${found.version === latest ? `the latest of ${count}` : `${count}, the latest is ${formatPipelineRef(found.name, latest)}`}`,
    `digest  ${found.digest}`,
    `pushed  ${time(found.pushedAt)}${found.pushedBy ? ` by ${found.pushedBy}` : ''}`,
    '',
    ...table(
      ['VERSION', 'PUSHED', 'BY', 'DIGEST'],
      versions.map((v) => [String(v.version), time(v.pushedAt), v.pushedBy ?? '', v.digest.slice(0, DIGEST_PREFIX)]),
    ),
  ];
  // Comments, so the output read back as YAML is the spec alone. No folding of long strings:
  // a CEL condition or a command stays on its line.
  const body = yaml().stringify(readableSpec(found.spec), { lineWidth: 0 });
  print(...header.map((line) => printable(`# ${line}`.trimEnd())), body.trimEnd());
  return 0;
}

/**
 * Prints what changed from one version to another (`NAME@A NAME@B`; a reference without a
 * version is the latest): nodes added (`+`), removed (`-`), changed (`~`, with the fields that
 * differ), the pipeline-level fields that differ, and how many nodes did not change. With
 * `--json`, a {@link PipelineDiffJson}.
 *
 * @throws {UsageError} for a malformed reference, or a spec the store keeps encoded and this
 *   command cannot decode.
 * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function pipelineDiffCommand(fromText: string, toText: string, options: GlobalOptions): Promise<number> {
  const fromRef = parsePipelineRef(fromText);
  const toRef = parsePipelineRef(toText);
  const [from, to] = await withRegistry(async (registry) => [
    await findRegistered(registry, fromRef.name, fromRef.version),
    await findRegistered(registry, toRef.name, toRef.version),
  ]);
  const diff = diffPipelines(from.spec, to.spec);
  const fromName = formatPipelineRef(from.name, from.version);
  const toName = formatPipelineRef(to.name, to.version);
  if (options.json) {
    const out: PipelineDiffJson = { from: fromName, to: toName, ...diff };
    printJson(out);
    return 0;
  }
  print(...renderDiff(fromName, toName, diff, from.digest === to.digest).map(printable));
  return 0;
}

/** The text of a diff: one line per node added, removed or changed, then the pipeline fields. */
function renderDiff(fromName: string, toName: string, diff: PipelineDiff, sameContent: boolean): string[] {
  const lines = [`${fromName} -> ${toName}`];
  if (sameContent) return [...lines, '  the same content'];
  const rows = [
    ...diff.added.map((id) => ['+', id, 'added']),
    ...diff.removed.map((id) => ['-', id, 'removed']),
    ...diff.changed.map((c) => ['~', c.id, c.fields.join(', ')]),
  ];
  if (rows.length > 0) lines.push(...table(['', 'NODE', 'CHANGE'], rows).slice(1).map((l) => `  ${l}`));
  if (diff.pipelineFields.length > 0) lines.push(`  pipeline fields changed: ${diff.pipelineFields.join(', ')}`);
  // Two versions always differ; the order of the nodes is part of the content but no node's own.
  if (rows.length === 0 && diff.pipelineFields.length === 0) lines.push('  only the order of the nodes differs');
  lines.push(`  ${diff.unchanged.length} node${diff.unchanged.length === 1 ? '' : 's'} unchanged`);
  return lines;
}

/**
 * Runs `fn` with the store's pipeline registry (specs encoded and decoded with the command's data
 * converter, as the worker and the client do) and the store connection, closed afterwards.
 *
 * @throws {StoreReadError} when the store cannot be read, or predates the registry (no
 *   `tapflow.pipelines` table: no worker of this tapflow has migrated it yet).
 * @throws whatever else `fn` throws.
 */
export async function withRegistry<T>(fn: (registry: StorePipelineRegistry, db: Queryable) => Promise<T>): Promise<T> {
  const codec = await commandValueCodec();
  const url = commandStoreUrl();
  return withStore(async (db) => {
    try {
      return await fn(new StorePipelineRegistry(db, codec), db);
    } catch (err) {
      if ((err as { code?: unknown }).code === '42P01') {
        throw new StoreReadError(
          `the store at ${redactUrl(url)} predates the pipeline registry (no tapflow.pipelines table): start "tapflow dev" or a worker of this tapflow against it to upgrade its schema`,
        );
      }
      throw err;
    }
  }, url);
}

/**
 * Version `version` of `name` (the latest without one), its spec decoded.
 *
 * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
 * @throws {UsageError} when its spec is still encoded: this command has not the data converter
 *   that encoded it, and a spec it cannot read must not be shown, compared or started as one.
 */
export async function findRegistered(registry: StorePipelineRegistry, name: string, version?: number): Promise<RegisteredPipeline> {
  const found = await registry.get(name, version);
  if (!found) throw new PipelineNotFoundError(name, version);
  if (isEncodedValue(found.spec)) {
    throw new UsageError(
      `${formatPipelineRef(found.name, found.version)}: the store keeps this spec encoded by the application's payload codec: give tapflow the same data converter (TAPFLOW_DATA_CONVERTER)`,
    );
  }
  return found;
}

/**
 * The spec in the file, as `start` would take it: every problem of an invalid one listed, the
 * name fit to start a run (printable, at most {@link MAX_NAME_LENGTH} characters), and small
 * enough for Temporal's payload limit, so a pushed version can always be started.
 */
function pushableSpec(path: string): PipelineSpec {
  const checked = startableSpec(readSpecFile(path));
  if (!checked.ok) throw new SpecProblemsError(path, checked.problems.map(formatProblem));
  assertPayloadFits(path, checked.spec);
  return checked.spec;
}

// The order a person writes a spec in. The store keeps specs as jsonb, which orders keys by
// length, so `retry` would come before a node's `activity`; the content (and digest) is the same.
const SPEC_KEY_ORDER = ['name', 'description', 'maxParallel', 'deadline', 'maxDepth', 'notify', 'defaults'];
const NODE_KEY_ORDER = ['id', 'kind', 'activity', 'pipeline', 'event', 'over', 'description', 'needs', 'trigger', 'when'];

/** `spec` with its keys, and its nodes' keys, in {@link SPEC_KEY_ORDER} (nodes last) and {@link NODE_KEY_ORDER}; the rest after, as they were. */
function readableSpec(spec: PipelineSpec): Record<string, unknown> {
  const ordered = withKeysFirst(spec as unknown as Record<string, unknown>, SPEC_KEY_ORDER, ['nodes']);
  if (!Array.isArray(spec.nodes)) return ordered;
  ordered.nodes = spec.nodes.map((node) => {
    const n = withKeysFirst(node as unknown as Record<string, unknown>, NODE_KEY_ORDER);
    // A child pipeline given inline is a spec too.
    if (typeof node.pipeline === 'object' && node.pipeline !== null) n.pipeline = readableSpec(node.pipeline);
    return n;
  });
  return ordered;
}

function withKeysFirst(value: Record<string, unknown>, first: readonly string[], last: readonly string[] = []): Record<string, unknown> {
  const keys = [...first.filter((k) => k in value), ...Object.keys(value).filter((k) => !first.includes(k) && !last.includes(k)), ...last.filter((k) => k in value)];
  return Object.fromEntries(keys.map((k) => [k, value[k]]));
}

function time(t: Date): string {
  return t.toISOString().replace('T', ' ').slice(0, 19);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
