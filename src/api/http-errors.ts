/**
 * How the API answers when something goes wrong: one JSON shape, `{ error: { code, message,
 * problems? } }`, and the status that says whose fault it is. The client's errors map onto it:
 * an unknown run is 404, an action the run refuses (or a run id taken) is 409, bad input is 400
 * with every problem and where it is.
 */
import type { FastifyError } from 'fastify';
import { ActionRefusedError, isTapflowError, meaningOf } from '../core/errors';
import { InvalidSpecError } from '../core/validate';

/** One problem of a request, and where in it (`body.spec.nodes[1].needs`, `query.limit`). */
export interface RequestProblem {
  path: string;
  message: string;
}

/** The body of every error reply. */
export interface ErrorBody {
  error: {
    /** A stable word for scripts: `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid_request`, `too_large`, `unavailable`, `internal` */
    code: string;
    /** One line for a person. */
    message: string;
    problems?: RequestProblem[];
  };
}

/** An error the API answers with `status` and `body`. */
export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly problems?: RequestProblem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** The reply body. */
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.problems ? { problems: this.problems } : {}) } };
  }
}

/** The reply for any error a route throws. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InvalidSpecError) {
    const problems = err.problems.map((p) => ({ path: p.path ? `body.spec.${p.path}` : 'body.spec', message: p.message }));
    return new HttpError(400, 'invalid_request', `invalid pipeline spec: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  }
  if (isValidationError(err)) {
    const problems = (err.validation ?? []).map((v) => ({
      path: problemPath(err.validationContext ?? 'body', v.instancePath, v.params),
      message: v.message ?? 'is not valid',
    }));
    return new HttpError(400, 'invalid_request', `invalid request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  }
  if (isFastifyClientError(err)) {
    const status = err.statusCode ?? 400;
    return new HttpError(status, status === 413 ? 'too_large' : 'invalid_request', err.message);
  }
  if (isTapflowError(err)) {
    const { httpStatus, httpCode } = meaningOf(err.code);
    // A refusal is the run's own words; the id is in the path already.
    // One line, as every reply's message is (several problems are joined).
    const message = (err.code === 'action_refused' ? ((err as ActionRefusedError).reason ?? err.message) : err.message).replace(/\n/g, '; ');
    // A 500 says nothing of the inside (paths, hosts) to a caller; the API log has it.
    if (httpStatus < 500 || httpCode === 'unavailable') return new HttpError(httpStatus, httpCode, message);
  }
  return new HttpError(500, 'internal', 'internal error; see the API log');
}

function isValidationError(err: unknown): err is FastifyError {
  return typeof err === 'object' && err !== null && Array.isArray((err as FastifyError).validation);
}

function isFastifyClientError(err: unknown): err is FastifyError {
  const status = (err as FastifyError | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** `body.spec.name`, from ajv's instance path (`/spec/name`) and, for a missing property, its name. */
function problemPath(where: string, instancePath: string, params: Record<string, unknown>): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof params.missingProperty === 'string') parts.push(params.missingProperty);
  if (typeof params.additionalProperty === 'string') parts.push(params.additionalProperty);
  return [where, ...parts].map((p, i) => (i > 0 && /^\d+$/.test(p) ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}
