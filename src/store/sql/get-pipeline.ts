/**
 * Reads one version of a registered pipeline (the latest when none is named), and lists them.
 */
import type { Queryable } from '../pool';

/** A registry row, the spec as stored (decode it with the store's value codec). */
export interface StoredPipeline {
  name: string;
  version: number;
  digest: string;
  spec: unknown;
  description: string | null;
  nodeCount: number;
  pushedBy: string | null;
  pushedAt: Date;
}

const COLUMNS = /* sql */ `name, version, digest, spec, description, node_count AS "nodeCount", pushed_by AS "pushedBy", pushed_at AS "pushedAt"`;

const ONE = /* sql */ `
SELECT ${COLUMNS} FROM tapflow.pipelines
WHERE name = $1 AND ($2::integer IS NULL OR version = $2)
ORDER BY version DESC LIMIT 1`;

const VERSIONS = /* sql */ `
SELECT ${COLUMNS} FROM tapflow.pipelines WHERE name = $1 ORDER BY version DESC`;

const LATEST = /* sql */ `
SELECT DISTINCT ON (p.name) p.name, p.version AS latest, p.description, p.node_count AS nodes, p.pushed_at AS "pushedAt",
       (SELECT count(*)::integer FROM tapflow.pipelines c WHERE c.name = p.name) AS versions
FROM tapflow.pipelines p
ORDER BY p.name, p.version DESC`;

/** Version `version` of pipeline `name`, or its latest without one; `undefined` when there is none. */
export async function getPipeline(client: Queryable, name: string, version?: number): Promise<StoredPipeline | undefined> {
  const { rows } = await client.query<StoredPipeline>(ONE, [name, version ?? null]);
  return rows[0];
}

/** Every version of pipeline `name`, newest first. */
export async function listPipelineVersions(client: Queryable, name: string): Promise<StoredPipeline[]> {
  const { rows } = await client.query<StoredPipeline>(VERSIONS, [name]);
  return rows;
}

/** Every registered pipeline with its latest version, by name. */
export async function listPipelines(
  client: Queryable,
): Promise<Array<{ name: string; latest: number; versions: number; description: string | null; nodes: number; pushedAt: Date }>> {
  const { rows } = await client.query<{ name: string; latest: number; versions: number; description: string | null; nodes: number; pushedAt: Date }>(LATEST);
  return rows;
}
