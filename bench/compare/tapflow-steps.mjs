// The tapflow side's activity module, loaded by its worker process
// (`tapflow worker --activities bench/compare/tapflow-steps.mjs`). Its one export, `compareStep`,
// is the comparison's step (bench/compare/steplog.mjs): it adds its index to the total the node
// before it returned. Pausing needs nothing here: tapflow's engine checks for a pause between
// nodes.
import { runStep } from './steplog.mjs';

/**
 * Step `input.i` of the chain: logs to `params.log`, sleeps `params.sleepMs`, and returns
 * `{ total }`, the total of the node it needs (0 for the first) plus `input.i`.
 */
export async function compareStep({ input, params, upstream }) {
  const before = Object.values(upstream ?? {})[0]?.total ?? 0;
  return { total: await runStep(params.log, input.i, before, params.sleepMs) };
}
