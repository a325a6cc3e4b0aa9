// Drives the chaos workload through the faults: starts each planned run at its time and sends its
// control actions, retrying through server restarts as a careful client would. Every request is
// idempotent: a run's id is fixed, and each control action carries a request id (Temporal's
// update id), so a retry after a lost answer is the same request, not a second one.
import { setTimeout as delay } from 'node:timers/promises';

/** How long a request is retried through an outage before the driver gives up on it. */
const RETRY_FOR_MS = 120_000;

/**
 * Calls `fn` until it resolves or throws one of the errors `final` accepts; any other error (the
 * server is restarting) is retried every 500 ms for up to {@link RETRY_FOR_MS}.
 */
async function retrying(fn, final) {
  const until = Date.now() + RETRY_FOR_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (final(err) || Date.now() > until) throw err;
      await delay(500);
    }
  }
}

const named = (...names) => (err) => names.includes(err?.name);

/**
 * Runs the plan with `tf` (a TapflowClient): resolves when every run has been started and every
 * action sent. Each planned run gets `started` (bool), `startError`, and `actions` (what was
 * sent and how each was answered); a refused cancel (the run had already ended) changes its
 * `expectedEnd` to what the run reached.
 */
export async function drive(tf, plan, { taskQueue, t0, log }) {
  await Promise.all(plan.map((run) => driveOne(tf, run, { taskQueue, t0, log })));
}

async function driveOne(tf, run, { taskQueue, t0, log }) {
  run.actions = [];
  const wait = t0 + run.startAtMs - Date.now();
  if (wait > 0) await delay(wait);
  try {
    await retrying(
      () => tf.startRun(run.pipeline.spec, { id: run.id, taskQueue }),
      named('RunAlreadyExistsError', 'InvalidSpecError', 'UsageError'),
    );
    run.started = true;
  } catch (err) {
    if (err?.name === 'RunAlreadyExistsError') {
      run.started = true; // an earlier try reached the server and its answer was lost
    } else {
      run.started = false;
      run.startError = err.message;
      log(`run ${run.id}: could not be started: ${err.message}`);
      return;
    }
  }
  run.startedAt = Date.now();
  if (!run.action) return;
  await delay(run.actionAfterMs);
  if (run.action === 'pause') {
    const paused = await act(tf, run, 'pause');
    if (!paused) return;
    await delay(run.pauseForMs);
    await act(tf, run, 'resume');
  } else {
    const cancelled = await act(tf, run, 'cancel');
    if (!cancelled) run.expectedEnd = await endedAs(tf, run.id);
  }
}

/** Sends one control action; resolves to whether the run took it. */
async function act(tf, run, action) {
  const requestId = `${run.id}:${action}`;
  const sent = { action, at: Date.now() };
  run.actions.push(sent);
  try {
    const ack = await retrying(() => tf[action](run.id, { requestId, reason: 'chaos', by: 'chaos' }), named('ActionRefusedError', 'RunNotFoundError'));
    sent.ack = ack.state;
    return true;
  } catch (err) {
    sent.refused = err.reason ?? err.message;
    return false;
  }
}

/** The state a run ended in, waiting for it to end (a cancel was refused because it had ended, or was ending). */
async function endedAs(tf, id) {
  const until = Date.now() + RETRY_FOR_MS;
  while (Date.now() < until) {
    try {
      const state = await tf.getState(id);
      if (state === 'completed' || state === 'failed' || state === 'cancelled') return state;
    } catch {
      // server restarting
    }
    await delay(1000);
  }
  return 'completed';
}
