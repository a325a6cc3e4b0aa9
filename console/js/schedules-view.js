/**
 * The schedules view: a table of the schedules the token may read (`GET /api/schedules`), by id:
 * the pipeline and version it starts, when it fires, the next firing, its last run (linked, its
 * state painted as the runs table paints states) and whether it is paused (with the note), with
 * pause / unpause and "Run now" on each row. Schedules have no event stream: the table is read
 * again every {@link POLL_MS} while the view is open, and at once after an action.
 * @module schedules-view
 */
import { h, replaceChildren } from './dom.js';
import { runHash, scheduleHash } from './hash-route.js';
import { createPoller } from './poller.js';
import { stateBadge } from './runs-table.js';
import { createScheduleActions, pausedBadge, pipelineRef, POLL_MS, retellTimes, timeCell, timingText } from './schedule-parts.js';

/**
 * A schedule's last run: its id linked to its page, and its state.
 * @param {{ runId: string, state: string, startedAt?: string } | null} run
 */
export function lastRunCell(run) {
  if (!run) return h('span', { class: 'muted' }, 'none yet');
  return [h('a', { href: runHash(run.runId), class: 'run-link' }, run.runId), ' ', stateBadge(run.state)];
}

/**
 * Mounts the schedules view in `root`.
 * @param {HTMLElement} root
 * @param {{
 *   api: ReturnType<typeof import('./api-client.js').createApiClient>,
 *   onError: (err: unknown) => void,
 *   onRecovered: () => void,
 *   onLive: (state: string, detail?: unknown) => void,
 * }} deps
 * @returns {{ unmount(): void, refresh(): void }}
 */
export function mountSchedulesView(root, { api, onError, onRecovered, onLive }) {
  /** @type {Map<string, { tr: HTMLTableRowElement, cells: HTMLElement[], buttons: ReturnType<ReturnType<typeof createScheduleActions>['buttonsFor']> }>} */
  const rows = new Map();
  let loaded = false;

  const actions = createScheduleActions({ api, onAuthError: onError, onChanged: () => poller.now(), idPrefix: 'schedules' });
  const tbody = h('tbody');
  const count = h('p', { class: 'muted', id: 'schedules-count', 'aria-live': 'polite' }, 'Loading…');
  const table = h(
    'table',
    { class: 'schedules', id: 'schedules-table', 'aria-describedby': 'schedules-count' },
    h('caption', { class: 'sr-only' }, 'Schedules by id, with their next firing, last run and controls'),
    h('thead', {}, h('tr', {}, ['Schedule', 'Pipeline', 'When', 'Next', 'Last run', 'Paused', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  replaceChildren(
    root,
    h('h1', { tabindex: -1, id: 'view-title' }, 'Schedules'),
    count,
    h('div', { class: 'controls schedule-feedback' }, actions.message, actions.error),
    h('div', { class: 'table-box' }, table),
  );

  function fill(row, s) {
    const [idCell, pipelineCell, whenCell, nextCell, lastCell, pausedCell] = row.cells;
    replaceChildren(idCell, h('a', { href: scheduleHash(s.id) }, s.id));
    pipelineCell.textContent = pipelineRef(s);
    whenCell.textContent = timingText(s);
    replaceChildren(nextCell, timeCell(s.nextRuns?.[0], 'in'), s.paused && s.nextRuns?.length ? h('span', { class: 'muted' }, ' (not while paused)') : null);
    replaceChildren(lastCell, lastRunCell(s.lastRun));
    replaceChildren(pausedCell, pausedBadge(s.paused), s.paused && s.note ? h('span', { class: 'muted note' }, ` ${s.note}`) : null);
    row.tr.dataset.paused = String(s.paused);
    if (s.lastRun) row.tr.dataset.lastRun = s.lastRun.runId;
    else delete row.tr.dataset.lastRun;
    row.buttons.update(s);
  }

  function show(schedules) {
    const seen = new Set();
    let before = null;
    // In the API's order (by id); rows kept, so a focused button keeps the focus.
    for (const s of [...schedules].reverse()) {
      seen.add(s.id);
      let row = rows.get(s.id);
      if (!row) {
        const cells = [h('th', { scope: 'row', class: 'schedule-id' }), h('td'), h('td', { class: 'mono' }), h('td', { class: 'nowrap' }), h('td', { class: 'last-run' }), h('td', { class: 'paused' })];
        const buttons = actions.buttonsFor(s.id);
        row = { tr: h('tr', { 'data-id': s.id }, cells, h('td', {}, buttons.element)), cells, buttons };
        rows.set(s.id, row);
      }
      fill(row, s);
      if (row.tr.nextSibling !== before || row.tr.parentNode !== tbody) tbody.insertBefore(row.tr, before);
      before = row.tr;
    }
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      rows.delete(id);
    }
    const empty = tbody.querySelector('.empty');
    if (rows.size === 0 && !empty) {
      tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'No schedules. Make one with: npx tapflow schedule create ID PIPELINE --every 1h')));
    }
    if (rows.size > 0) empty?.remove();
    const paused = schedules.filter((s) => s.paused).length;
    count.textContent = `${rows.size} schedule${rows.size === 1 ? '' : 's'}${paused ? `, ${paused} paused` : ''}; read again every ${POLL_MS / 1000} s.`;
  }

  onLive('connecting');
  const poller = createPoller(
    async () => {
      const { schedules } = await api.get('/api/schedules');
      if (!loaded) onLive('polling');
      loaded = true;
      show(schedules ?? []);
    },
    {
      everyMs: POLL_MS,
      onError: (err) => {
        onError(err);
        onLive('failed');
        if (!loaded) count.textContent = 'The schedules could not be read.';
      },
      onRecovered: () => {
        onRecovered();
        onLive('polling');
      },
    },
  );
  // "in 3 min" stays true between reads.
  const clock = setInterval(() => retellTimes(tbody), 1000);

  return {
    unmount() {
      poller.stop();
      clearInterval(clock);
    },
    refresh: () => poller.now(),
  };
}
