/**
 * Modal dialogs on the native <dialog> element (focus stays inside, Escape closes): a confirm
 * with optional fields (a reason, an output as JSON checked before it is sent), and the
 * keyboard help. Focus goes back where it was when a dialog closes.
 * @module dialogs
 */
import { h } from './dom.js';

let opened = 0;

/** Whether a dialog is open (shortcuts then stay quiet). */
export function dialogOpen() {
  return opened > 0;
}

function openModal(dialog, focus) {
  const opener = document.activeElement;
  document.body.append(dialog);
  opened += 1;
  dialog.showModal();
  focus?.focus();
  return () => {
    opened -= 1;
    dialog.close();
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  };
}

/**
 * @typedef {{ name: string, label: string, type?: 'text' | 'json', value?: string, hint?: string }} DialogField
 */

/**
 * Asks the operator to confirm, with fields to fill in. A `json` field must hold JSON (blank is
 * `null`); it is given back parsed.
 * @param {{ title: string, message?: string, fields?: DialogField[], confirmLabel?: string, danger?: boolean }} options
 * @returns {Promise<Record<string, unknown> | null>} the fields' values, or null when the operator backed out
 */
export function askDialog({ title, message, fields = [], confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    const error = h('p', { class: 'field-error', role: 'alert' });
    const inputs = fields.map((f) => {
      const id = `dialog-field-${f.name}`;
      const input = f.type === 'json'
        ? h('textarea', { id, name: f.name, rows: 6, spellcheck: 'false', class: 'mono', 'aria-describedby': f.hint ? `${id}-hint` : null })
        : h('input', { id, name: f.name, type: 'text', autocomplete: 'off', 'aria-describedby': f.hint ? `${id}-hint` : null });
      input.value = f.value ?? '';
      return { f, input, row: h('div', { class: 'field' }, h('label', { for: id }, f.label), input, f.hint ? h('p', { class: 'hint', id: `${id}-hint` }, f.hint) : null) };
    });
    const back = h('button', { type: 'button', class: 'secondary' }, 'Back');
    const confirm = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'dialog-title' }, title),
      message ? h('p', { id: 'dialog-message' }, message) : null,
      inputs.map((i) => i.row),
      error,
      h('div', { class: 'dialog-buttons' }, back, confirm),
    );
    const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', 'aria-describedby': message ? 'dialog-message' : null }, form);
    const close = openModal(dialog, inputs[0]?.input ?? confirm);
    const finish = (value) => {
      close();
      resolve(value);
    };
    back.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      finish(null);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const values = {};
      for (const { f, input } of inputs) {
        const text = input.value.trim();
        if (f.type !== 'json') {
          values[f.name] = text;
          continue;
        }
        try {
          values[f.name] = text === '' ? null : JSON.parse(text);
        } catch (err) {
          error.textContent = `${f.label}: not JSON (${err instanceof Error ? err.message : String(err)})`;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
      }
      finish(values);
    });
  });
}

/**
 * Shows the keyboard shortcuts.
 * @param {Array<{ title: string, items: Array<{ keys: string[], description: string }> }>} groups
 * @returns {Promise<void>} when it is closed
 */
export function showHelp(groups) {
  return new Promise((resolve) => {
    const done = h('button', { type: 'submit', class: 'primary' }, 'Close');
    const form = h(
      'form',
      { method: 'dialog', class: 'help' },
      h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
      groups.map((g) =>
        h('section', {}, h('h3', {}, g.title), h('dl', {}, g.items.map((i) => [h('dt', {}, i.keys.map((k, n) => [n ? ' / ' : '', h('kbd', {}, k)])), h('dd', {}, i.description)]))),
      ),
      h('p', { class: 'hint' }, 'Tab and Shift+Tab reach every control; Enter or Space presses the focused one.'),
      h('div', { class: 'dialog-buttons' }, done),
    );
    const dialog = h('dialog', { 'aria-labelledby': 'help-title', id: 'help-dialog' }, form);
    const close = openModal(dialog, done);
    const finish = () => {
      close();
      resolve();
    };
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      finish();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      finish();
    });
  });
}
