// The consumer project's own jest test, written as a team would with `tapflow/testing`: its
// activities run in a worker on Temporal's time-skipping test server (TAPFLOW_TEST_SERVER_BIN).
'use strict';
const { createTestEnvironment } = require('tapflow/testing');
const { chain, pipeline, step, isTapflowError } = require('tapflow');
const activities = require('./activities');

let env;
beforeAll(async () => {
  env = await createTestEnvironment({ activities });
}, 120000);
afterAll(() => env?.teardown());

test('a pipeline of this project\'s activities doubles and sums the input', async () => {
  const spec = pipeline('consumer-jest', chain(step('load', 'loadNumbers'), step('double', 'double'), step('total', 'total')));
  expect(await env.run(spec, { input: { numbers: [1, 2, 3, 4] } })).toEqual({ total: { total: 20, by: 'consumer-activities' } });
});

test('an invalid spec is refused before anything starts', async () => {
  const err = await env.run({ name: 'broken', nodes: [{ id: 'a', activity: 'double', needs: ['missing'] }] }).catch((e) => e);
  expect(isTapflowError(err, 'invalid_spec')).toBe(true);
});
