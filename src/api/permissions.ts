/**
 * Who may do what through the HTTP API. A bearer token stands for a {@link Principal}: a name and
 * grants, each naming a pipeline (or `*`, every pipeline) and the actions allowed on it. The API
 * asks {@link allows} (or an application's own {@link PermissionHook}) before every action, the
 * deciding per pipeline and per action.
 *
 * Actions:
 * - `read`: status, list and search, children, history, the event streams;
 * - `start`: start a run of the pipeline;
 * - `control`: pause, resume, cancel, retry, skip, edit, rerun, send an event;
 * - `admin`: everything above, and pushing the pipeline's versions to the registry (`PUT /api/pipelines/:name`).
 *
 * Pure: no I/O.
 */

import type { ApiAction, Grant } from '../core/grants';

export { API_ACTIONS, type ApiAction, type Grant } from '../core/grants';


/** Whom a token stands for. */
export interface Principal {
  /** The token's public id (never the secret). */
  tokenId: string;
  /** The name it was created with: a person or a service. */
  name: string;
  grants: Grant[];
}

/** Turns a bearer token into its principal; `undefined` for a token that is unknown or revoked. */
export interface TokenVerifier {
  verify(bearer: string): Promise<Principal | undefined>;
}

/** What a permission check is asked. `pipeline` is undefined for actions on no single pipeline (a search). */
export interface PermissionRequest {
  principal: Principal;
  action: ApiAction;
  pipeline: string | undefined;
  /** The route, as registered (`POST /api/runs/:id/pause`), for hooks that decide by route. */
  route: string;
  /** The run acted on, when there is one. */
  runId?: string;
}

/**
 * An application's own permission check, used instead of {@link allows}. Return true to allow.
 * It may call `allows` for the default rule and add its own.
 */
export type PermissionHook = (request: PermissionRequest) => boolean | Promise<boolean>;

/**
 * The default rule: a grant allows an action on a pipeline when it names the pipeline (or `*`) and
 * lists the action, or `admin`. An action on no single pipeline (a search over all) needs a `*`
 * grant; searches over one pipeline name it.
 */
export function allows(principal: Principal, action: ApiAction, pipeline: string | undefined): boolean {
  return principal.grants.some(
    (g) => (g.pipeline === '*' || (pipeline !== undefined && g.pipeline === pipeline)) && (g.actions.includes(action) || g.actions.includes('admin')),
  );
}

/** The pipelines a principal may `read` (`'*'` for every one): a search is limited to them. */
export function readablePipelines(principal: Principal): '*' | string[] {
  const names = new Set<string>();
  for (const g of principal.grants) {
    if (!g.actions.includes('read') && !g.actions.includes('admin')) continue;
    if (g.pipeline === '*') return '*';
    names.add(g.pipeline);
  }
  return [...names];
}
