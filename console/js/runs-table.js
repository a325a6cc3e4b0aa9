/**
 * The runs view: filters (pipeline, state, tag, user; kept in the URL hash), and a table of runs
 * newest first: the first page from `GET /api/runs/search`, then kept live by the `run` events
 * of `GET /api/events` (a changed run's row is updated where it is, a new run that matches the
 * filters goes on top). `j`/`k` move the selection, Enter opens the selected run.
 * @module runs-table
 */
import { h, replaceChildren } from './dom.js';
import { formatAgo, formatDateTime } from './format.js';
import { runHash, runsHash } from './hash-route.js';
import { RUN_STATES, STATE_HELP } from './states.js';
import { openEventStream } from './sse-reader.js';

const PAGE = 50;

/**
 * The tags of a filter: comma-separated, blanks dropped.
 * @param {string | undefined} text
 */
export function tagsOf(text) {
  return (text ?? '').split(',').map((t) => t.trim()).filter(Boolean);
}

/**
 * Whether a run's row matches the filters (as the search does: every given filter; all tags).
 * @param {{ pipeline: string, state: string, tags?: string[], userName?: string | null }} row
 * @param {import('./hash-route.js').RunFilters} filters
 */
export function matches(row, filters) {
  if (filters.pipeline && row.pipeline !== filters.pipeline) return false;
  if (filters.state && row.state !== filters.state) return false;
  if (filters.user && row.userName !== filters.user) return false;
  return tagsOf(filters.tag).every((t) => (row.tags ?? []).includes(t));
}

/** The query of a search with these filters. @param {import('./hash-route.js').RunFilters} filters @param {string} [after] */
function searchQuery(filters, after) {
  const q = new URLSearchParams();
  if (filters.pipeline) q.set('pipeline', filters.pipeline);
  if (filters.state) q.set('state', filters.state);
  for (const t of tagsOf(filters.tag)) q.append('tag', t);
  if (filters.user) q.set('user', filters.user);
  q.set('limit', String(PAGE));
  if (after) q.set('after', after);
  return q.toString();
}

/**
 * A state badge: the state's word on its colour.
 * @param {string} state
 */
export function stateBadge(state) {
  return h('span', { class: `badge state-${state}`, title: STATE_HELP[state] ?? '' }, state);
}

/**
 * A progress bar with its count: `completed/total`, and `+N skipped` when nodes were skipped. The
 * bar fills with completed and skipped nodes alike, as the run's percentage counts them (the
 * same number as `tapflow status`, `tapflow list` and the API).
 * @param {{ completed: number, skipped?: number, total: number }} progress
 * @param {string} state colours the bar
 */
export function progressBar({ completed, skipped = 0, total }, state) {
  const most = Math.max(1, total);
  const label = `${completed} of ${total} nodes completed${skipped ? `, ${skipped} skipped` : ''}`;
  const bar = h('progress', { class: `state-${state}`, max: most, value: Math.min(completed + skipped, most), 'aria-label': label });
  return h('span', { class: 'progress' }, bar, h('span', { class: 'progress-text' }, `${completed}/${total}${skipped ? ` +${skipped} skipped` : ''}`));
}

/**
 * Mounts the runs view in `root`.
 * @param {HTMLElement} root
 * @param {{
 *   api: ReturnType<typeof import('./api-client.js').createApiClient>,
 *   filters: import('./hash-route.js').RunFilters,
 *   onError: (err: unknown) => void,
 *   onLive: (state: string, detail?: unknown) => void,
 * }} deps
 * @returns {{ unmount(): void, move(by: number): void, openSelected(): void, focusFilter(): void }}
 */
export function mountRunsView(root, { api, filters, onError, onLive }) {
  /** @type {Map<string, { row: object, tr: HTMLTableRowElement }>} */
  const rows = new Map();
  let selected = -1;
  let next = null;

  const field = (name, label, attrs = {}) =>
    h('div', { class: 'field' }, h('label', { for: `filter-${name}` }, label), h('input', { id: `filter-${name}`, name, type: 'search', value: filters[name] ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs }));
  const stateSelect = h(
    'select',
    { id: 'filter-state', name: 'state' },
    h('option', { value: '' }, 'any state'),
    RUN_STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    field('pipeline', 'Pipeline', { placeholder: 'any', 'aria-keyshortcuts': '/' }),
    h('div', { class: 'field' }, h('label', { for: 'filter-state' }, 'State'), stateSelect),
    field('tag', 'Tags', { placeholder: 'a, b (all of them)' }),
    field('user', 'User', { placeholder: 'anyone' }),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), h('a', { href: runsHash({}), class: 'button secondary' }, 'Clear')),
  );
  const apply = () => {
    const data = new FormData(form);
    location.hash = runsHash(Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v).trim()])));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  stateSelect.addEventListener('change', apply);

  const tbody = h('tbody');
  const count = h('p', { class: 'muted', id: 'runs-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const table = h(
    'table',
    { class: 'runs', id: 'runs-table', 'aria-describedby': 'runs-count' },
    h('caption', { class: 'sr-only' }, 'Runs, newest first; j and k move, Enter opens'),
    h('thead', {}, h('tr', {}, ['Run', 'Pipeline', 'State', 'Progress', 'Tags', 'User', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  replaceChildren(root, h('h1', { tabindex: -1, id: 'view-title' }, 'Runs'), form, count, h('div', { class: 'table-box' }, table), more);

  function cells(row) {
    const created = row.createdAt ?? row.startedAt;
    return [
      h('td', { class: 'run-id' }, h('a', { href: runHash(row.workflowId) }, row.workflowId)),
      h('td', {}, row.pipeline),
      h('td', {}, stateBadge(row.state)),
      h('td', {}, progressBar({ completed: row.progressCompleted ?? 0, skipped: row.progressSkipped ?? 0, total: row.progressTotal ?? 0 }, row.state)),
      h('td', { class: 'tags' }, (row.tags ?? []).map((t) => h('span', { class: 'tag' }, t))),
      h('td', {}, row.userName ?? ''),
      h('td', {}, h('time', { datetime: created, title: formatDateTime(created) }, formatAgo(created))),
    ];
  }

  function put(row, { top = false } = {}) {
    const known = rows.get(row.workflowId);
    if (known) {
      // An event read before the page may be older than the page's row.
      if (row.updatedAt && known.row.updatedAt && new Date(row.updatedAt) < new Date(known.row.updatedAt)) return;
      known.row = row;
      replaceChildren(known.tr, cells(row));
      known.tr.dataset.state = row.state;
      known.tr.classList.remove('changed');
      void known.tr.offsetWidth;
      known.tr.classList.add('changed');
      return;
    }
    const tr = h('tr', { 'data-id': row.workflowId, 'data-state': row.state }, cells(row));
    tr.addEventListener('click', (ev) => {
      if (ev.target instanceof Element && ev.target.closest('a')) return;
      location.hash = runHash(row.workflowId);
    });
    rows.set(row.workflowId, { row, tr });
    if (top) {
      tbody.prepend(tr);
      if (selected >= 0) selected += 1;
    } else tbody.append(tr);
  }

  function showCount() {
    const n = rows.size;
    const empty = tbody.querySelector('.empty');
    if (n === 0 && !empty) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'No runs match these filters.')));
    if (n > 0) empty?.remove();
    count.textContent = `${n} run${n === 1 ? '' : 's'}${next ? ' shown (more below)' : ''}; live.`;
    more.hidden = !next;
  }

  async function load(after) {
    try {
      const page = await api.get(`/api/runs/search?${searchQuery(filters, after)}`);
      for (const row of page.runs) put(row);
      next = page.next;
      showCount();
    } catch (err) {
      onError(err);
    }
  }
  more.addEventListener('click', () => void load(next));

  function select(index) {
    const trs = [...tbody.querySelectorAll('tr[data-id]')];
    if (trs.length === 0) return;
    selected = Math.max(0, Math.min(trs.length - 1, index));
    trs.forEach((tr, i) => {
      tr.classList.toggle('selected', i === selected);
      if (i === selected) tr.setAttribute('aria-current', 'true');
      else tr.removeAttribute('aria-current');
    });
    const link = trs[selected].querySelector('a');
    link?.focus();
    link?.scrollIntoView({ block: 'nearest' });
  }

  // The first page is read once the stream is live (its `ready` event), so no change falls
  // between the two; `run` events that come before the page is in wait for it. A server that
  // sends no `ready` gets the page read after a moment all the same.
  let loading;
  const early = [];
  function onRun(row) {
    // A run already shown is updated in place (so the selection does not jump); a new one is
    // added when it matches the filters.
    if (rows.has(row.workflowId)) put(row);
    else if (matches(row, filters)) put(row, { top: true });
    showCount();
  }
  function loadFirstPage() {
    loading ??= load().then(() => {
      for (const row of early.splice(0)) onRun(row);
    });
    return loading;
  }
  const fallback = setTimeout(loadFirstPage, 1500);
  // "3 min ago" stays true as time passes.
  const clock = setInterval(() => {
    for (const t of tbody.querySelectorAll('time[datetime]')) t.textContent = formatAgo(t.getAttribute('datetime'));
  }, 15_000);
  const pipeline = filters.pipeline ? `?pipeline=${encodeURIComponent(filters.pipeline)}` : '';
  const stream = openEventStream({
    url: `${api.baseUrl}/api/events${pipeline}`,
    headers: () => api.headers(),
    onState: (state, detail) => {
      onLive(state, detail);
      if (state === 'failed') {
        onError(detail);
        void loadFirstPage();
      }
    },
    onEvent: (event) => {
      if (event.type === 'ready') {
        void loadFirstPage();
        return;
      }
      if (event.type === 'reset') {
        // Too much changed while the stream was away: read the list again.
        rows.clear();
        replaceChildren(tbody);
        selected = -1;
        loading = undefined;
        void loadFirstPage();
        return;
      }
      if (event.type !== 'run') return;
      let row;
      try {
        row = JSON.parse(event.data);
      } catch {
        return;
      }
      if (loading) void loading.then(() => onRun(row));
      else early.push(row);
    },
  });

  return {
    unmount() {
      clearTimeout(fallback);
      clearInterval(clock);
      stream.close();
    },
    move(by) {
      const focused = document.activeElement instanceof Element ? document.activeElement.closest('tr[data-id]') : null;
      const trs = [...tbody.querySelectorAll('tr[data-id]')];
      const from = focused ? trs.indexOf(focused) : selected;
      select(from < 0 ? (by > 0 ? 0 : trs.length - 1) : from + by);
    },
    openSelected() {
      const tr = tbody.querySelectorAll('tr[data-id]')[selected];
      if (tr) location.hash = runHash(tr.dataset.id);
    },
    focusFilter() {
      form.querySelector('input')?.focus();
    },
  };
}
