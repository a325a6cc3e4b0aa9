/**
 * What the schedules table and a schedule's page share: how a schedule's pipeline, timing and
 * paused state are written (`media@3`, `cron 0 3 * * *`, `every 15m`, as `tapflow schedule list`
 * writes them), and its controls: pause (asks for a note), unpause and "Run now" (fires it now,
 * whatever its timing). The API's answer is shown beside the controls: what was done (the run
 * started, linked), or the refusal (a 403's or 409's reason) as an alert.
 * @module schedule-parts
 */
import { h, replaceChildren } from './dom.js';
import { askDialog } from './dialogs.js';
import { schedulePath } from './api-client.js';
import { formatAgo, formatDateTime, formatIn } from './format.js';
import { runHash } from './hash-route.js';

/** How often a schedules view reads the schedules again (they have no event stream). */
export const POLL_MS = 5000;

/**
 * `media@3`, `media@latest`; the name alone when the version is not known; `—` for a schedule
 * of tapflow's workflow that tapflow did not make (no pipeline).
 * @param {{ pipeline: string | null, version: number | 'latest' | null }} schedule
 */
export function pipelineRef({ pipeline, version }) {
  if (!pipeline) return '—';
  return version === null || version === undefined ? pipeline : `${pipeline}@${version}`;
}

/**
 * When it fires, as written: `cron 0 3 * * *` or `every 15m`.
 * @param {{ cron: string | null, every: string | null }} schedule
 */
export function timingText({ cron, every }) {
  if (cron) return `cron ${cron}`;
  if (every) return `every ${every}`;
  return '—';
}

/**
 * The paused state as a badge: `paused` (in the paused run state's colours) or `active`.
 * @param {boolean} paused
 */
export function pausedBadge(paused) {
  return paused
    ? h('span', { class: 'badge state-paused', title: 'starts no runs until unpaused' }, 'paused')
    : h('span', { class: 'badge schedule-active', title: 'fires as its timing says' }, 'active');
}

const WORDS = { in: formatIn, ago: formatAgo };

/**
 * A time in words, with its local date and time on hover: `in 3 min` (`in`), `5 s ago` (`ago`).
 * @param {string | null | undefined} iso
 * @param {'in' | 'ago'} words
 */
export function timeCell(iso, words) {
  return iso ? h('time', { datetime: iso, title: formatDateTime(iso), 'data-words': words }, WORDS[words](iso)) : h('span', { class: 'muted' }, '—');
}

/** Keeps the times in words under `root` true as time passes. @param {Element} root */
export function retellTimes(root) {
  for (const t of root.querySelectorAll('time[data-words]')) t.textContent = (WORDS[t.dataset.words] ?? formatAgo)(t.getAttribute('datetime'));
}

/**
 * The controls of schedules, with one place for their answers (`message`, `error`).
 * @param {{
 *   api: ReturnType<typeof import('./api-client.js').createApiClient>,
 *   onAuthError: (err: unknown) => void,
 *   onChanged: () => void,
 *   idPrefix?: string,
 * }} deps `onChanged` is called after each action (the view reads the schedules again)
 */
export function createScheduleActions({ api, onAuthError, onChanged, idPrefix = 'schedule' }) {
  const message = h('p', { class: 'message', role: 'status', id: `${idPrefix}-action-message`, hidden: true });
  const error = h('p', { class: 'error', role: 'alert', id: `${idPrefix}-action-error`, hidden: true });
  /** Schedules with an action in flight (a second press waits for the first's answer). */
  const busy = new Set();

  const say = (where, kind, ...children) => {
    replaceChildren(where, ...children);
    where.dataset.kind = kind;
    where.hidden = children.length === 0;
  };

  /**
   * Sends an action on schedule `id` and shows the answer.
   * @param {string} label e.g. `Pause nightly`
   * @param {(answer: any) => unknown[]} done what to say when it was done
   * @returns {Promise<boolean>} whether the API took it
   */
  async function act(id, label, path, body, done) {
    if (busy.has(id)) return false;
    busy.add(id);
    say(message, 'pending', `${label}: sent…`);
    say(error, '');
    try {
      const answer = await api.post(schedulePath(id, path), body);
      say(message, 'ok', ...done(answer));
      return true;
    } catch (err) {
      say(message, '');
      if (err?.isAuth) onAuthError(err);
      const refused = err?.status === 409 ? 'refused' : `failed${err?.status ? ` (${err.status})` : ''}`;
      say(error, 'error', `${label} ${refused}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    } finally {
      busy.delete(id);
      onChanged();
    }
  }

  async function pause(id) {
    const answer = await askDialog({
      title: `Pause schedule ${id}?`,
      message: 'It starts no runs until it is unpaused; runs it has started go on. Firings missed while paused are not made up.',
      fields: [{ name: 'reason', label: 'Note (shown with the schedule)', value: '' }],
      confirmLabel: 'Pause the schedule',
    });
    if (!answer) return false;
    return act(id, `Pause ${id}`, '/pause', answer.reason ? { reason: answer.reason } : {}, (a) => [`Pause ${id}: done; it is paused${a?.note ? ` (${a.note})` : ''}.`]);
  }

  function unpause(id) {
    return act(id, `Unpause ${id}`, '/unpause', {}, () => [`Unpause ${id}: done; it fires as its timing says.`]);
  }

  function trigger(id) {
    return act(id, `Run now ${id}`, '/trigger', {}, (a) =>
      a?.run?.runId
        ? [`Run now ${id}: started run `, h('a', { href: runHash(a.run.runId), class: 'mono' }, a.run.runId), '.']
        : [`Run now ${id}: no run started yet (its overlap policy may have skipped it while its last run goes on).`],
    );
  }

  /**
   * The buttons of one schedule, kept across refreshes (so a focused one stays focused).
   * @param {string} id
   * @returns {{ element: HTMLElement, update(schedule: { paused: boolean }): void }}
   */
  function buttonsFor(id) {
    let paused = false;
    const toggle = h('button', { type: 'button', class: 'small', 'data-action': 'pause' }, 'Pause…');
    const runNow = h('button', { type: 'button', class: 'small', 'data-action': 'trigger', 'aria-label': `Run schedule ${id} now`, title: 'Start a run now, whatever its timing' }, 'Run now');
    toggle.addEventListener('click', () => void (paused ? unpause(id) : pause(id)));
    runNow.addEventListener('click', () => void trigger(id));
    const update = (schedule) => {
      paused = schedule.paused;
      toggle.dataset.action = paused ? 'unpause' : 'pause';
      toggle.textContent = paused ? 'Unpause' : 'Pause…';
      toggle.setAttribute('aria-label', `${paused ? 'Unpause' : 'Pause'} schedule ${id}`);
    };
    update({ paused });
    return { element: h('span', { class: 'schedule-actions', role: 'group', 'aria-label': `Controls of schedule ${id}` }, toggle, runNow), update };
  }

  return { message, error, buttonsFor, pause, unpause, trigger };
}
