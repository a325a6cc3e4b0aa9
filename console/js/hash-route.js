/**
 * The page's address lives in the URL hash, so a view (a filtered runs table, one run) can be
 * linked and the back button works: `#/runs?pipeline=P&state=S&tag=T&user=U` and `#/runs/<id>`.
 * @module hash-route
 */

/** The filters of the runs table, in the order the form shows them. */
export const FILTER_KEYS = ['pipeline', 'state', 'tag', 'user'];

/**
 * @typedef {{ pipeline?: string, state?: string, tag?: string, user?: string }} RunFilters
 * @typedef {{ view: 'runs', filters: RunFilters } | { view: 'run', id: string }} Route
 */

/**
 * The route a hash names; anything else is the runs table without filters.
 * @param {string} hash e.g. `location.hash`
 * @returns {Route}
 */
export function parseRoute(hash) {
  const path = hash.replace(/^#/, '');
  const run = /^\/runs\/(.+)$/.exec(path.split('?')[0] ?? '');
  if (run) {
    try {
      return { view: 'run', id: decodeURIComponent(run[1]) };
    } catch {
      return { view: 'run', id: run[1] };
    }
  }
  const query = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  /** @type {RunFilters} */
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = query.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return { view: 'runs', filters };
}

/**
 * The hash of the runs table with these filters (blank ones left out).
 * @param {RunFilters} [filters]
 */
export function runsHash(filters = {}) {
  const query = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) query.set(key, filters[key]);
  const text = query.toString();
  return `#/runs${text ? `?${text}` : ''}`;
}

/**
 * The hash of a run's page.
 * @param {string} id
 */
export function runHash(id) {
  return `#/runs/${encodeURIComponent(id)}`;
}
