/**
 * What a grant allows: the actions of the HTTP API and a grant of some of them on a pipeline.
 * Declared here because both the API (deciding) and the store (keeping tokens' grants) use them.
 */

/** What a route does, for the permission check. */
export type ApiAction = 'read' | 'start' | 'control' | 'admin';

/** Every action, least to most. */
export const API_ACTIONS: readonly ApiAction[] = ['read', 'start', 'control', 'admin'];

/** Actions allowed on one pipeline, or on every pipeline (`*`). */
export interface Grant {
  /** A pipeline name, or `*` for every pipeline. */
  pipeline: string;
  actions: ApiAction[];
}
