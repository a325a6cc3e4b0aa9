/**
 * What an operator can do to a run from its page: pause, resume, cancel (confirmed, with a
 * reason), retry or skip a node (skip asks for the node's output as JSON), send an event. A
 * control is enabled only when the run would take it (the rules of states.js); a disabled one
 * stays focusable (`aria-disabled`) and says why. The run's answer is shown next to the control:
 * its acknowledgement, or its refusal (a 409's reason) as an alert. The page's state itself
 * changes only from the run's event stream.
 * @module run-controls
 */
import { h, replaceChildren } from './dom.js';
import { askDialog } from './dialogs.js';
import { runPath } from './api-client.js';
import { awaitedEvents, isFinal, retryRefusal, runRefusal, skipRefusal } from './states.js';

/**
 * A button that stays focusable when it cannot act, and tells why.
 * @param {string} label
 * @param {Record<string, unknown>} attrs
 * @param {() => void} run
 * @param {(why: string) => void} explain
 */
function controlButton(label, attrs, run, explain) {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-disabled') === 'true') explain(button.dataset.why ?? 'not available now');
    else run();
  });
  return button;
}

/** @param {HTMLButtonElement} button @param {string | undefined} why */
function enable(button, why) {
  button.setAttribute('aria-disabled', why ? 'true' : 'false');
  if (why) {
    button.dataset.why = why;
    button.title = why;
  } else {
    delete button.dataset.why;
    button.removeAttribute('title');
  }
}

/**
 * The controls of run `id`.
 * @param {{ api: ReturnType<typeof import('./api-client.js').createApiClient>, id: string, onAuthError: (err: unknown) => void }} deps
 */
export function createRunControls({ api, id, onAuthError }) {
  /** @type {{ state: string, nodes: object[] } | undefined} */
  let status;

  const say = (where, text, kind) => {
    where.textContent = text;
    where.dataset.kind = kind;
    where.hidden = !text;
  };
  const toolbarMessage = h('p', { class: 'message', role: 'status', id: 'action-message', hidden: true });
  const toolbarError = h('p', { class: 'error', role: 'alert', id: 'action-error', hidden: true });
  const nodeMessage = h('p', { class: 'message', role: 'status', hidden: true });
  const nodeError = h('p', { class: 'error', role: 'alert', id: 'node-action-error', hidden: true });
  const eventMessage = h('p', { class: 'message', role: 'status', hidden: true });
  const eventError = h('p', { class: 'error', role: 'alert', id: 'event-error', hidden: true });

  /**
   * Sends an action and shows the answer in `message` / `error`.
   * @returns {Promise<boolean>} whether the run took it
   */
  async function act(label, path, body, message, error) {
    say(message, `${label}: sent…`, 'pending');
    say(error, '', '');
    try {
      const answer = await api.post(runPath(id, path), body);
      const after = answer && typeof answer.state === 'string' ? `; the run is ${answer.state}` : '';
      const delivered = answer && Array.isArray(answer.delivered) ? `; delivered to ${answer.delivered.join(', ')}` : '';
      say(message, `${label}: accepted${after}${delivered}.`, 'ok');
      return true;
    } catch (err) {
      say(message, '', '');
      if (err?.isAuth) onAuthError(err);
      const refused = err?.status === 409 ? 'refused by the run' : `failed${err?.status ? ` (${err.status})` : ''}`;
      say(error, `${label} ${refused}: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return false;
    }
  }

  const explainTo = (where) => (why) => say(where, why, 'info');

  async function pause() {
    if (pauseButton.getAttribute('aria-disabled') === 'true') return explainTo(toolbarError)(pauseButton.dataset.why ?? '');
    await act('Pause', '/pause', {}, toolbarMessage, toolbarError);
  }
  async function resume() {
    if (resumeButton.getAttribute('aria-disabled') === 'true') return explainTo(toolbarError)(resumeButton.dataset.why ?? '');
    await act('Resume', '/resume', {}, toolbarMessage, toolbarError);
  }
  async function cancel() {
    if (cancelButton.getAttribute('aria-disabled') === 'true') return explainTo(toolbarError)(cancelButton.dataset.why ?? '');
    const answer = await askDialog({
      title: 'Cancel this run?',
      message: `Run ${id}: nodes in flight are cancelled, cleanup runs, and the run ends cancelled. It cannot be resumed afterwards.`,
      fields: [{ name: 'reason', label: 'Reason (recorded with the action)', value: '' }],
      confirmLabel: 'Cancel the run',
      danger: true,
    });
    if (!answer) return;
    await act('Cancel', '/cancel', answer.reason ? { reason: answer.reason } : {}, toolbarMessage, toolbarError);
  }

  const pauseButton = controlButton('Pause', { id: 'pause-button', 'aria-keyshortcuts': 'p', class: 'primary' }, () => void pause(), explainTo(toolbarError));
  const resumeButton = controlButton('Resume', { id: 'resume-button', 'aria-keyshortcuts': 'r', class: 'primary' }, () => void resume(), explainTo(toolbarError));
  const cancelButton = controlButton('Cancel…', { id: 'cancel-button', 'aria-keyshortcuts': 'c', class: 'danger' }, () => void cancel(), explainTo(toolbarError));
  const toolbar = h(
    'div',
    { class: 'controls' },
    h('div', { role: 'toolbar', 'aria-label': 'Run controls', class: 'toolbar' }, pauseButton, resumeButton, cancelButton),
    toolbarMessage,
    toolbarError,
  );

  /** @type {Map<string, { retry: HTMLButtonElement, skip: HTMLButtonElement }>} */
  const nodeButtons = new Map();
  function nodeActions(nodeId) {
    let buttons = nodeButtons.get(nodeId);
    if (!buttons) {
      const retry = controlButton('Retry', { class: 'small', 'aria-label': `Retry node ${nodeId}`, 'data-action': 'retry' }, () => void act(`Retry ${nodeId}`, `/nodes/${encodeURIComponent(nodeId)}/retry`, {}, nodeMessage, nodeError), explainTo(nodeError));
      const skip = controlButton('Skip…', { class: 'small', 'aria-label': `Skip node ${nodeId}`, 'data-action': 'skip' }, () => void skipNode(nodeId), explainTo(nodeError));
      buttons = { retry, skip };
      nodeButtons.set(nodeId, buttons);
    }
    return h('span', { class: 'node-actions' }, buttons.retry, buttons.skip);
  }
  async function skipNode(nodeId) {
    const answer = await askDialog({
      title: `Skip node ${nodeId}?`,
      message: 'The node is marked done with this output, and the nodes that need it take it as its output.',
      fields: [
        { name: 'output', label: 'Output (JSON)', type: 'json', value: 'null', hint: 'Any JSON: null, a number, "text", an object {...} or a list [...].' },
        { name: 'reason', label: 'Reason (recorded with the action)', value: '' },
      ],
      confirmLabel: 'Skip the node',
    });
    if (!answer) return;
    await act(`Skip ${nodeId}`, `/nodes/${encodeURIComponent(nodeId)}/skip`, { output: answer.output, ...(answer.reason ? { reason: answer.reason } : {}) }, nodeMessage, nodeError);
  }

  const eventName = h('input', { id: 'event-name', name: 'event', type: 'text', list: 'event-names', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'event-waiting' });
  const eventNames = h('datalist', { id: 'event-names' });
  const eventData = h('textarea', { id: 'event-data', name: 'data', rows: 3, class: 'mono', spellcheck: 'false', placeholder: 'blank: no data', 'aria-describedby': 'event-data-hint' });
  const waiting = h('p', { class: 'hint', id: 'event-waiting' });
  const sendButton = h('button', { type: 'submit', id: 'send-event-button' }, 'Send event');
  const eventForm = h(
    'form',
    { class: 'send-event', 'aria-labelledby': 'send-event-title' },
    h('h3', { id: 'send-event-title' }, 'Send an event'),
    h('div', { class: 'field' }, h('label', { for: 'event-name' }, 'Event'), eventName, eventNames, waiting),
    h('div', { class: 'field' }, h('label', { for: 'event-data' }, 'Data (JSON)'), eventData, h('p', { class: 'hint', id: 'event-data-hint' }, "The waiting node's output.")),
    h('div', { class: 'field buttons' }, sendButton),
    eventMessage,
    eventError,
  );
  eventForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = eventName.value.trim();
    const text = eventData.value.trim();
    let body = {};
    if (text) {
      try {
        body = { data: JSON.parse(text) };
      } catch (err) {
        say(eventError, `Data: not JSON (${err instanceof Error ? err.message : String(err)})`, 'error');
        eventData.focus();
        return;
      }
    }
    void act(`Event "${name}"`, `/events/${encodeURIComponent(name)}`, body, eventMessage, eventError);
  });

  return {
    toolbar,
    eventForm,
    nodeActions,
    nodeFeedback: [nodeMessage, nodeError],
    pause,
    resume,
    cancel,
    /** Enables what the run's state allows. @param {{ state: string, nodes: Array<{ id: string, state: string, held?: boolean }> }} next */
    update(next) {
      status = next;
      enable(pauseButton, runRefusal('pause', status.state));
      enable(resumeButton, runRefusal('resume', status.state));
      enable(cancelButton, runRefusal('cancel', status.state));
      for (const node of status.nodes) {
        const buttons = nodeButtons.get(node.id);
        if (!buttons) continue;
        enable(buttons.retry, retryRefusal(status, node.id));
        enable(buttons.skip, skipRefusal(status, node.id));
      }
      const events = awaitedEvents(status);
      replaceChildren(eventNames, events.map((e) => h('option', { value: e })));
      if (!eventName.value && events[0]) eventName.value = events[0];
      waiting.textContent = events.length ? `Waited for: ${events.join(', ')}` : 'No node waits for an event now.';
      const ended = isFinal(status.state);
      eventForm.hidden = ended;
      sendButton.disabled = ended;
    },
  };
}
