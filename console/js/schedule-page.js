/**
 * One schedule's page (`GET /api/schedules/:id`): the pipeline and version it starts, its timing
 * (cron or interval, jitter), its policies (overlap, catch-up window), each run's input as JSON,
 * the task queue, the counts of firings taken and missed, the runs going now, and its recent runs
 * (newest first, linked, with their states); with pause / unpause and "Run now". Read again
 * every {@link POLL_MS} while open, and at once after an action.
 * @module schedule-page
 */
import { h, replaceChildren } from './dom.js';
import { formatDateTime, prettyJson } from './format.js';
import { schedulePath } from './api-client.js';
import { runHash, schedulesHash } from './hash-route.js';
import { createPoller } from './poller.js';
import { stateBadge } from './runs-table.js';
import { createScheduleActions, pausedBadge, pipelineRef, POLL_MS, retellTimes, timeCell, timingText } from './schedule-parts.js';

function section(id, title, ...children) {
  return h('section', { class: `panel ${id}`, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

/**
 * Mounts the page of schedule `id` in `root`.
 * @param {HTMLElement} root
 * @param {{
 *   api: ReturnType<typeof import('./api-client.js').createApiClient>,
 *   id: string,
 *   onError: (err: unknown) => void,
 *   onRecovered: () => void,
 *   onLive: (state: string, detail?: unknown) => void,
 * }} deps
 * @returns {{ unmount(): void, pause(): void, unpause(): void }}
 */
export function mountScheduleView(root, { api, id, onError, onRecovered, onLive }) {
  /** @type {any} */
  let schedule;
  const actions = createScheduleActions({ api, onAuthError: onError, onChanged: () => poller.now(), idPrefix: 'schedule' });
  const buttons = actions.buttonsFor(id);

  /** A fact of the page: `<dt>` and a `<dd>` with this id, filled on each read. */
  const fact = (key, label, wide = false) => {
    const dd = h('dd', { id: `schedule-${key}` });
    return { dd, row: h('div', { class: wide ? 'wide' : null }, h('dt', {}, label), dd) };
  };
  const facts = {
    paused: fact('paused', 'State'),
    pipeline: fact('pipeline', 'Pipeline'),
    when: fact('when', 'When'),
    next: fact('next', 'Next'),
    overlap: fact('overlap', 'Overlap'),
    catchup: fact('catchup', 'Catch-up window'),
    jitter: fact('jitter', 'Jitter'),
    queue: fact('queue', 'Task queue'),
    counts: fact('counts', 'Firings'),
    running: fact('running', 'Running now'),
    created: fact('created', 'Created'),
    updated: fact('updated', 'Updated'),
  };
  const inputBox = h('div', { id: 'schedule-input' });
  const runsBody = h('tbody');
  const runsTable = h(
    'table',
    { class: 'recent-runs', id: 'recent-runs' },
    h('caption', { class: 'sr-only' }, 'Runs the schedule started most recently, newest first'),
    h('thead', {}, h('tr', {}, ['Run', 'State', 'Scheduled for', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
    runsBody,
  );

  replaceChildren(
    root,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: schedulesHash() }, '← Schedules')),
    h(
      'header',
      { class: 'run-head panel' },
      h('h1', { tabindex: -1, id: 'view-title' }, h('span', { class: 'muted' }, 'Schedule '), h('code', {}, id)),
      h('dl', { class: 'facts' }, Object.values(facts).map((f) => f.row)),
      h('div', { class: 'controls' }, h('div', { role: 'toolbar', 'aria-label': 'Schedule controls', class: 'toolbar' }, buttons.element), actions.message, actions.error),
    ),
    h(
      'div',
      { class: 'columns' },
      section('recent', 'Recent runs', h('p', { class: 'hint' }, 'Temporal keeps the last 10.'), h('div', { class: 'table-box' }, runsTable)),
      section('input', 'Input of each run', inputBox),
    ),
  );

  function render() {
    const s = schedule;
    replaceChildren(facts.paused.dd, pausedBadge(s.paused), s.note ? h('span', { class: 'muted note' }, ` ${s.note}`) : null);
    facts.paused.dd.dataset.paused = String(s.paused);
    facts.pipeline.dd.textContent = pipelineRef(s);
    facts.when.dd.textContent = `${timingText(s)}${s.jitter ? ` (up to ${s.jitter} later)` : ''}`;
    replaceChildren(
      facts.next.dd,
      s.nextRuns?.length ? h('span', { title: s.nextRuns.map(formatDateTime).join('\n') }, timeCell(s.nextRuns[0], 'in'), s.nextRuns.length > 1 ? h('span', { class: 'muted' }, ` then ${s.nextRuns.length - 1} more`) : null) : h('span', { class: 'muted' }, '—'),
      s.paused && s.nextRuns?.length ? h('span', { class: 'muted' }, ' (not while paused)') : null,
    );
    facts.overlap.dd.textContent = s.overlap ?? '';
    facts.catchup.dd.textContent = s.catchupWindow ?? '';
    facts.jitter.dd.textContent = s.jitter ?? 'none';
    facts.queue.dd.textContent = s.taskQueue ?? '';
    const a = s.actions ?? {};
    facts.counts.dd.textContent = `${a.taken ?? 0} taken · ${a.skippedOverlap ?? 0} skipped (overlap) · ${a.missedCatchupWindow ?? 0} missed (catch-up window)`;
    replaceChildren(
      facts.running.dd,
      s.running?.length ? s.running.map((runId, i) => [i ? ', ' : '', h('a', { href: runHash(runId), class: 'run-link' }, runId)]) : h('span', { class: 'muted' }, 'none'),
    );
    facts.created.dd.textContent = formatDateTime(s.createdAt);
    facts.updated.dd.textContent = formatDateTime(s.updatedAt) || '—';
    const json = prettyJson(s.input);
    if (inputBox.dataset.json !== json) {
      inputBox.dataset.json = json;
      replaceChildren(inputBox, h('pre', { class: 'json', tabindex: 0, 'aria-label': 'Input of each run as JSON' }, json));
    }
    const runs = [...(s.recentRuns ?? [])].reverse();
    replaceChildren(
      runsBody,
      runs.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 4 }, 'No run yet.'))
        : runs.map((r) =>
            h(
              'tr',
              { 'data-run': r.runId, 'data-state': r.state },
              h('td', {}, h('a', { href: runHash(r.runId), class: 'run-link' }, r.runId)),
              h('td', {}, stateBadge(r.state)),
              h('td', { class: 'nowrap' }, h('time', { datetime: r.scheduledAt }, formatDateTime(r.scheduledAt))),
              h('td', { class: 'nowrap' }, timeCell(r.startedAt, 'ago')),
            ),
          ),
    );
    buttons.update(s);
    document.title = `${s.paused ? 'paused' : 'active'} · schedule ${id} · tapflow`;
  }

  onLive('connecting');
  const poller = createPoller(
    async () => {
      const next = await api.get(schedulePath(id));
      if (!schedule) onLive('polling');
      schedule = next;
      render();
    },
    {
      everyMs: POLL_MS,
      onError: (err) => {
        onError(err);
        onLive('failed');
      },
      onRecovered: () => {
        onRecovered();
        onLive('polling');
      },
    },
  );
  const clock = setInterval(() => retellTimes(root), 1000);

  return {
    unmount() {
      poller.stop();
      clearInterval(clock);
    },
    pause: () => {
      if (schedule && !schedule.paused) void actions.pause(id);
    },
    unpause: () => {
      if (schedule?.paused) void actions.unpause(id);
    },
  };
}
