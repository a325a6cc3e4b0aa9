/**
 * Refuses control characters in a request's path parameters and query string, on every route
 * (new ones included): 400 with the parameter named. The NUL character (`%00`) is the one that
 * matters most: PostgreSQL refuses it in text, so a run id or tag holding one would fail the
 * store's query with an internal error rather than say what is wrong. No run id, node id, event
 * name, pipeline name, tag or cursor the API hands out holds a control character.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, type RequestProblem } from './http-errors';

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex -- finds control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The problems of a request's path parameters and query string: each value holding a control character. */
export function controlCharacterProblems(request: Pick<FastifyRequest, 'params' | 'query'>): RequestProblem[] {
  const problems: RequestProblem[] = [];
  for (const [where, values] of [['params', request.params], ['query', request.query]] as const) {
    if (typeof values !== 'object' || values === null) continue;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const texts = Array.isArray(value) ? value : [value];
      if (texts.some((t) => typeof t === 'string' && CONTROL.test(t))) {
        problems.push({ path: `${where}.${name}`, message: 'must not contain control characters' });
      }
    }
  }
  return problems;
}

/** Adds the check to `app` (a `preValidation` hook, so it runs after the token is checked). */
export function registerRequestTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problems = controlCharacterProblems(request);
    if (problems.length > 0) {
      throw new HttpError(400, 'invalid_request', `invalid request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    }
  });
}
