/**
 * Run and control-action writes as the store keeps them: values encoded by the store's value
 * codec (see `value-codec.ts`), labels left readable. Shared by the record activity (the run's
 * durable writes) and the run write queue (its live ones).
 */
import type { ControlActionWrite, RunWrite } from '../core/record-writes';
import { isConnectionError } from './pool';
import type { StoreValueCodec } from './value-codec';

/**
 * The run's values encoded: each node output on its own, so the store still merges them by node.
 * Labels (tags, user, site, `event`) stay readable: searches and the runs list show them.
 */
export async function encodeRun(run: RunWrite, codec: StoreValueCodec): Promise<RunWrite> {
  if (!codec.encodes) return run;
  const outputs = run.outputs && Object.fromEntries(await Promise.all(Object.entries(run.outputs).map(async ([id, v]) => [id, await codec.encode(v)] as const)));
  return {
    ...run,
    spec: await codec.encode(run.spec),
    params: await codec.encode(run.params),
    result: await codec.encode(run.result),
    ...(outputs ? { outputs } : {}),
  };
}

/** A control action's particulars encoded. */
export async function encodeAction(action: ControlActionWrite, codec: StoreValueCodec): Promise<ControlActionWrite> {
  if (!codec.encodes) return action;
  return { ...action, details: await codec.encode(action.details) };
}

/**
 * Whether the database refused a write for good: SQLSTATE classes 22 (data exception) and 23
 * (integrity constraint violation), where the data is at fault and a retry would fail again.
 */
export function isRejectedWrite(err: unknown): boolean {
  if (isConnectionError(err)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
