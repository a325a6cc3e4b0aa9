// The chaos run's report for people: the counts that must be zero, each fault and how long it
// took to recover from, and the first problems found. (The JSON line after it is for scripts.)
import { table } from '../bench/common.mjs';

const s = (ms) => (ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** Prints the report of a chaos run. */
export function printReport({ summary, recovery, ledgerCheck, findings, plan, scenarios = [], localSteps = [] }) {
  console.log('');
  console.log('runs');
  table(
    ['', 'count', 'target'],
    [
      ['runs planned / started', `${summary.runs} / ${summary.started}`, ''],
      ...Object.entries(summary.ends).map(([state, n]) => [`  ended ${state}`, n, '']),
      ['lost (Temporal has no record, or never started)', summary.lost, 0],
      ['stuck (not ended once the faults were over)', summary.stuck, 0],
      ['ended otherwise than planned', summary.wrongEnd, 0],
      ['store state differs from Temporal', summary.storeMismatches, 0],
      ['side effects applied twice', summary.doubled, 0],
      ['side effects missing from a completed run', summary.effectsLost, 0],
      ['completed nodes with no completed attempt in the store', summary.attemptsMissing, 0],
      ['drained workers that left a node unfinished or exited non-zero', summary.drainsUnclean, 0],
      ['concurrency scenarios failed', summary.concurrencyFailed, 0],
      ['local-step scenarios failed', summary.localStepsFailed, 0],
      ['node executions (a retry counts again)', summary.executions, ''],
      ['nodes that ran more than once', summary.nodesRunAgain, ''],
      ['workers that exited on their own', summary.workerUnexpectedExits, ''],
    ],
  );
  console.log('');
  console.log(`faults (recovery target after a worker kill: heartbeat timeout + 2 s = ${s(summary.recovery.targetMs)})`);
  table(
    ['fault', 'at', 'what', 'recovered in'],
    recovery.map((f, i) => {
      const at = s(f.at - recovery[0].at);
      if (f.kind === 'worker-kill') {
        return [`${i + 1}. worker SIGKILL`, at, `${f.inFlight} node(s) in flight${f.unrecovered ? `, ${f.unrecovered} never ran again` : ''}`, s(f.recoveryMs)];
      }
      if (f.kind === 'server-restart') return [`${i + 1}. server ${f.how === 'kill' ? 'SIGKILL' : 'stop'}`, at, `down ${s(f.downMs)}`, `next node ${s(f.recoveryMs)}`];
      if (f.kind === 'postgres-stop') return [`${i + 1}. PostgreSQL stop`, at, `down ${s(f.downMs)}`, `next effect ${s(f.recoveryMs)}`];
      return [`${i + 1}. worker SIGTERM`, at, `${f.finishedInFlight}/${f.inFlight} in flight finished, exit ${f.exitCode}`, `drained ${s(f.drainMs)}`];
    }),
  );
  const node = summary.recovery.killedNode;
  if (node.n > 0) {
    console.log(`  each of the ${node.n} nodes in flight on a killed worker ran again elsewhere after: p50 ${s(node.p50)}, p90 ${s(node.p90)}, max ${s(node.max)}` +
      ` (${node.overTarget} over ${s(summary.recovery.targetMs)})`);
  }
  const moved = summary.recovery.runMovedOn;
  if (moved.n > 0) {
    console.log(`  their runs started their next node after the retry finished: p50 ${s(moved.p50)}, p90 ${s(moved.p90)}, max ${s(moved.max)} (${moved.n} nodes)`);
  }
  if (scenarios.length > 0) {
    console.log('');
    console.log('concurrency scenarios (chaos/concurrency.mjs)');
    table(['scenario', 'result', 'time'], scenarios.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', s(c.seconds * 1000)]));
    for (const c of scenarios) console.log(`  ${c.name}: ${c.outcome ?? '-'}`);
  }
  if (localSteps.length > 0) {
    console.log('');
    console.log('local-step scenarios (chaos/local-steps.mjs)');
    table(['scenario', 'result', 'time'], localSteps.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', s(c.seconds * 1000)]));
    for (const c of localSteps) console.log(`  ${c.name}: ${c.outcome ?? '-'}`);
  }
  const problems = [
    ...ledgerCheck.problems,
    ...scenarios.flatMap((c) => c.problems.map((p) => `concurrency ${c.name}: ${p}`)),
    ...localSteps.flatMap((c) => c.problems.map((p) => `local-steps ${c.name}: ${p}`)),
  ];
  for (const run of plan) {
    const f = findings.get(run.id);
    if (!run.started) problems.push(`${run.id}: never started (${run.startError})`);
    else if (f.temporal !== run.expectedEnd) problems.push(`${run.id} (${run.pipeline.spec.name}): ${f.temporal} in Temporal, expected ${run.expectedEnd}; store: ${f.store}`);
    else if (f.store !== f.temporal) problems.push(`${run.id}: ${f.temporal} in Temporal, ${f.store} in the store`);
  }
  if (problems.length > 0) {
    console.log('');
    console.log(`problems (${problems.length}${problems.length > 20 ? ', the first 20' : ''})`);
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
  }
  console.log('');
  console.log(summary.ok ? 'chaos: every count that must be zero is zero' : 'chaos: FAILED: see the counts and problems above');
}
