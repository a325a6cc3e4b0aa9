/**
 * Jest setup: every Temporal client connection the tests make (the test environments' too) uses
 * tapflow's closed-channel-safe retry, as `TapflowClient.connect` does. Without it, a call still
 * retrying when a test file tears its server down (the connection closed first) fires after the
 * close and throws inside a timer, failing whichever test file runs next in that jest worker.
 */
import { Connection } from '@temporalio/client';
import { closedChannelSafeRetryInterceptor } from '../../src/control/closed-channel-retry';

const connect = Connection.connect.bind(Connection);
Connection.connect = ((options: Parameters<typeof Connection.connect>[0] = {}) =>
  connect({ interceptors: [closedChannelSafeRetryInterceptor()], ...options })) as typeof Connection.connect;
