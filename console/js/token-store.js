/**
 * The operator's API token, kept in sessionStorage: it lasts while the tab is open and is not
 * shared with other tabs or kept after the browser closes.
 * @module token-store
 */

const KEY = 'tapflow.console.token';

/** @returns {string | undefined} the token, when one was given in this tab. */
export function readToken() {
  try {
    return sessionStorage.getItem(KEY) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps `token` for this tab (a blank one forgets it).
 * @param {string} token
 */
export function saveToken(token) {
  const value = token.trim();
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** Forgets the token. */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
}
