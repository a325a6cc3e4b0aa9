/**
 * Pushes a spec into the pipeline registry as the next version of its name, or finds the version
 * that already holds the same content.
 */
import type { Queryable } from '../pool';
import { jsonParam } from './params';

// One statement: the version that already has this digest, else a new row numbered one past the
// latest. Two pushes at once may pick the same number (or the same digest): the loser inserts
// nothing and the caller asks again, when the winner's row is visible.
const SQL = /* sql */ `
WITH existing AS (
  SELECT version, pushed_at FROM tapflow.pipelines WHERE name = $1 AND digest = $2
), inserted AS (
  INSERT INTO tapflow.pipelines (name, version, digest, spec, description, node_count, pushed_by)
  SELECT $1, coalesce((SELECT max(version) FROM tapflow.pipelines WHERE name = $1), 0) + 1, $2, $3::jsonb, $4, $5, $6
  WHERE NOT EXISTS (SELECT 1 FROM existing)
  ON CONFLICT DO NOTHING
  RETURNING version, pushed_at
)
SELECT version, true AS created, pushed_at AS "pushedAt" FROM inserted
UNION ALL
SELECT version, false AS created, pushed_at AS "pushedAt" FROM existing`;

/** What a push of one spec did. */
export interface PushedPipeline {
  name: string;
  version: number;
  /** False when a version with the same content was there already (`version` is that one). */
  created: boolean;
  pushedAt: Date;
}

/** What is pushed: the spec as the store keeps it (encoded when a codec is configured) and its particulars. */
export interface PipelinePush {
  name: string;
  /** SHA-256 of the spec's canonical JSON (see `canonicalJson`). */
  digest: string;
  /** The spec as stored: itself, or encoded by the store's value codec. */
  storedSpec: unknown;
  description?: string;
  nodeCount: number;
  pushedBy?: string;
}

/**
 * Records a push: a new version, or the existing one with the same digest.
 *
 * @throws the database's error when the store cannot be reached or refuses the row.
 */
export async function pushPipeline(client: Queryable, push: PipelinePush): Promise<PushedPipeline> {
  for (let tries = 0; tries < 5; tries++) {
    const { rows } = await client.query<{ version: number; created: boolean; pushedAt: Date }>(SQL, [
      push.name,
      push.digest,
      jsonParam(push.storedSpec),
      push.description ?? null,
      push.nodeCount,
      push.pushedBy ?? null,
    ]);
    const row = rows[0];
    if (row) return { name: push.name, ...row };
  }
  throw new Error(`could not push pipeline "${push.name}": other pushes kept taking its next version; try again`);
}
