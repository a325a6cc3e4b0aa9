/**
 * A call still retrying when its connection closes ends, rejected, instead of crashing the
 * process: a long poll for a run's result is in flight, the connection is closed and the server
 * goes away, so the call fails with UNAVAILABLE and comes due for a retry on a closed channel.
 * Temporal's own retry throws "Channel has been shut down" from its timer there (an uncaught
 * exception, which fails this file); tapflow's ends the call cancelled.
 */
import { Client, Connection } from '@temporalio/client';
import { closedChannelSafeRetryInterceptor } from '../../src/control/closed-channel-retry';
import { devServerEnv } from '../helpers/temporal';

test('a retry that comes due after the connection closed rejects the call and throws nowhere', async () => {
  const env = await devServerEnv();
  const connection = await Connection.connect({ address: env.address, interceptors: [closedChannelSafeRetryInterceptor()] });
  const client = new Client({ connection });
  // No worker polls this queue: the run never ends, and its result is a long poll.
  const handle = await client.workflow.start('nobodyHostsThis', { workflowId: 'closed-channel', taskQueue: 'closed-channel-nobody' });
  const outcome = handle.result().then(
    () => 'completed',
    (err: Error & { cause?: Error }) => `${err.message}: ${err.cause?.message ?? ''}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await connection.close();
  await env.teardown();
  // Retries come due within seconds; each must end the call rather than throw from its timer.
  expect(await outcome).toBe('Failed to get Workflow execution history: 1 CANCELLED: Channel has been shut down');
  await new Promise((resolve) => setTimeout(resolve, 2000));
});
