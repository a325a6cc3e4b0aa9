/**
 * The pipeline registry on a real PostgreSQL: versions numbered by push, the same content as the
 * same version (whatever its key order), pushes racing for the next number, a spec with problems
 * refused before anything is kept, and specs kept encoded when the store encodes values.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { InvalidSpecError } from '../../src/core/validate';
import type { PipelineSpec } from '../../src/core/types';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { StorePipelineRegistry, specDigest } from '../../src/store/pipeline-registry';
import { storeValueCodec } from '../../src/store/value-codec';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';

let server: EmbeddedPostgres;
let db: TestDatabase;

beforeAll(async () => {
  server = await startTestPostgres();
});

beforeEach(async () => {
  db = await freshDatabase(server);
});

afterEach(async () => {
  await db?.end();
});

afterAll(async () => {
  await server?.stop();
});

const v1: PipelineSpec = { name: 'media', description: 'first', nodes: [{ id: 'probe', activity: 'probeFile' }] };
const v2: PipelineSpec = { ...v1, nodes: [...v1.nodes, { id: 'publish', activity: 'publish', needs: ['probe'] }] };

test('pushes number versions; the same content is the version it already is, whatever its key order', async () => {
  const registry = new StorePipelineRegistry(db.pool);
  expect(await registry.push(v1, 'ana')).toMatchObject({ name: 'media', version: 1, created: true });
  expect(await registry.push(v2)).toMatchObject({ version: 2, created: true });
  // The first content again, its keys written in another order: still version 1, no new row.
  const reordered = { nodes: [{ activity: 'probeFile', id: 'probe' }], description: 'first', name: 'media' };
  expect(await registry.push(reordered)).toMatchObject({ version: 1, created: false });
  expect(specDigest(reordered as PipelineSpec)).toBe(specDigest(v1));

  expect(await registry.get('media')).toMatchObject({ version: 2, spec: v2, pushedBy: null });
  expect(await registry.get('media', 1)).toMatchObject({ version: 1, spec: v1, pushedBy: 'ana' });
  expect(await registry.get('media', 3)).toBeUndefined();
  expect(await registry.get('nope')).toBeUndefined();
  expect((await registry.versions('media')).map((p) => p.version)).toEqual([2, 1]);
  expect(await registry.list()).toEqual([
    { name: 'media', latest: 2, versions: 2, description: 'first', nodes: 2, pushedAt: expect.any(Date) as unknown },
  ]);
});

test('pushes racing each other all land, each content once, versions without gaps', async () => {
  const registry = new StorePipelineRegistry(db.pool);
  const specs = Array.from({ length: 8 }, (_, i): PipelineSpec => ({ name: 'race', nodes: [{ id: 'a', activity: `step${i}` }] }));
  // Every spec twice, all at once.
  const pushed = await Promise.all([...specs, ...specs].map((spec) => registry.push(spec)));
  const versions = (await registry.versions('race')).map((p) => p.version).sort((a, b) => a - b);
  expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  // Both pushes of one spec got the same version.
  for (let i = 0; i < specs.length; i++) expect(pushed[i]?.version).toBe(pushed[i + specs.length]?.version);
});

test('a spec with problems is refused with every problem, and nothing is kept', async () => {
  const registry = new StorePipelineRegistry(db.pool);
  const bad = { name: 'bad', nodes: [{ id: 'a', activity: 'x', needs: ['ghost'], when: 'nope.x' }] };
  const err = await registry.push(bad).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidSpecError);
  expect((err as InvalidSpecError).problems.map((p) => p.path).sort()).toEqual(['nodes[0].needs[0]', 'nodes[0].when']);
  expect(await registry.list()).toEqual([]);
});

test('with a codec that encodes, the store keeps the spec encoded and gives it back decoded', async () => {
  const codec = storeValueCodec({ payloadCodecs: [new Reverse()] });
  const registry = new StorePipelineRegistry(db.pool, codec);
  await registry.push(v1);
  const { rows } = await db.pool.query<{ spec: unknown }>('SELECT spec FROM tapflow.pipelines');
  expect(JSON.stringify(rows[0]?.spec)).not.toContain('probeFile');
  expect((await registry.get('media'))?.spec).toEqual(v1);
  // The digest is of the content, so the same spec is the same version under any codec.
  expect(await new StorePipelineRegistry(db.pool).push(v1)).toMatchObject({ version: 1, created: false });
});

/** A payload codec that reverses the bytes: enough to show the store never holds the plain spec. */
class Reverse implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ({ ...p, data: p.data ? Uint8Array.from(p.data).reverse() : p.data }));
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return this.encode(payloads);
  }
}

test('a run records the version it was started from, and keeps it', async () => {
  const { upsertRun } = await import('../../src/store/sql/upsert-run');
  const { getRun } = await import('../../src/store/sql/get-run');
  await upsertRun(db.pool, { workflowId: 'r1', pipeline: 'media', state: 'running', seq: 1, pipelineVersion: 2 });
  // A later write without it (a live write) or with another (none is made, but the rule holds) keeps the first.
  await upsertRun(db.pool, { workflowId: 'r1', pipeline: 'media', state: 'completed', seq: 2 });
  await upsertRun(db.pool, { workflowId: 'r1', pipeline: 'media', state: 'completed', seq: 3, pipelineVersion: 5 });
  expect(await getRun(db.pool, 'r1')).toMatchObject({ state: 'completed', pipelineVersion: 2 });
  await upsertRun(db.pool, { workflowId: 'r2', pipeline: 'media', state: 'running' });
  expect((await getRun(db.pool, 'r2'))?.pipelineVersion).toBeNull();
});
