import { MockActivityEnvironment } from '@temporalio/testing';
import { localStepHeartbeats } from '../../src/activities/local-step-heartbeats';

/** The heartbeats an attempt with `isLocal` sends once the interceptor has seen its context. */
function heartbeatsSent(isLocal: boolean): unknown[] {
  const env = new MockActivityEnvironment({ isLocal });
  const sent: unknown[] = [];
  env.on('heartbeat', (d: unknown) => sent.push(d));
  localStepHeartbeats()(env.context);
  env.context.heartbeat({ at: 1 });
  env.context.heartbeat({ at: 2 });
  return sent;
}

test("a local attempt's heartbeats are dropped before they reach the core", () => {
  expect(heartbeatsSent(true)).toEqual([]);
});

test("an ordinary attempt's heartbeats go through", () => {
  expect(heartbeatsSent(false)).toEqual([{ at: 1 }, { at: 2 }]);
});
