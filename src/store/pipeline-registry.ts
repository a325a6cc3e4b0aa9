/**
 * The pipeline registry in the store: push a spec as a version, read a version back, list them.
 * A client is handed it as its `PipelineRegistry` (`new TapflowClient(client, { registry })`) to
 * start pipelines by name; the command line and the API use it directly.
 */
import { createHash } from 'node:crypto';
import type { PipelineRegistry, RegisteredPipeline, RegisteredPipelineSummary } from '../core/pipeline-registry';
import { canonicalJson } from '../core/pipeline-registry';
import type { PipelineSpec } from '../core/types';
import { assertValidSpec } from '../core/validate';
import type { Queryable } from './pool';
import { getPipeline, listPipelines, listPipelineVersions, type StoredPipeline } from './sql/get-pipeline';
import { pushPipeline, type PushedPipeline } from './sql/push-pipeline';
import { PLAIN_VALUES, type StoreValueCodec } from './value-codec';

export type { PushedPipeline } from './sql/push-pipeline';

/** The registry over a store connection; see the module comment. */
export class StorePipelineRegistry implements PipelineRegistry {
  /**
   * @param codec encodes the specs it keeps and decodes those it reads, as the store does runs'
   *   specs (the worker's and the client's store value codec). Default: kept as they are.
   */
  constructor(
    private readonly db: Queryable,
    private readonly codec: StoreValueCodec = PLAIN_VALUES,
  ) {}

  /**
   * Pushes a spec: validated first (every problem, as `tapflow validate` lists them), then kept as
   * the next version of its name, or found as the version that already has the same content.
   *
   * @throws {InvalidSpecError} when the spec has problems; nothing is kept.
   */
  async push(spec: unknown, pushedBy?: string): Promise<PushedPipeline> {
    const checked = assertValidSpec(spec);
    return pushPipeline(this.db, {
      name: checked.name,
      digest: specDigest(checked),
      storedSpec: this.codec.encodes ? await this.codec.encode(checked) : checked,
      ...(checked.description === undefined ? {} : { description: checked.description }),
      nodeCount: checked.nodes.length,
      ...(pushedBy === undefined ? {} : { pushedBy }),
    });
  }

  /** The version asked for, or the latest; `undefined` when there is none. */
  async get(name: string, version?: number): Promise<RegisteredPipeline | undefined> {
    const row = await getPipeline(this.db, name, version);
    return row && this.decoded(row);
  }

  /** Every version of a pipeline, newest first (empty when it was never pushed). */
  async versions(name: string): Promise<RegisteredPipeline[]> {
    return Promise.all((await listPipelineVersions(this.db, name)).map((row) => this.decoded(row)));
  }

  /** Every registered pipeline, by name, with its latest version. */
  async list(): Promise<RegisteredPipelineSummary[]> {
    return listPipelines(this.db);
  }

  private async decoded(row: StoredPipeline): Promise<RegisteredPipeline> {
    const spec = (this.codec.encodes ? await this.codec.decode(row.spec) : row.spec) as PipelineSpec;
    return { name: row.name, version: row.version, digest: row.digest, spec, pushedBy: row.pushedBy, pushedAt: row.pushedAt };
  }
}

/** SHA-256 of a spec's canonical JSON, hex: what makes two pushes the same version. */
export function specDigest(spec: PipelineSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}
