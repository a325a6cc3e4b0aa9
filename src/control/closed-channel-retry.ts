/**
 * Temporal's gRPC retry, safe against a closed connection.
 *
 * The Temporal client retries a failed call (the server unavailable, say) after a delay, with a
 * timer that `Connection.close()` does not clear. When the timer fires after the connection was
 * closed, gRPC refuses to make the call by throwing inside the timer, where nothing can catch it:
 * the process dies with "Channel has been shut down" (a command that has finished its work, a
 * server shutting down, a test tearing its server down). This interceptor is Temporal's own retry
 * (`makeGrpcRetryInterceptor(defaultGrpcRetryOptions())`, what a connection uses by default),
 * given a next call that, on a closed channel, ends the call as cancelled instead of throwing: the
 * caller's promise is rejected, and nothing else happens.
 */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/** A gRPC client interceptor, as the Temporal client takes them (`ConnectionOptions.interceptors`). */
export type GrpcInterceptor = ReturnType<typeof makeGrpcRetryInterceptor>;
type NextCall = Parameters<GrpcInterceptor>[1];
type Call = ReturnType<NextCall>;

/** gRPC's status code CANCELLED: not retried, so the call ends at once. */
const CANCELLED = 1;

/** See the module comment. Give it as a connection's only interceptor, or with your own. */
export function closedChannelSafeRetryInterceptor(): GrpcInterceptor {
  const retrying = makeGrpcRetryInterceptor(defaultGrpcRetryOptions());
  return (options, nextCall) => {
    // The first attempt is made inside the caller's call, where a throw rejects it as it should:
    // only the retries, made from a timer, are guarded.
    let attempts = 0;
    return retrying(options, (callOptions) => {
      attempts += 1;
      if (attempts === 1) return nextCall(callOptions);
      try {
        return nextCall(callOptions);
      } catch (err) {
        if (!isClosedChannel(err)) throw err;
        return endedCall((err as Error).message);
      }
    });
  };
}

function isClosedChannel(err: unknown): boolean {
  return err instanceof Error && /Channel has been shut down/i.test(err.message);
}

/** A call that never reaches the wire: it ends, cancelled, as soon as it is started. */
function endedCall(details: string): Call {
  const noop = (): void => undefined;
  const call = {
    start(metadata: unknown, listener: { onReceiveStatus?: (status: unknown) => void }) {
      queueMicrotask(() => listener.onReceiveStatus?.({ code: CANCELLED, details, metadata }));
    },
    sendMessage: noop,
    sendMessageWithContext: noop,
    startRead: noop,
    halfClose: noop,
    cancelWithStatus: noop,
    getPeer: () => '',
    setCredentials: noop,
    getAuthContext: () => null,
  };
  return call as unknown as Call;
}
