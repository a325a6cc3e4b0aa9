// The consumer project's own activities: what a team writes. Each takes tapflow's one call
// object ({ input, params, upstream, node }) and returns the node's output.
'use strict';

/**
 * Returns the run's numbers after two seconds, so a test can pause the run while it works (two:
 * room for the pause to arrive before it ends, on a busy CI machine).
 */
async function loadNumbers({ params }) {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return params.numbers;
}

/** Doubles the numbers of the node before it (or the run's, when it is the first node). */
async function double({ params, upstream }) {
  const [numbers] = Object.values(upstream);
  return (numbers ?? params.numbers).map((n) => n * 2);
}

/** Sums the numbers of the node before it, signed so a test knows this project computed it. */
async function total({ upstream }) {
  const [numbers] = Object.values(upstream);
  return { total: numbers.reduce((sum, n) => sum + n, 0), by: 'consumer-activities' };
}

module.exports = { loadNumbers, double, total };
