/**
 * Large outputs by reference: an output over the inline limit goes to tapflow.attempt_outputs in
 * the same statement as its attempt's end (the row says output_ref = 'attempt_outputs'), follows
 * the same first-end-wins rule, and getAttemptOutput reads any output back, inline or not.
 */
import { foldAttemptWrites, type AttemptWrite } from '../../src/store/sql/attempt-rows';
import { getAttemptOutput } from '../../src/store/sql/get-attempt-output';
import { listAttempts } from '../../src/store/sql/list-attempts';
import {
  ATTEMPT_OUTPUTS_REF,
  MAX_INLINE_OUTPUT_BYTES,
  upsertAttemptRows,
  type AttemptRowsOptions,
} from '../../src/store/sql/upsert-attempt-rows';
import type { AttemptEnd } from '../../src/store/types';
import { databasePerTest } from '../helpers/postgres';

const t = databasePerTest();

const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:00:01.000Z');

/** An output whose JSON is just over the inline limit. */
const big = { blob: 'x'.repeat(MAX_INLINE_OUTPUT_BYTES) };
const bigBytes = Buffer.byteLength(JSON.stringify(big));

const start: AttemptWrite = { kind: 'start', record: { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'work', startedAt: T0, worker: 'w1' } };
const end = (over: Partial<AttemptEnd> = {}): AttemptWrite => ({
  kind: 'end',
  record: { workflowId: 'wf', nodeId: 'n', attempt: 1, activity: 'work', outcome: 'completed', finishedAt: T1, output: big, ...over },
});

async function writeBatch(writes: AttemptWrite[], options?: AttemptRowsOptions): Promise<void> {
  for (const rows of foldAttemptWrites(writes)) await upsertAttemptRows(t.db.pool, rows, options);
}

async function sideRows(): Promise<Array<{ node_id: string; attempt: number; bytes: number; output: unknown; created_at: Date }>> {
  const { rows } = await t.db.pool.query('SELECT node_id, attempt, bytes, output, created_at FROM tapflow.attempt_outputs ORDER BY node_id, attempt');
  return rows;
}

it('keeps an output over the limit in attempt_outputs, with the row pointing to it', async () => {
  await writeBatch([start, end()]);
  const [row] = await listAttempts(t.db.pool, 'wf');
  expect(row).toMatchObject({ outcome: 'completed', output: null, outputRef: ATTEMPT_OUTPUTS_REF, source: 'worker' });
  expect(await sideRows()).toEqual([{ node_id: 'n', attempt: 1, bytes: bigBytes, output: big, created_at: expect.any(Date) }]);
  expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 1)).toEqual({ kept: 'attempt_outputs', output: big, bytes: bigBytes });
});

it('measures the limit in bytes of JSON: at the limit stays inline, one byte over does not', async () => {
  const options = { maxInlineOutputBytes: 10 };
  // JSON "abcdefgh" is 10 bytes; "abcdefgé" is 11 (é is two bytes in UTF-8).
  await writeBatch([end({ nodeId: 'at', output: 'abcdefgh' }), end({ nodeId: 'over', output: 'abcdefgé' })], options);
  expect(await getAttemptOutput(t.db.pool, 'wf', 'at', 1)).toEqual({ kept: 'inline', output: 'abcdefgh' });
  expect(await getAttemptOutput(t.db.pool, 'wf', 'over', 1)).toEqual({ kept: 'attempt_outputs', output: 'abcdefgé', bytes: 11 });
});

it('changes nothing when the batch is written again, nor for a later end with another output', async () => {
  await writeBatch([start, end()]);
  const rows = await listAttempts(t.db.pool, 'wf');
  const side = await sideRows();
  await writeBatch([start, end()]);
  await writeBatch([end({ output: { blob: 'y'.repeat(MAX_INLINE_OUTPUT_BYTES) } })]);
  await writeBatch([end({ output: { small: true } })]);
  expect(await listAttempts(t.db.pool, 'wf')).toEqual(rows);
  expect(await sideRows()).toEqual(side);
});

it('writes no side row for an end that does not apply', async () => {
  await writeBatch([start, end({ output: { small: true } })]);
  await writeBatch([end()]); // a late end with a large output: the first end stays
  expect(await sideRows()).toEqual([]);
  expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 1)).toEqual({ kept: 'inline', output: { small: true } });
});

it('writes no side row for a late end folded with a start that fills in the start time', async () => {
  await writeBatch([end({ output: { small: true } })]); // the end first: no start time yet
  await writeBatch([start, end()]); // the row changes (its start time), its end does not
  expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ startedAt: T0, output: { small: true }, outputRef: null });
  expect(await sideRows()).toEqual([]);
});

it("keeps the large output of the worker's end that replaces a reconciled row", async () => {
  await t.db.pool.query(
    `INSERT INTO tapflow.node_attempts (workflow_id, node_id, attempt, activity, outcome, source) VALUES ('wf', 'n', 1, 'work', 'completed', 'reconciled')`,
  );
  await writeBatch([end()]);
  expect((await listAttempts(t.db.pool, 'wf'))[0]).toMatchObject({ source: 'worker', outputRef: ATTEMPT_OUTPUTS_REF });
  expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 1)).toEqual({ kept: 'attempt_outputs', output: big, bytes: bigBytes });
});

it('writes the end and its large output together or not at all', async () => {
  // Make the side table refuse every row (in this test's own database only).
  await t.db.pool.query(`
    CREATE FUNCTION tapflow.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
    CREATE TRIGGER refuse BEFORE INSERT ON tapflow.attempt_outputs FOR EACH ROW EXECUTE FUNCTION tapflow.refuse();`);
  await expect(writeBatch([start, end(), end({ nodeId: 'small', output: 1 })])).rejects.toThrow(/refused/);
  expect(await listAttempts(t.db.pool, 'wf')).toEqual([]);
});

describe('getAttemptOutput', () => {
  it('reads an inline output, a JSON null, and says when the output is kept elsewhere', async () => {
    await writeBatch([
      end({ nodeId: 'inline', output: { n: 1 } }),
      end({ nodeId: 'null', output: null }),
      end({ nodeId: 'elsewhere', output: undefined, outputRef: 's3://bucket/out.json' }),
    ]);
    expect(await getAttemptOutput(t.db.pool, 'wf', 'inline', 1)).toEqual({ kept: 'inline', output: { n: 1 } });
    expect(await getAttemptOutput(t.db.pool, 'wf', 'null', 1)).toEqual({ kept: 'inline', output: null });
    expect(await getAttemptOutput(t.db.pool, 'wf', 'elsewhere', 1)).toEqual({ kept: 'elsewhere', outputRef: 's3://bucket/out.json' });
  });

  it('returns undefined for an attempt without output and for one the store does not have', async () => {
    await writeBatch([start, end({ nodeId: 'failed', outcome: 'failed', output: undefined, errorMessage: 'boom' })]);
    expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 1)).toBeUndefined(); // still running
    expect(await getAttemptOutput(t.db.pool, 'wf', 'failed', 1)).toBeUndefined();
    expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 2)).toBeUndefined();
    expect(await getAttemptOutput(t.db.pool, 'other', 'n', 1)).toBeUndefined();
  });
});

it('records the attempt, and why its output is not kept, when the output is not JSON', async () => {
  await writeBatch([end({ output: { count: BigInt(1) } })]);
  const [row] = await listAttempts(t.db.pool, 'wf');
  expect(row).toMatchObject({ outcome: 'completed', output: null });
  expect(row?.outputRef).toMatch(/^not kept: the output is not JSON/);
  expect(await getAttemptOutput(t.db.pool, 'wf', 'n', 1)).toEqual({ kept: 'elsewhere', outputRef: row?.outputRef });
});
