// @ts-check
/**
 * What the case queue and the case page share besides the API: the analyst's name (kept in
 * localStorage, asked for in #analyst-dialog) and the keyboard shortcuts (listed in #shortcuts-dialog).
 */

import { ANALYST_KEY, SHORTCUTS, analystName, keyName, shortcutOf } from './cases-format.js';
import { el, element } from './page.js';

/** @import { Shortcut } from './cases-format.js' */
/** @typedef {'queue' | 'case'} DeskPage */

/** The analyst's kept name; null before they gave one. */
export const me = () => localStorage.getItem(ANALYST_KEY);

/**
 * The analyst's name: the kept one, else asked for in the dialog (and kept). The dialog refuses a
 * name that does not do, saying why.
 * @returns {(options?: { change?: boolean }) => Promise<string | null>} change: ask even when one is kept; null when they cancelled
 */
export function analystNameDialog() {
  const dialog = element('analyst-dialog', HTMLDialogElement);
  const form = element('analyst-form', HTMLFormElement);
  const input = element('analyst-input', HTMLInputElement);
  const error = element('analyst-error', HTMLElement);

  form.addEventListener('submit', (event) => {
    if (!(event.submitter instanceof HTMLButtonElement) || event.submitter.value !== 'ok') return;
    const typed = analystName(input.value);
    if ('error' in typed) {
      event.preventDefault();
      error.textContent = typed.error;
    }
  });

  return async ({ change = false } = {}) => {
    const kept = me();
    if (kept && !change) return kept;
    input.value = kept ?? '';
    error.textContent = '';
    dialog.returnValue = '';
    dialog.showModal();
    /** @type {string | null} */
    const name = await new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => {
          const typed = analystName(input.value);
          resolve(dialog.returnValue === 'ok' && 'name' in typed ? typed.name : null);
        },
        { once: true },
      );
    });
    if (name) localStorage.setItem(ANALYST_KEY, name);
    return name;
  };
}

/** @param {EventTarget | null} target */
const isEditable = (target) =>
  target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);

/**
 * The shortcuts of `where`: listed in the shortcuts dialog, which ? and #show-shortcuts open; a key
 * pressed outside a dialog runs its handler, and is then the shortcut's only (not scrolling the page,
 * nor typed into the dialog it opens).
 * @param {DeskPage} where
 * @param {Partial<Record<Exclude<Shortcut, 'help'>, () => void>>} handlers
 */
export function bindShortcuts(where, handlers) {
  const dialog = element('shortcuts-dialog', HTMLDialogElement);
  const showHelp = () => dialog.showModal();
  element('show-shortcuts', HTMLButtonElement).addEventListener('click', showHelp);
  element('shortcut-rows', HTMLTableSectionElement).replaceChildren(
    ...SHORTCUTS.filter((entry) => entry.pages.includes(where)).map((entry) =>
      el('tr', {}, [el('td', {}, entry.keys.flatMap((key, index) => [...(index > 0 ? [' / '] : []), el('kbd', {}, [keyName(key)])])), el('td', {}, [entry.text])]),
    ),
  );
  /** @type {Partial<Record<Shortcut, () => void>>} */
  const actions = { ...handlers, help: showHelp };

  document.addEventListener('keydown', (event) => {
    if (document.querySelector('dialog[open]')) return;
    const shortcut = shortcutOf({ key: event.key, ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey, editable: isEditable(event.target) }, where);
    const action = shortcut ? actions[shortcut] : undefined;
    if (!action) return;
    // A focused link or button does what Enter does to it (the queue's selected row's link opens the case too).
    if (shortcut === 'open' && (event.target instanceof HTMLAnchorElement || event.target instanceof HTMLButtonElement)) return;
    event.preventDefault();
    action();
  });
}
