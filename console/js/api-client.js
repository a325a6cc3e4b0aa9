/**
 * Calls to the tapflow HTTP API with the operator's bearer token. Replies are JSON; an error
 * reply (`{ error: { code, message } }`) becomes an {@link ApiError} with its status, so a
 * caller can show a 409's reason inline and main.js can explain a 401 or 403.
 * @module api-client
 */

/** An answer other than 2xx, or no answer at all (`status` 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the API could not be reached
   * @param {string} code the API's error code (`unauthorized`, `forbidden`, `conflict`, ...)
   * @param {string} message one line for a person
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** Whether the token is missing or refused (the page asks for another). */
  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * The error an unsuccessful response stands for.
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
export async function errorOf(res) {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`.trim();
  try {
    const body = await res.json();
    if (body && typeof body.error === 'object' && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  return new ApiError(res.status, code, message);
}

/**
 * A client of the API at `baseUrl` (default: this page's origin).
 * @param {{ token: () => string | undefined, baseUrl?: string }} options
 */
export function createApiClient({ token, baseUrl = '' }) {
  /** Headers of every call: the bearer token when there is one. */
  function headers(extra = {}) {
    const t = token();
    return { Accept: 'application/json', ...(t ? { Authorization: `Bearer ${t}` } : {}), ...extra };
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async function request(method, path, body) {
    let res;
    try {
      res = await fetch(baseUrl + path, {
        method,
        headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(0, 'network', `cannot reach the tapflow API (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!res.ok) throw await errorOf(res);
    return res.status === 204 ? null : res.json();
  }

  return {
    headers,
    baseUrl,
    /** @param {string} path */
    get: (path) => request('GET', path),
    /** @param {string} path @param {unknown} [body] */
    post: (path, body = {}) => request('POST', path, body),
  };
}

/**
 * `/api/runs/<id>` with the id escaped (ids may hold `/`, as a child run's `<run>/<node>` does).
 * @param {string} id
 * @param {string} [rest] e.g. `/pause`
 */
export function runPath(id, rest = '') {
  return `/api/runs/${encodeURIComponent(id)}${rest}`;
}

/**
 * `/api/schedules/<id>` with the id escaped.
 * @param {string} id
 * @param {string} [rest] e.g. `/pause`
 */
export function schedulePath(id, rest = '') {
  return `/api/schedules/${encodeURIComponent(id)}${rest}`;
}
