/**
 * The console's shell: the token field, the view the URL hash names (the runs table, a run's
 * page, the schedules table or a schedule's page), the main navigation, the live indicator, the banner that explains a missing or refused token, and the
 * keyboard shortcuts. Each view is mounted fresh on a change of hash and unmounted (its streams
 * closed) when it is left.
 * @module main
 */
import { ApiError, createApiClient } from './api-client.js';
import { showHelp } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { handlesEnter, createShortcuts } from './shortcuts.js';
import { parseRoute, runsHash, schedulesHash } from './hash-route.js';
import { mountRunsView } from './runs-table.js';
import { mountRunView } from './run-page.js';
import { mountScheduleView } from './schedule-page.js';
import { POLL_MS } from './schedule-parts.js';
import { mountSchedulesView } from './schedules-view.js';
import { forgetToken, readToken, saveToken } from './token-store.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const banner = /** @type {HTMLElement} */ (document.getElementById('banner'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
const tokenForm = /** @type {HTMLFormElement} */ (document.getElementById('token-form'));
const tokenInput = /** @type {HTMLInputElement} */ (document.getElementById('token-input'));
const tokenState = /** @type {HTMLElement} */ (document.getElementById('token-state'));

const api = createApiClient({ token: readToken });
const shortcuts = createShortcuts();
let view;
let lastRunsHash = runsHash({});

const CREATE_TOKEN = "npx tapflow token create --name NAME --grant '*:read+control'";

/** Shows what went wrong above the view; a 401 or 403 says what to do about the token. */
function showError(err) {
  if (!err) return;
  let text;
  if (err instanceof ApiError && err.status === 401) text = `A token is needed: paste one in the Token field above (create one with: ${CREATE_TOKEN}).`;
  else if (err instanceof ApiError && err.status === 403) text = `The token was refused (403): ${err.message}. Use another token, or one with more grants (${CREATE_TOKEN}).`;
  else if (err instanceof ApiError && err.status === 404) text = `Not found: ${err.message}.`;
  else text = err instanceof Error ? err.message : String(err);
  banner.dataset.status = err instanceof ApiError ? String(err.status) : '';
  replaceChildren(banner, h('p', {}, text));
  banner.hidden = false;
  if (err instanceof ApiError && err.isAuth) tokenInput.setAttribute('aria-invalid', 'true');
}

function clearError() {
  banner.hidden = true;
  banner.dataset.status = '';
  replaceChildren(banner);
}

const LIVE_TEXT = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'ended', failed: 'not live', polling: `read every ${POLL_MS / 1000} s` };
let connects = 0;
/** The live indicator: whether the view's event stream is open. */
function showLive(state) {
  if (state === 'open') connects += 1;
  live.dataset.state = state;
  live.dataset.connects = String(connects);
  live.textContent = LIVE_TEXT[state] ?? state;
}

function showTokenState() {
  const has = Boolean(readToken());
  tokenState.textContent = has ? 'token set for this tab' : 'no token';
  tokenState.dataset.set = String(has);
  tokenInput.placeholder = has ? '•••••••• (set)' : 'tf_…';
}

/** Marks the main navigation's link to the view shown (`aria-current`). @param {string} view */
function showNav(view) {
  const section = view === 'schedules' || view === 'schedule' ? 'schedules' : 'runs';
  for (const a of document.querySelectorAll('nav[aria-label="Main"] a[data-nav]')) {
    if (a instanceof HTMLElement && a.dataset.nav === section) a.setAttribute('aria-current', view === section ? 'page' : 'true');
    else a.removeAttribute('aria-current');
  }
}

/** Whether a key was pressed in the runs table (arrows then move the selection instead of scrolling). */
const inTable = (ev) => ev.target instanceof Element && ev.target.closest('#runs-table') !== null;

function mount() {
  view?.unmount();
  view = undefined;
  connects = 0;
  shortcuts.unbind('view');
  clearError();
  const route = parseRoute(location.hash);
  showNav(route.view);
  if (!readToken()) {
    replaceChildren(main, h('h1', { tabindex: -1, id: 'view-title' }, 'tapflow console'), h('p', {}, 'Paste an API token in the Token field above to see your runs.'), h('p', {}, 'Create one with ', h('code', {}, CREATE_TOKEN), ', then press Enter.'));
    showLive('failed');
    live.textContent = 'no token';
    tokenInput.focus();
    return;
  }
  const deps = { api, onError: showError, onLive: showLive };
  if (route.view === 'schedules') {
    view = mountSchedulesView(main, { ...deps, onRecovered: clearError });
  } else if (route.view === 'schedule') {
    const page = mountScheduleView(main, { ...deps, id: route.id, onRecovered: clearError });
    view = page;
    shortcuts.bind('view', 'On a schedule', [
      { keys: ['p'], description: 'Pause the schedule (asks for a note)', run: () => page.pause() },
      { keys: ['u'], description: 'Unpause the schedule', run: () => page.unpause() },
    ]);
  } else if (route.view === 'run') {
    const page = mountRunView(main, { ...deps, id: route.id, backHash: lastRunsHash });
    view = page;
    shortcuts.bind('view', 'On a run', [
      { keys: ['p'], description: 'Pause the run', run: () => page.pause() },
      { keys: ['r'], description: 'Resume the run', run: () => page.resume() },
      { keys: ['c'], description: 'Cancel the run (asks first)', run: () => page.cancel() },
      { keys: ['e'], description: 'Go to the event field', run: () => document.getElementById('event-name')?.focus() },
    ]);
  } else {
    lastRunsHash = runsHash(route.filters);
    const table = mountRunsView(main, { ...deps, filters: route.filters });
    view = table;
    shortcuts.bind('view', 'Runs table', [
      { keys: ['/'], description: 'Go to the filters', run: () => table.focusFilter() },
      { keys: ['j'], description: 'Next run (also ↓ in the table)', run: () => table.move(1) },
      { keys: ['k'], description: 'Previous run (also ↑ in the table)', run: () => table.move(-1) },
      { keys: ['ArrowDown'], description: '', run: () => table.move(1), when: inTable },
      { keys: ['ArrowUp'], description: '', run: () => table.move(-1), when: inTable },
      { keys: ['Enter'], description: 'Open the selected run', run: () => table.openSelected(), when: (ev) => !handlesEnter(ev.target) },
    ]);
  }
  // Where a keyboard or screen reader user lands after a change of view.
  document.getElementById('view-title')?.focus({ preventScroll: true });
}

tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  saveToken(tokenInput.value);
  tokenInput.value = '';
  tokenInput.removeAttribute('aria-invalid');
  showTokenState();
  mount();
});
document.getElementById('token-forget')?.addEventListener('click', () => {
  forgetToken();
  showTokenState();
  mount();
});
const help = () => void showHelp(shortcuts.groups());
document.getElementById('help-button')?.addEventListener('click', help);

shortcuts.bind('global', 'Anywhere', [
  { keys: ['?'], description: 'Show these shortcuts', run: help },
  { keys: ['g'], description: 'Go to the runs table', run: () => { location.hash = lastRunsHash; } },
  { keys: ['s'], description: 'Go to the schedules', run: () => { location.hash = schedulesHash(); } },
  { keys: ['t'], description: 'Go to the token field', run: () => tokenInput.focus() },
]);

window.addEventListener('hashchange', mount);
if (!location.hash) history.replaceState(null, '', runsHash({}));
showTokenState();
mount();
