/**
 * Keyboard shortcuts: single keys (`/`, `j`, `k`, `p`, ...) bound per view, quiet while the
 * operator types in a field, while a dialog is open, and with Ctrl, Alt or Meta held (those are
 * the browser's). The help dialog lists what is bound now.
 * @module shortcuts
 */
import { dialogOpen } from './dialogs.js';

/**
 * @typedef {{ keys: string[], description: string, run: (ev: KeyboardEvent) => void, when?: (ev: KeyboardEvent) => boolean }} Shortcut
 */

const TEXT_INPUTS = new Set(['text', 'search', 'password', 'email', 'number', 'url', 'tel', 'date', 'datetime-local', 'time']);

/** Whether keys typed at `el` are text for it. @param {EventTarget | null} el */
export function isTyping(el) {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  return el instanceof HTMLInputElement && TEXT_INPUTS.has(el.type);
}

/** Whether `el` acts on Enter itself (a link, a button, a focusable graph node). @param {EventTarget | null} el */
export function handlesEnter(el) {
  return el instanceof Element && el.closest('a[href], button, [role="button"], summary, input, select, textarea') !== null;
}

/**
 * A set of shortcuts, grouped in scopes (`global`, `runs`, `run`) that views bind and unbind.
 * @param {EventTarget} [target] where keys are listened to
 */
export function createShortcuts(target = document) {
  /** @type {Map<string, { title: string, items: Shortcut[] }>} */
  const scopes = new Map();

  target.addEventListener('keydown', (ev) => {
    if (!(ev instanceof KeyboardEvent) || ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (dialogOpen() || isTyping(ev.target)) return;
    // Later scopes (the view's) win over earlier ones (global).
    for (const { items } of [...scopes.values()].reverse()) {
      const hit = items.find((s) => s.keys.includes(ev.key) && (s.when?.(ev) ?? true));
      if (hit) {
        ev.preventDefault();
        hit.run(ev);
        return;
      }
    }
  });

  return {
    /**
     * Binds a scope's shortcuts (replacing what it had).
     * @param {string} scope
     * @param {string} title shown in the help
     * @param {Shortcut[]} items
     */
    bind(scope, title, items) {
      scopes.set(scope, { title, items });
    },
    /** @param {string} scope */
    unbind(scope) {
      scopes.delete(scope);
    },
    /** What is bound now, for the help dialog. */
    groups() {
      // A shortcut without a description is a variant another one's description mentions.
      return [...scopes.values()].map(({ title, items }) => ({ title, items: items.filter((i) => i.description).map(({ keys, description }) => ({ keys, description })) }));
    },
  };
}
