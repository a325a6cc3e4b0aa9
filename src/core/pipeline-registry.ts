/**
 * Registered pipelines: specs kept in the store under their name as numbered versions, so a run
 * can be started by name (`tapflow start NAME[@VERSION]`, `POST /api/runs { pipeline }`) without
 * sending its spec. The shapes and the reference syntax live here; the store keeps them
 * (`tapflow/store`), and a client reads them through a {@link PipelineRegistry} it is given, so
 * the `tapflow` entry never loads the database driver.
 *
 * Pure.
 */
import { UsageError } from './errors';
import type { PipelineSpec } from './types';

/** One version of a registered pipeline. */
export interface RegisteredPipeline {
  name: string;
  /** From 1, one more for each push of new content. */
  version: number;
  /** SHA-256 of the spec as canonical JSON: the same content is the same version. */
  digest: string;
  spec: PipelineSpec;
  /** Who pushed it, when they said. */
  pushedBy: string | null;
  pushedAt: Date;
}

/** A registered pipeline as listed: its latest version and how many there are. */
export interface RegisteredPipelineSummary {
  name: string;
  latest: number;
  versions: number;
  description: string | null;
  nodes: number;
  pushedAt: Date;
}

/** Where a client finds registered pipelines (see `storePipelineRegistry` in `tapflow/store`). */
export interface PipelineRegistry {
  /** The version asked for, or the latest without one; `undefined` when there is none. */
  get(name: string, version?: number): Promise<RegisteredPipeline | undefined>;
}

/** `NAME`, `NAME@3` or `NAME@latest`, read. */
export interface PipelineRef {
  name: string;
  /** `undefined`: the latest. */
  version?: number;
}

/**
 * Reads a pipeline reference: `NAME` or `NAME@latest` (the latest version), `NAME@3`.
 *
 * @throws {UsageError} for an empty name or a version that is not a whole number from 1.
 */
export function parsePipelineRef(text: string): PipelineRef {
  const at = text.lastIndexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? undefined : text.slice(at + 1);
  if (name.trim() === '') throw new UsageError(`"${text}": give a pipeline name, as NAME or NAME@VERSION`);
  if (version === undefined || version === 'latest') return { name };
  if (!/^[1-9][0-9]{0,8}$/.test(version)) {
    throw new UsageError(`"${text}": the version after "@" must be a whole number from 1, or "latest"`);
  }
  return { name, version: Number(version) };
}

/** A reference as written back: `NAME@3`. */
export function formatPipelineRef(name: string, version: number): string {
  return `${name}@${version}`;
}

/**
 * JSON with object keys in sorted order at every level, so two specs that differ only in the
 * order of their keys have one text, and one digest. Array order counts (the order of nodes breaks
 * ties between ready nodes).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
