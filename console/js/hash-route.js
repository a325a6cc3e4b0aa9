/**
 * The page's address lives in the URL hash, so a view (a filtered runs table, one run, the
 * schedules, one schedule) can be linked and the back button works:
 * `#/runs?pipeline=P&state=S&tag=T&user=U`, `#/runs/<id>`, `#/schedules` and `#/schedules/<id>`.
 * @module hash-route
 */

/** The filters of the runs table, in the order the form shows them. */
export const FILTER_KEYS = ['pipeline', 'state', 'tag', 'user'];

/**
 * @typedef {{ pipeline?: string, state?: string, tag?: string, user?: string }} RunFilters
 * @typedef {{ view: 'runs', filters: RunFilters } | { view: 'run', id: string } | { view: 'schedules' } | { view: 'schedule', id: string }} Route
 */

/** An id from the path, unescaped (as it is when it cannot be). @param {string} text */
function idOf(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The route a hash names; anything else is the runs table without filters.
 * @param {string} hash e.g. `location.hash`
 * @returns {Route}
 */
export function parseRoute(hash) {
  const path = hash.replace(/^#/, '');
  const route = path.split('?')[0] ?? '';
  const run = /^\/runs\/(.+)$/.exec(route);
  if (run) return { view: 'run', id: idOf(run[1]) };
  const schedule = /^\/schedules\/(.+)$/.exec(route);
  if (schedule) return { view: 'schedule', id: idOf(schedule[1]) };
  if (/^\/schedules\/?$/.test(route)) return { view: 'schedules' };
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

/** The hash of the schedules table. */
export function schedulesHash() {
  return '#/schedules';
}

/**
 * The hash of a schedule's page.
 * @param {string} id
 */
export function scheduleHash(id) {
  return `#/schedules/${encodeURIComponent(id)}`;
}
