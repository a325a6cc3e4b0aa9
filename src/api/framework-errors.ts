/**
 * The answers Fastify gives before a route runs, in the API's error shape (`{ error: { code,
 * message } }`) rather than Fastify's own (`{ error: "Bad Request", statusCode }`): a URL that
 * does not decode, a path parameter past the router's length, and a request Node's HTTP parser
 * refuses (headers over its 16 kB limit, a malformed request line). The router's parameter limit
 * is raised so that every run id the API takes (up to 1,000 characters, percent-encoded up to
 * three times that) reaches its route, whose schema then says what is wrong.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { HttpError } from './http-errors';

/** Longest path parameter the router passes on, raw: a 1,000-character run id, every character percent-encoded. */
export const MAX_PARAM_LENGTH = 3 * 1000;

/** `frameworkErrors`: a bad URL is 400, a path parameter past {@link MAX_PARAM_LENGTH} is 414. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const http =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new HttpError(414, 'too_large', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`)
      : new HttpError(400, 'invalid_request', err.code === 'FST_ERR_BAD_URL' ? 'the URL does not decode: a malformed percent-encoding' : err.message);
  void reply.code(http.status).send(http.body());
}

/**
 * `clientErrorHandler`: what Node's HTTP parser refused, answered in the API's shape (431 for
 * headers too large, 408 for a request too slow, else 400), then the connection closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const http =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpError(431, 'too_large', 'the request headers (the URL and query string among them) are over 16 kB')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new HttpError(408, 'timeout', 'the request took too long to arrive')
        : new HttpError(400, 'invalid_request', 'the request is not valid HTTP');
  const body = JSON.stringify(http.body());
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${http.status} ${STATUS_CODES[http.status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** The Fastify options that route these answers here. */
export const frameworkErrorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'routerOptions'> = {
  frameworkErrors,
  clientErrorHandler,
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
};
