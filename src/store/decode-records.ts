/**
 * The store's records with their values decoded (see `value-codec.ts`): what readers show, the
 * same whether the store holds values in the clear or encoded by the application's codec.
 */
import type { ControlActionRecord, NodeAttemptRecord, RunHistory, RunRecord } from './types';
import { isEncodedValue, type StoreValueCodec } from './value-codec';
import { UsageError } from '../core/errors';

/** A run's record with its spec, input and result decoded. */
export async function decodeRun(run: RunRecord, codec: StoreValueCodec): Promise<RunRecord> {
  if (!codec.encodes) return run;
  const [spec, params, result] = await Promise.all([run.spec, run.params, run.result].map((v) => codec.decode(v)));
  return { ...run, spec, params, result };
}

/** An attempt with its output decoded. */
export async function decodeAttempt(attempt: NodeAttemptRecord, codec: StoreValueCodec): Promise<NodeAttemptRecord> {
  return codec.encodes ? { ...attempt, output: await codec.decode(attempt.output) } : attempt;
}

/** A control action with its particulars (a retry's input, a skip's output, an event's data) decoded. */
export async function decodeAction(action: ControlActionRecord, codec: StoreValueCodec): Promise<ControlActionRecord> {
  return codec.encodes ? { ...action, details: await codec.decode(action.details) } : action;
}

/** A run's history with every value decoded. */
export async function decodeHistory(history: RunHistory, codec: StoreValueCodec): Promise<RunHistory> {
  if (!codec.encodes) return history;
  return {
    ...history,
    run: history.run && (await decodeRun(history.run, codec)),
    attempts: await Promise.all(history.attempts.map((a) => decodeAttempt(a, codec))),
    controlActions: await Promise.all(history.controlActions.map((c) => decodeAction(c, codec))),
  };
}

/** Node outputs by node id, decoded. */
export async function decodeOutputs(outputs: Map<string, unknown>, codec: StoreValueCodec): Promise<Map<string, unknown>> {
  if (!codec.encodes) return outputs;
  return new Map(await Promise.all([...outputs].map(async ([id, v]) => [id, await codec.decode(v)] as const)));
}

/**
 * Checks that a run's values could be read: a reader without the data converter that encoded
 * them gets envelopes, and comparing or restarting from an envelope would go wrong silently.
 *
 * @throws {EncodedValuesError} when the spec or the input is still encoded.
 */
export function assertDecoded(run: RunRecord): void {
  if (isEncodedValue(run.spec) || isEncodedValue(run.params)) throw new EncodedValuesError(run.workflowId);
}

/** The store keeps a run's values encoded, and this reader has not the data converter to read them. */
export class EncodedValuesError extends UsageError {
  constructor(public readonly runId: string) {
    super(
      `${runId}: the store keeps this run's values encoded by the application's payload codec: give tapflow the same data converter (the client's dataConverter; TAPFLOW_DATA_CONVERTER for the command line)`,
    );
  }
}
