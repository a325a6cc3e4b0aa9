/**
 * Authentication and the permission check of every API route. A route that needs a token says
 * which action it is (`config.action`); the `onRequest` hook then requires
 * `Authorization: Bearer <token>` (none: 401) and a token the verifier knows (an unknown or
 * revoked one: 403). The route itself asks {@link Gate.check} once it knows the pipeline, since
 * for a run that means looking the run up.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors';
import { allows, type ApiAction, type PermissionHook, type Principal, type TokenVerifier } from './permissions';

declare module 'fastify' {
  interface FastifyRequest {
    /** Whom the request's token stands for (set on every route that needs a token). */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The action the route takes; routes without one are public (health, the OpenAPI document). */
    action?: ApiAction;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Permission checks for the routes. */
export class Gate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly hook?: PermissionHook,
  ) {}

  /** The `onRequest` hook: authenticates requests to routes that take an action. */
  readonly authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!request.routeOptions.config?.action) return;
    const bearer = bearerOf(request.headers.authorization);
    if (!bearer) {
      void reply.header('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'a token is required: send "Authorization: Bearer <token>" (create one with "tapflow token create")');
    }
    let principal: Principal | undefined;
    try {
      principal = await this.verifier.verify(bearer);
    } catch (err) {
      request.log.error({ err }, 'token check failed');
      throw new HttpError(503, 'unavailable', 'cannot check the token now: the token store did not answer; try again');
    }
    if (!principal) throw new HttpError(403, 'forbidden', 'the token is not valid: unknown or revoked');
    request.principal = principal;
  };

  /**
   * Allows the request's `action` on `pipeline` (undefined: no single pipeline), or throws 403.
   *
   * @throws {HttpError} 403 when the principal may not.
   */
  async check(request: FastifyRequest, action: ApiAction, pipeline: string | undefined, runId?: string): Promise<Principal> {
    const principal = request.principal;
    if (!principal) throw new HttpError(401, 'unauthorized', 'a token is required');
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const allowed = this.hook
      ? await this.hook({ principal, action, pipeline, route, ...(runId ? { runId } : {}) })
      : allows(principal, action, pipeline);
    if (!allowed) {
      const what = pipeline === undefined ? 'on every pipeline' : `on pipeline "${pipeline}"`;
      throw new HttpError(403, 'forbidden', `token "${principal.name}" may not ${action} ${what}`);
    }
    return principal;
  }

  /**
   * Whether the principal may take `action` on some pipeline at all: checked before a run is
   * looked up, so a token that may do nothing learns nothing about which runs exist.
   */
  mayEver(request: FastifyRequest, action: ApiAction): boolean {
    if (this.hook) return true;
    return (request.principal?.grants ?? []).some((g) => g.actions.includes(action) || g.actions.includes('admin'));
  }
}
